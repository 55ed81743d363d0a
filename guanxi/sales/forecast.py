"""Forecast vs target vs actual (销售预估 / 销售实绩, DOMAIN §2; issue 5 item 8).

The arithmetic is ``guanxi.sales.forecasting`` (weighted = amount × probability / 100, overdue open
deals counted in the first month, best case unweighted). Here the database does the heavy part:
open deals are summed in SQL grouped by (close month, effective probability) — at most 101 rows a
month however many deals — and each group is handed to ``forecast_table`` as one deal, which gives
exactly the same sums as deal by deal. Probability = the deal's override, else its stage's.

Actual (销售实绩) in the forecast = opportunities WON with ``closed_at`` in the month, the same
deals the forecast predicts (target attainment also counts archive orders: see ``targets.py``).
Targets = the subject's monthly amount targets (a rep's, a team's, or the company's).

Forecast accuracy: a job takes a ``ForecastSnapshot`` per rep at each month's start (the first run
in a month; idempotent per month and rep); ``forecast_accuracy`` compares the snapshot's weighted
figure with what was then won in the month.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, IntegerField, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from guanxi.core.errors import NotFound
from guanxi.dataio.jobs import JobContext, job_handler
from guanxi.sales import forecasting
from guanxi.sales.forecasting import ClosedAmount, ForecastRow, OpenDeal
from guanxi.sales.models import ForecastSnapshot, Opportunity, StageKind, TargetMeasure, TargetPeriod, TargetScope
from guanxi.sales.targets_math import add_months, period_end, period_start
from guanxi.users.models import Team, User
from guanxi.users.visibility import subordinate_ids, visible_to


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_zone())


def month_list(months: int | Sequence[date], *, start: date | None = None) -> list[date]:
    """``months`` month starts from ``start``'s month (default this month), or the given list."""
    if isinstance(months, int):
        first = period_start(start or timezone.localdate(), "month")
        return [add_months(first, i) for i in range(max(0, min(months, 36)))]
    return forecasting.months_between(min(months), max(months)) if months else []


def _allowed_user_ids(actor: User) -> set[int] | None:
    """Whose figures the actor may see: None = everyone (administrators)."""
    return None if actor.is_admin else subordinate_ids(actor)


def _scope(actor: User, *, team: Team | None, user: User | None) -> dict[str, Any]:
    """Filters for the subject; a user outside the actor's reach is 404."""
    if user is not None:
        allowed = _allowed_user_ids(actor)
        if allowed is not None and user.pk not in allowed:
            raise NotFound()
        return {"owner_id": user.pk}
    if team is not None:
        return {"team_id": team.pk}
    return {}


def _open_deals(actor: User, months: list[date], filters: dict[str, Any]) -> list[OpenDeal]:
    """Open visible deals up to the last month, grouped (month, probability) in SQL."""
    qs = visible_to(actor, Opportunity.objects.filter(is_open=True, expected_close__isnull=False,
                                                      expected_close__lte=period_end(months[-1], "month"), **filters))
    rows = (qs.annotate(month=TruncMonth("expected_close"),
                        p=Coalesce("probability", "stage__probability", output_field=IntegerField()))
            .values("month", "p").annotate(total=Sum("amount")).order_by())
    return [OpenDeal(id=i, amount=Decimal(r["total"] or 0), probability=int(r["p"]), expected_close=_as_date(r["month"]))
            for i, r in enumerate(rows)]


@dataclass(frozen=True, slots=True)
class OpenGroup:
    """Open deals of one stage, expected-close month (None: no date) and effective probability, summed."""

    stage_id: int
    month: date | None
    probability: int
    deals: int
    amount: Decimal


def open_deal_groups(actor: User, *, team: Team | None = None, user: User | None = None) -> list[OpenGroup]:
    """Every open visible deal of the subject, grouped by (stage, close month, probability) in one
    query: what the weighted forecast and the pipeline by stage both read, so the dashboard, which
    shows both, reads the open deals once. A user outside the actor's reach is 404."""
    qs = visible_to(actor, Opportunity.objects.filter(is_open=True, **_scope(actor, team=team, user=user)))
    rows = (qs.annotate(month=TruncMonth("expected_close"), p=Coalesce("probability", "stage__probability", output_field=IntegerField()))
            .values("stage_id", "month", "p").annotate(deals=Count("*"), total=Sum("amount")).order_by())
    return [OpenGroup(r["stage_id"], _as_date(r["month"]) if r["month"] is not None else None, int(r["p"]), r["deals"],
                      Decimal(r["total"] or 0)) for r in rows]


