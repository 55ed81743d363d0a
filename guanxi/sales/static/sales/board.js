/* Pipeline board: drag a card to another column (HTML5 drag and drop) or use the card's
   "Move to…" form (keyboard). Both POST to the same URL through htmx; the server answers with
   the card as it now stands (409: someone else moved it first; the card goes back where it is). */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) return;
  var status = document.getElementById("board-status");
  var dragged = null;

  function announce(text) { if (status && text) { status.textContent = ""; status.textContent = text; } }

  function listOf(stageId) { return document.getElementById("cards-" + stageId); }

  /* Put a (re)rendered card in the column of its stage, unless it is already there. */
  function place(card) {
    var list = listOf(card.dataset.stageId);
    if (list && card.parentElement !== list) list.insertBefore(card, list.firstChild);
    var msg = card.querySelector(".card-message");
    if (msg) announce(msg.textContent);
    // The swap replaced the focused form: keep keyboard users on the card they moved.
    if (msg && (!document.activeElement || document.activeElement === document.body)) {
      var link = card.querySelector(".deal-name");
      if (link) link.focus();
    }
  }

  function cardAfter(list, y) {
    var cards = Array.prototype.slice.call(list.querySelectorAll(".deal-card:not(.dragging)"));
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) return cards[i];
    }
    return null;
  }

  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".deal-card[draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.id);
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
    dragged = null;
  });
  board.addEventListener("dragover", function (e) {
    var column = e.target.closest && e.target.closest(".board-column");
    if (!column || !dragged) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-target").forEach(function (el) { if (el !== column) el.classList.remove("drop-target"); });
    column.classList.add("drop-target");
  });
  board.addEventListener("drop", function (e) {
    var column = e.target.closest && e.target.closest(".board-column");
    if (!column || !dragged) return;
    e.preventDefault();
    var card = dragged;
    var list = column.querySelector(".board-cards");
    var before = cardAfter(list, e.clientY);
    var sameStage = column.dataset.stageId === card.dataset.stageId;
    if (sameStage && (before === card || before === card.nextElementSibling)) return;  // dropped where it was
    var values = {
      stage_id: column.dataset.stageId,
      version: card.dataset.version,
      csrfmiddlewaretoken: (card.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || ""
    };
    if (before) values.before_id = before.dataset.id;
    var filters = document.getElementById("board-filters");
    if (filters) new FormData(filters).forEach(function (v, k) { if (v) values[k] = v; });
    // Show the move at once; the server's answer replaces the card (or puts it back).
    var loadMore = list.querySelector(".load-more");
    list.insertBefore(card, before || loadMore || null);
    htmx.ajax("POST", card.dataset.moveUrl, {source: card, target: "#opp-" + card.dataset.id, swap: "outerHTML",
                                             values: values});
  });

  // A refused move (409 stale, 422 invalid) still carries the card to show: swap it in.
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var code = e.detail.xhr.status;
    if ((code === 409 || code === 422) && e.detail.target && e.detail.target.classList.contains("deal-card")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  document.body.addEventListener("htmx:responseError", function (e) {
    if (e.detail.xhr.status === 403 || e.detail.xhr.status === 404) announce(board.dataset.refused || "");
  });
  htmx.onLoad(function (el) {
    if (el.classList && el.classList.contains("deal-card")) place(el);
  });
})();
