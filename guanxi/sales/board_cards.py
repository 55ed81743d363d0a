"""The cards of the pipeline board as HTML (issue 5 items 3 and 12; DOMAIN §2).

A board's first load shows up to 20 cards in each of its columns: over a hundred cards. Through the
template engine a card cost about 0.2 ms (some 35 variable lookups, escapes and translations each),
a third of the page; built here with ``format_html`` — which escapes every value, the way Django's
admin builds the cells of its change list — a card costs a few hundredths of a millisecond. That is
what lets the board answer within 200 ms at concurrency 8 (``bench/sales.py``).

Every card — the board's, "load more"'s and a move's answer — is built by ``card_html``, so its
markup lives in this one place. Labels are translated once per page (``CardLabels``); money and
dates are formatted once per value and language (the same amounts and dates come back on every
board).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.urls import reverse
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guanxi.core.templatetags.money import money
from guanxi.sales.models import Opportunity, Stage

_PK = 987654321  # stands for the opportunity's id in a URL reversed once per page

_CARD = (
    '<li class="deal-card{has_message}" id="opp-{id}" data-id="{id}" data-version="{version}" data-stage-id="{stage_id}"'
    ' data-testid="card"{drag} aria-labelledby="opp-name-{id}">{message}'
    '<a class="deal-name" id="opp-name-{id}" href="{detail_url}">{name}</a>'
    '<div class="deal-account">{account}</div>'
    '<dl class="deal-facts"><dt>{amount_label}</dt><dd class="num">{amount}</dd>'
    "<dt>{close_label}</dt><dd>{close}</dd><dt>{owner_label}</dt><dd>{owner}</dd>"
    "<dt>{probability_label}</dt><dd>{probability}</dd></dl>{form}</li>"
)
# The keyboard way to move a card ("Move to…"), and what the drag reads its CSRF token from.
_FORM = (
    '<form class="move-form" method="post" action="{move_url}" hx-post="{move_url}" hx-target="#opp-{id}"'
    ' hx-swap="outerHTML" hx-include="#board-filters">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf_token}">'
    '<input type="hidden" name="version" value="{version}">'
    '<label for="move-{id}" class="visually-hidden">{move_label}</label>'
    '<select id="move-{id}" name="stage_id"><option value="">{move_to}</option>{options}</select>'
    '<button type="submit">{move}</button></form>'
)
_MESSAGE = '<p class="card-message{error}" role="{role}" data-testid="card-message">{text}</p>'


@dataclass(frozen=True)
class CardLabels:
    """The words every card repeats, translated once per page."""

    amount: str
    expected_close: str
    owner: str
    probability: str
    move_to: str
    move: str

    @classmethod
    def current(cls) -> CardLabels:
        return cls(amount=_("Amount"), expected_close=_("Expected close"), owner=_("Owner"), probability=_("Probability"),
                   move_to=_("Move to…"), move=_("Move"))


@lru_cache(maxsize=8192)
def _money(amount: Decimal, currency: str, language: str) -> str:  # the language is part of the key
    return money(amount, currency)


@lru_cache(maxsize=4096)
def _date(day: date, fmt: str) -> str:
    return dateformat.format(day, fmt)


def cards_html(opportunities: Sequence[Opportunity], stages: Sequence[Stage], editable: set[int], *, csrf_token: str,
               message: str = "", message_is_error: bool = False) -> list[str]:
    """One ``<li>`` per opportunity (loaded with ``account``, ``owner`` and ``stage``): name and
    link, account, amount, expected close, owner and probability; for those in ``editable``, the
    drag handle and the "Move to…" form listing the pipeline's other ``stages``. ``message`` is
    shown on every card (a move's answer has one card). The strings are safe HTML (``format_html``)."""
    labels = CardLabels.current()
    detail, move = reverse("sales:opportunity_detail", args=[_PK]), reverse("sales:opportunity_move", args=[_PK])
    options = {s.pk: format_html_join("", '<option value="{}">{}</option>', ((o.pk, o.name) for o in stages if o.pk != s.pk))
               for s in stages}
    language, short_date = get_language() or "", get_format("SHORT_DATE_FORMAT")  # as |date:"SHORT_DATE_FORMAT"
    note = format_html(_MESSAGE, error=" error" if message_is_error else "", role="alert" if message_is_error else "status",
                       text=message) if message else ""
    result: list[str] = []
    for opp in opportunities:
        key = str(opp.pk)
        move_url = move.replace(str(_PK), key)
        can_move = opp.pk in editable
        result.append(format_html(
            _CARD, id=key, version=opp.version, stage_id=opp.stage_id, has_message=" has-message" if message else "",
            drag=format_html(' draggable="true" data-move-url="{}"', move_url) if can_move else "", message=note,
            detail_url=detail.replace(str(_PK), key), name=opp.name, account=opp.account.name,
            amount_label=labels.amount, amount=_money(opp.amount, opp.currency, language),
            close_label=labels.expected_close, close=_date(opp.expected_close, short_date) if opp.expected_close else "—",
            owner_label=labels.owner, owner=str(opp.owner) if opp.owner_id else "—",
            probability_label=labels.probability, probability=f"{opp.effective_probability}%",
            form=format_html(_FORM, id=key, move_url=move_url, csrf_token=csrf_token, version=opp.version,
                             move_label=_("Move “%(name)s” to…") % {"name": opp.name}, move_to=labels.move_to,
                             options=options.get(opp.stage_id, ""), move=labels.move) if can_move else "",
        ))
    return result
