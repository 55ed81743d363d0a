// Keyboard use of the search boxes: "/" focuses the header box, ↓ / ↑ move through the results,
// Escape goes back to the box (and closes the live list when already there).
(function () {
  function links(root) { return root ? Array.prototype.slice.call(root.querySelectorAll("[data-search-results] a")) : []; }
  function resultsFor(el) {
    var form = el.closest("form");
    if (form && form.matches("[data-search-form]")) return document.getElementById("global-search-results");
    return document.getElementById("search-page-results");
  }
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && !t.isContentEditable) {
      var box = document.getElementById("global-search-q");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
      return;
    }
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp" && e.key !== "Escape") return;
    var input = t.matches && t.matches("input[type=search]") ? t : null;
    var root = input ? resultsFor(input) : t.closest && t.closest("#global-search-results, #search-page-results");
    var items = links(root);
    if (input) {
      if (e.key === "ArrowDown" && items.length) { e.preventDefault(); items[0].focus(); }
      if (e.key === "Escape" && root && root.id === "global-search-results") { root.innerHTML = ""; }
      return;
    }
    if (!root) return;
    var i = items.indexOf(t);
    var back = root.id === "global-search-results" ? document.getElementById("global-search-q") : document.getElementById("search-q");
    if (e.key === "Escape") { e.preventDefault(); if (back) back.focus(); return; }
    e.preventDefault();
    if (e.key === "ArrowDown" && i < items.length - 1) items[i + 1].focus();
    else if (e.key === "ArrowUp") { if (i > 0) items[i - 1].focus(); else if (back) back.focus(); }
  });
})();