def _deals_of_groups(groups: Sequence[OpenGroup], months: list[date]) -> list[OpenDeal]:
    """The groups ``_open_deals`` would have read: a close date, in the last month or before."""
    last = period_start(months[-1], "month")
    dated = [(g, g.month) for g in groups if g.month is not None and g.month <= last]
    return [OpenDeal(id=i, amount=g.amount, probability=g.probability, expected_close=month) for i, (g, month) in enumerate(dated)]


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _won(qs: QuerySet[Opportunity], months: list[date]) -> QuerySet[Opportunity]:
    # is_open=False is implied by a won stage; said here so the closed-deals index applies.
    return qs.filter(is_open=False, stage__kind=StageKind.WON, closed_at__gte=_moment(months[0]),
                     closed_at__lt=_moment(period_end(months[-1], "month") + timedelta(days=1)))


def _actuals(actor: User, months: list[date], filters: dict[str, Any]) -> list[ClosedAmount]:
    qs = _won(visible_to(actor, Opportunity.objects.filter(**filters)), months)
    rows = qs.annotate(month=TruncMonth("closed_at", tzinfo=_zone())).values("month").annotate(total=Sum("amount")).order_by()
    return [ClosedAmount(day=_as_date(r["month"]), amount=Decimal(r["total"] or 0)) for r in rows]


def _targets(actor: User, months: list[date], *, team: Team | None, user: User | None) -> dict[date, Decimal]:
    from guanxi.sales.targets import visible_targets

    qs = visible_targets(actor).filter(period=TargetPeriod.MONTH, measure=TargetMeasure.AMOUNT, period_start__in=months)
    if user is not None:
        qs = qs.filter(scope=TargetScope.USER, user=user)
    elif team is not None:
        qs = qs.filter(scope=TargetScope.TEAM, team=team)
    else:
        qs = qs.filter(scope=TargetScope.COMPANY)
    return dict(qs.values_list("period_start", "value"))


def forecast_for(actor: User, *, team: Team | None = None, user: User | None = None, months: int | Sequence[date] = 6,
                 start: date | None = None, open_groups: Sequence[OpenGroup] | None = None) -> list[ForecastRow]:
    """The forecast table (weighted, best case, actual, target, gap, attainment) per month over the
    actor's visible opportunities, optionally of one team or rep. One grouped query per series:
    open deals by (close month, probability), won deals by close month, monthly targets.
    ``open_groups`` (``open_deal_groups`` of the same subject) stands in for the first."""
    month_starts = month_list(months, start=start)
    if not month_starts:
        return []
    filters = _scope(actor, team=team, user=user)
    deals = _deals_of_groups(open_groups, month_starts) if open_groups is not None else _open_deals(actor, month_starts, filters)
    return forecasting.forecast_table(month_starts, deals,
                                      _actuals(actor, month_starts, filters), _targets(actor, month_starts, team=team, user=user))


def forecast_deals(actor: User, month: date, *, team: Team | None = None, user: User | None = None,
                   first_month: date | None = None) -> QuerySet[Opportunity]:
    """Drill-down: the open visible deals counted in ``month`` (expected to close in it; in the
    table's first month, ``first_month``, also the overdue ones), largest weighted value first."""
    month = period_start(month, "month")
    qs = visible_to(actor, Opportunity.objects.filter(is_open=True, **_scope(actor, team=team, user=user)))
    qs = qs.filter(expected_close__lte=period_end(month, "month"))
    if first_month is None or period_start(first_month, "month") != month:
        qs = qs.filter(expected_close__gte=month)
    weighted = F("amount") * Coalesce("probability", "stage__probability", output_field=IntegerField())
    return qs.select_related("account", "stage", "owner").annotate(weighted_x100=weighted).order_by("-weighted_x100", "-id")


# --- month-start snapshots and accuracy --------------------------------------------------------------

