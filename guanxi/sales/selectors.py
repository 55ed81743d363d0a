"""Reads of the sales subsystem: every one starts from ``visible_to``.

The board (DOMAIN §2, issue 5 item 3) stays usable with thousands of open deals: each column shows
its first ``per_column`` cards (keyset order ``-board_rank, -id``) plus its total count and amount;
further cards load per column with ``board_column_page``. The whole board is a constant number of
queries whatever the number of stages or deals: the stages, one grouped aggregate (counts and
totals per stage), and one query for the cards. On PostgreSQL that query is a UNION ALL of one
``LIMIT per_column`` range per non-empty column over ``sales_opp_owner_board`` (owner, stage,
rank) — the visibility-filtered order — so its cost does not grow with the deals behind the first
cards; elsewhere it is a window query (ROW_NUMBER per stage).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from guanxi.core.listing import ListParams
from guanxi.core.pagination import Page, encode_cursor, keyset_page
from guanxi.sales.lists import LEAD_LIST, OPPORTUNITY_LIST
from guanxi.sales.models import Lead, Opportunity, Pipeline, Stage, StageChange, StageKind
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

BOARD_ORDER = ("-board_rank", "-id")
CLOSED_DAYS = 30  # won / lost columns show deals closed in the last 30 days
MONEY_FIELD = DecimalField(max_digits=24, decimal_places=4)


def opportunities_visible(actor: User) -> QuerySet[Opportunity]:
    return visible_to(actor, Opportunity.objects.all())


def leads_visible(actor: User) -> QuerySet[Lead]:
    return visible_to(actor, Lead.objects.all())


# --- lists -----------------------------------------------------------------------------------------

def _q(params: ListParams) -> str:
    return params.filters.get("q", [""])[0].strip()


def opportunity_filtered(*, actor: User, params: ListParams) -> QuerySet[Opportunity]:
    """Visible opportunities matching the list parameters (lists, exports, bulk actions)."""
    qs = OPPORTUNITY_LIST.apply(opportunities_visible(actor), params, actor)
    q = _q(params)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(account__name__icontains=q))
    return qs.select_related("account", "stage", "owner", "pipeline")


def opportunity_list(*, actor: User, params: ListParams, after: str | None = None, limit: int = 50) -> Page[Opportunity]:
    qs = opportunity_filtered(actor=actor, params=params)
    return keyset_page(qs, order=OPPORTUNITY_LIST.order(params), after=after, limit=limit)


def lead_filtered(*, actor: User, params: ListParams) -> QuerySet[Lead]:
    qs = LEAD_LIST.apply(leads_visible(actor), params, actor)
    q = _q(params)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(company__icontains=q) | Q(mobile__contains=q) | Q(email__icontains=q))
    return qs.select_related("owner")


def lead_list(*, actor: User, params: ListParams, after: str | None = None, limit: int = 50) -> Page[Lead]:
    qs = lead_filtered(actor=actor, params=params)
    return keyset_page(qs, order=LEAD_LIST.order(params), after=after, limit=limit)


def params_from(data: Mapping[str, Any], *, object_type: str) -> ListParams:
    return {"lead": LEAD_LIST, "opportunity": OPPORTUNITY_LIST}[object_type].parse(data)


# --- the board -------------------------------------------------------------------------------------

@dataclass
class BoardColumn:
    stage: Stage
    cards: list[Opportunity]
    total: int
    amount: Decimal  # in the default currency (deals in other currencies are counted, not summed)
    weighted: Decimal
    next_cursor: str | None


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn] = field(default_factory=list)


def _board_queryset(actor: User, params: ListParams | None, *, now: datetime, closed_days: int) -> QuerySet[Opportunity]:
    qs = opportunities_visible(actor)
    if params is not None:
        qs = OPPORTUNITY_LIST.apply(qs, params, actor)
        q = _q(params)
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(account__name__icontains=q))
    # Open deals, and the recently closed ones in the won / lost columns.
    return qs.filter(Q(is_open=True) | Q(closed_at__gte=now - timedelta(days=closed_days)))


def _weighted_expr() -> Any:
    probability = Coalesce(F("probability"), F("stage__probability"))
    return ExpressionWrapper(F("amount") * probability / Value(Decimal(100)), output_field=MONEY_FIELD)


# What a card shows (and the API's card): the wide account row (notes, search text) stays behind.
CARD_FIELDS = (
    "id", "version", "name", "account_id", "pipeline_id", "stage_id", "owner_id", "team_id", "amount", "currency", "probability",
    "expected_close", "board_rank", "is_open", "closed_at", "account__id", "account__name", "owner__id", "owner__username",
    "owner__display_name", "owner__first_name", "owner__last_name", "stage__id", "stage__name_zh", "stage__name_en",
    "stage__pipeline_id", "stage__code", "stage__position", "stage__kind", "stage__probability",
)


def _card_queryset(qs: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return qs.select_related("account", "owner", "stage").only(*CARD_FIELDS)


def _first_cards(qs: QuerySet[Opportunity], stage_ids: list[int], per_column: int) -> list[Opportunity]:
    """The first ``per_column`` cards of each of ``stage_ids``, in one query."""
    if not stage_ids:
        return []
    if connection.features.supports_slicing_ordering_in_compound:
        firsts = [qs.filter(stage_id=stage_id).order_by(*BOARD_ORDER).values("pk")[:per_column] for stage_id in stage_ids]
        ids = firsts[0].union(*firsts[1:], all=True) if len(firsts) > 1 else firsts[0]
        chosen = Opportunity.objects.filter(pk__in=ids)
    else:
        chosen = qs.annotate(
            row=Window(RowNumber(), partition_by=[F("stage_id")], order_by=[F("board_rank").desc(), F("id").desc()])
        ).filter(row__lte=per_column)
    return list(_card_queryset(chosen).order_by("stage_id", *BOARD_ORDER))


def board_columns(
    actor: User, pipeline: Pipeline, *, per_column: int = 50, params: ListParams | None = None,
    closed_days: int = CLOSED_DAYS,
) -> Board:
    """The board of ``pipeline`` as ``actor`` sees it, filtered by the opportunity list's
    allow-listed ``params``. Three queries (after the actor's visibility lookups): the stages,
    the counts and totals per stage (one GROUP BY), the first cards of the non-empty columns."""
    per_column = max(1, min(per_column, 200))
    now = timezone.now()
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    qs = _board_queryset(actor, params, now=now, closed_days=closed_days).filter(pipeline=pipeline)
    in_default = Q(currency=settings.DEFAULT_CURRENCY)
    totals = {
        row["stage_id"]: row
        for row in qs.order_by().values("stage_id").annotate(
            n=Count("id"),
            # Names that do not shadow the columns the weighted sum reads.
            sum_amount=Sum("amount", filter=in_default),
            sum_weighted=Sum(_weighted_expr(), filter=in_default),
        )
    }
    cards: dict[int, list[Opportunity]] = {}
    for opp in _first_cards(qs, [st.pk for st in stages if st.pk in totals], per_column):  # columns with deals
        cards.setdefault(opp.stage_id, []).append(opp)
    board = Board(pipeline=pipeline)
    for stage in stages:
        row: dict[str, Any] = dict(totals.get(stage.pk) or {})
        column_cards = cards.get(stage.pk, [])
        total = int(row.get("n") or 0)
        cursor = None
        if total > len(column_cards) and column_cards:
            last = column_cards[-1]
            cursor = encode_cursor([last.board_rank, last.pk], order=BOARD_ORDER)
        board.columns.append(BoardColumn(
            stage=stage, cards=column_cards, total=total,
            amount=Decimal(str(row.get("sum_amount") or 0)).quantize(Decimal("0.01")),
            weighted=Decimal(str(row.get("sum_weighted") or 0)).quantize(Decimal("0.01")),
            next_cursor=cursor,
        ))
    return board


def board_column_page(
    actor: User, stage: Stage, after_cursor: str | None, *, limit: int = 50, params: ListParams | None = None,
    closed_days: int = CLOSED_DAYS,
) -> Page[Opportunity]:
    """The next cards of one column after ``after_cursor`` (from ``BoardColumn.next_cursor``)."""
    qs = _board_queryset(actor, params, now=timezone.now(), closed_days=closed_days).filter(stage=stage)
    return keyset_page(_card_queryset(qs), order=BOARD_ORDER, after=after_cursor, limit=limit)


# --- stage history ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class StageDuration:
    stage: Stage
    seconds: int
    visits: int
    current: bool


def stage_durations(opportunity: Opportunity, *, now: datetime | None = None) -> list[StageDuration]:
    """Time spent in each stage (a stage visited twice adds up), in pipeline order; the current
    stage counts until ``now`` while the deal is open. Two queries."""
    now = now or timezone.now()
    seconds: dict[int, int] = {}
    visits: dict[int, int] = {}
    for change in StageChange.objects.filter(opportunity=opportunity).order_by("changed_at", "id"):
        visits[change.to_stage_id] = visits.get(change.to_stage_id, 0) + 1
        if change.from_stage_id is not None and change.seconds_in_previous is not None:
            seconds[change.from_stage_id] = seconds.get(change.from_stage_id, 0) + int(change.seconds_in_previous)
    current = opportunity.stage_id
    if opportunity.stage_entered_at is not None and opportunity.stage.kind == StageKind.OPEN:
        seconds[current] = seconds.get(current, 0) + max(0, int((now - opportunity.stage_entered_at).total_seconds()))
    visits.setdefault(current, 1)
    stages = Stage.objects.filter(pk__in=set(seconds) | set(visits)).order_by("position")
    return [StageDuration(stage=s, seconds=seconds.get(s.pk, 0), visits=visits.get(s.pk, 0), current=s.pk == current) for s in stages]


def stage_history(opportunity: Opportunity) -> QuerySet[StageChange]:
    return StageChange.objects.filter(opportunity=opportunity).select_related("from_stage", "to_stage", "changed_by").order_by("changed_at", "id")
