"""Reads for the sales dashboard pages (DOMAIN §2; issue 5 items 6–8) that the services do not
offer: the pipeline by stage, the team's average N questions per call for a rep, and chart series.

Each function is a constant number of queries whatever the number of reps, calls or deals (the
dashboard test asserts it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language

from guanxi.sales.activities import user_zone
from guanxi.sales.forecast import OpenGroup
from guanxi.sales.forecasting import ForecastRow
from guanxi.sales.metrics import CallQuality, ratio
from guanxi.sales.models import Opportunity, Stage
from guanxi.sales.quality import team_call_sums
from guanxi.sales.targets_math import add_months, period_start
from guanxi.users.models import Team, User
from guanxi.users.visibility import subordinate_ids, visible_to


def today_for(actor: User) -> date:
    return timezone.now().astimezone(user_zone(actor)).date()


def is_manager(actor: User) -> bool:
    """Administrators, team managers and anyone with people below them see a team view."""
    if actor.is_admin:
        return True
    # People below them first: the visibility function reads (and caches) them for the page anyway.
    return len(subordinate_ids(actor)) > 1 or Team.objects.filter(manager_id=actor.pk).exists()


@dataclass(frozen=True)
class StageTotal:
    stage_id: int
    name: str
    position: int
    deals: int
    amount: Decimal


def pipeline_by_stage(actor: User, *, user_id: int | None = None, team_id: int | None = None,
                      groups: Sequence[OpenGroup] | None = None) -> list[StageTotal]:
    """Open visible deals per stage (one grouped query, or from ``forecast.open_deal_groups`` of the
    same subject when given); stage names in the current language."""
    zh = (get_language() or "").startswith("zh")
    if groups is not None:
        totals: dict[int, tuple[int, Decimal]] = {}
        for g in groups:
            deals, amount = totals.get(g.stage_id, (0, Decimal(0)))
            totals[g.stage_id] = (deals + g.deals, amount + g.amount)
        stages = Stage.objects.filter(pk__in=list(totals)).select_related("pipeline").order_by("pipeline__position", "pipeline_id", "position")
        return [StageTotal(s.pk, s.name_zh if zh else s.name_en, s.position, *totals[s.pk]) for s in stages]
    qs = visible_to(actor, Opportunity.objects.filter(is_open=True))
    if user_id is not None:
        qs = qs.filter(owner_id=user_id)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    rows = (qs.values("stage_id", "stage__name_zh", "stage__name_en", "stage__position", "pipeline__position", "pipeline_id")
            .annotate(deals=Count("*"), amount=Sum("amount")).order_by("pipeline__position", "pipeline_id", "stage__position"))
    return [StageTotal(r["stage_id"], r["stage__name_zh"] if zh else r["stage__name_en"], r["stage__position"],
                       r["deals"], Decimal(r["amount"] or 0)) for r in rows]


def team_n_per_call(actor: User, *, start: date, end: date) -> Decimal | None:
    """N questions per logged call over the actor's team(s), as one aggregate — so a rep compares
    themself with the team average without seeing anyone else's calls (DOMAIN §2: top sellers ask
    far more N questions)."""
    teams = User.teams.through.objects.filter(user_id=actor.pk).values("team_id")
    calls, n = team_call_sums(actor, teams=teams, start=start, end=end)
    return ratio(n, calls)


def month_range(today: date, months: int) -> tuple[date, date]:
    """The first day ``months - 1`` months back and ``today`` (the last ``months`` months)."""
    return add_months(period_start(today, "month"), -(months - 1)), today


def _num(value: Decimal | None, scale: int = 1) -> str | None:
    return None if value is None else str(value * scale)


def quality_series(trend: Sequence[tuple[date, CallQuality]], labels: dict[str, str]) -> dict[str, Any]:
    """ECharts data (read by ``sales/activities/charts.js`` from a json_script tag)."""
    return {
        "labels": [m.strftime("%Y-%m") for m, _q in trend],
        "series": [
            {"name": labels["p_to_s"], "type": "line", "data": [_num(q.p_to_s_ratio) for _m, q in trend]},
            {"name": labels["n_per_call"], "type": "line", "data": [_num(q.n_per_call) for _m, q in trend]},
            {"name": labels["explicit"], "type": "line", "data": [_num(q.explicit_needs_per_call) for _m, q in trend]},
            {"name": labels["advance"], "type": "bar", "data": [_num(q.advance_rate, 100) for _m, q in trend], "yAxisIndex": 1},
        ],
        "percentAxis": True,
    }


def forecast_series(rows: Sequence[ForecastRow], labels: dict[str, str]) -> dict[str, Any]:
    return {
        "labels": [r.month.strftime("%Y-%m") for r in rows],
        "series": [
            {"name": labels["weighted"], "type": "bar", "data": [str(r.weighted) for r in rows]},
            {"name": labels["actual"], "type": "bar", "data": [str(r.actual) for r in rows]},
            {"name": labels["target"], "type": "line", "data": [_num(r.target) for r in rows]},
        ],
    }


def visible_reps(actor: User) -> list[User]:
    """People whose figures the actor may open (administrators: every active user in a team)."""
    qs = User.objects.filter(is_active=True)
    if actor.is_admin:
        qs = qs.filter(Q(teams__isnull=False) | Q(pk=actor.pk)).distinct()
    else:
        qs = qs.filter(pk__in=sorted(subordinate_ids(actor)))
    return list(qs.order_by("username"))


def visible_teams(actor: User) -> list[Team]:
    if actor.is_admin:
        return list(Team.objects.order_by("name"))
    return list(Team.objects.filter(Q(manager_id=actor.pk) | Q(members=actor)).distinct().order_by("name"))