def take_snapshots(*, month: date | None = None, now: datetime | None = None) -> int:
    """Store each rep's weighted pipeline for ``month`` (default: this month) unless already stored:
    open deals expected to close in the month or earlier (overdue), as ``forecasting`` counts them.
    Returns the number of snapshots created."""
    now = now or timezone.now()
    month = period_start(month or now.astimezone(_zone()).date(), "month")
    done = set(ForecastSnapshot.objects.filter(month=month).values_list("user_id", flat=True))
    rows = (Opportunity.objects.filter(is_open=True, owner__isnull=False, expected_close__isnull=False,
                                       expected_close__lte=period_end(month, "month"))
            .exclude(owner_id__in=done)
            .annotate(p=Coalesce("probability", "stage__probability", output_field=IntegerField()))
            .values("owner_id", "p").annotate(total=Sum("amount"), deals=Count("id")).order_by())
    per_user: dict[int, list[OpenDeal]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    for i, r in enumerate(rows):
        per_user[r["owner_id"]].append(OpenDeal(id=i, amount=Decimal(r["total"] or 0), probability=int(r["p"]), expected_close=month))
        counts[r["owner_id"]] += r["deals"]
    teams: dict[int, int] = {}
    for user_id, team_id in User.teams.through.objects.filter(user_id__in=list(per_user)).order_by("team_id").values_list("user_id", "team_id"):
        teams.setdefault(user_id, team_id)
    snapshots = [
        ForecastSnapshot(month=month, user_id=user_id, team_id=teams.get(user_id),
                         weighted=forecasting.weighted_by_month(deals, [month])[month],
                         best_case=forecasting.best_case_by_month(deals, [month])[month],
                         deals=counts[user_id], taken_at=now)
        for user_id, deals in per_user.items()
    ]
    ForecastSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True)
    return len(snapshots)


@job_handler("sales.forecast_snapshot", every=timedelta(hours=1))
def snapshot_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    return {"created": take_snapshots()}


@dataclass(frozen=True)
class AccuracyRow:
    month: date
    forecast: Decimal | None  # the month-start weighted pipeline; None when no snapshot was taken
    actual: Decimal
    accuracy: Decimal | None  # 0..1 (forecasting.forecast_accuracy)


def forecast_accuracy(actor: User, *, months: int | Sequence[date] = 6, team: Team | None = None, user: User | None = None,
                      end: date | None = None) -> list[AccuracyRow]:
    """Past months (the ``months`` months before ``end``'s month, default this month): the weighted
    pipeline snapshotted at each month's start against the amount won in that month, for the reps
    the actor may see (optionally one team or one rep)."""
    if isinstance(months, int):
        last = add_months(period_start(end or timezone.localdate(), "month"), -1)
        month_starts = [add_months(last, -i) for i in reversed(range(max(0, min(months, 36))))]
    else:
        month_starts = month_list(months)
    if not month_starts:
        return []
    allowed = _allowed_user_ids(actor)
    snaps = ForecastSnapshot.objects.filter(month__in=month_starts)
    won = _won(Opportunity.objects.filter(owner__isnull=False), month_starts)
    if allowed is not None:
        snaps, won = snaps.filter(user_id__in=sorted(allowed)), won.filter(owner_id__in=sorted(allowed))
    if user is not None:
        _scope(actor, team=None, user=user)
        snaps, won = snaps.filter(user_id=user.pk), won.filter(owner_id=user.pk)
    elif team is not None:
        snaps, won = snaps.filter(team_id=team.pk), won.filter(team_id=team.pk)
    forecast = dict(snaps.values("month").annotate(total=Sum("weighted")).order_by().values_list("month", "total"))
    actual_rows = won.annotate(month=TruncMonth("closed_at", tzinfo=_zone())).values("month").annotate(total=Sum("amount")).order_by()
    actual = forecasting.actual_by_month([ClosedAmount(_as_date(r["month"]), Decimal(r["total"] or 0)) for r in actual_rows], month_starts)
    rows = []
    for month in month_starts:
        f = forecast.get(month)
        rows.append(AccuracyRow(month=month, forecast=f, actual=actual[month],
                                accuracy=forecasting.forecast_accuracy(f, actual[month]) if f is not None else None))
    return rows
