"""Call-quality metrics per rep and team (DOMAIN §2 SPIN; issue 5 item 6).

The formulas are ``guanxi.sales.metrics``'s. A manager's year holds tens of thousands of calls, so
calls are not read one by one: the database sums them per (rep, team, month) into ``CallTotals``,
and ``totals_quality`` / ``totals_by_rep`` / ``totals_by_team`` / ``totals_trend`` apply metrics'
formulas to the sums — with the same results as ``metrics.call_quality`` / ``by_rep`` / ``by_team`` /
``monthly_trend`` on the calls themselves (``tests/test_quality_totals.py`` checks both, and that
the rollup and the raw rows agree).

The sums come from one of two places with the same answer (except for activities deleted, restored
or moved to another owner or team since the last nightly rebuild of the rollup):

* the rollup (``CallQualityMonth``, kept by ``guanxi.sales.rollups``), when the period is whole
  months up to today in the rollup's zone and the actor's view of activities is a set of owners
  (own, subordinates', all) — plus, summed from the raw rows, the calls shared with them;
* otherwise one GROUP BY over the logged call plans restricted through ``visible_to`` on their
  activities (a rep sees their own calls, a manager their team's).

Why a rollup: on the benchmark's data (1M call plans, 5M activities) a manager's year — about 40,000
calls of ten reps — takes about 0.9 s as that GROUP BY (the calls must be joined to their
activities for owner, team and visibility) and about 2 ms from the rollup (120 rows).

A call counts on the day it was logged (in the actor's time zone), for the activity's owner and the
team recorded on the activity. A rep's team is the team of their latest call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from guanxi.sales.activities import day_bounds, user_zone
from guanxi.sales.metrics import EMPTY, SUCCESS_OUTCOMES, CallFacts, CallQuality, n_vs_average, ratio
from guanxi.sales.models import Activity, CallPlan
from guanxi.sales.rollup_models import CallQualityMonth
from guanxi.sales.rollups import rollup_zone
from guanxi.sales.targets_math import period_end, period_start, periods_covering
from guanxi.users.models import Scope, Team, User
from guanxi.users.visibility import _scopes, _shared_ids, subordinate_ids, visible_to

# --- sums per rep, team and month, and metrics' formulas over them ----------------------------------


@dataclass(frozen=True, slots=True)
class CallTotals:
    """The calls of one rep on one team in one month, summed (a rollup row or a GROUP BY row)."""

    rep_id: int
    team_id: int | None
    month: date
    calls: int
    logged: int  # calls with an outcome
    successes: int  # outcome order or advance
    s: int
    p: int
    i: int
    n: int
    explicit_needs: int
    hidden_needs: int
    last_logged_at: datetime  # the latest call (a rep's team is the team of their latest call)

    def plus(self, other: CallTotals) -> CallTotals:
        last = max(self.last_logged_at, other.last_logged_at)
        return replace(self, calls=self.calls + other.calls, logged=self.logged + other.logged,
                       successes=self.successes + other.successes, s=self.s + other.s, p=self.p + other.p,
                       i=self.i + other.i, n=self.n + other.n, explicit_needs=self.explicit_needs + other.explicit_needs,
                       hidden_needs=self.hidden_needs + other.hidden_needs, last_logged_at=last)


def totals_quality(rows: Iterable[CallTotals]) -> CallQuality:
    """``metrics.call_quality`` of the calls summed in ``rows`` (same rules: ratios from exact totals,
    the advance rate over calls with an outcome, None on a zero denominator)."""
    calls = logged = successes = s = p = i = n = explicit = hidden = 0
    for r in rows:
        calls, logged, successes = calls + r.calls, logged + r.logged, successes + r.successes
        s, p, i, n = s + r.s, p + r.p, i + r.i, n + r.n
        explicit, hidden = explicit + r.explicit_needs, hidden + r.hidden_needs
    if calls == 0:
        return EMPTY
    return CallQuality(
        calls=calls, logged_calls=logged, s=s, p=p, i=i, n=n, explicit_needs=explicit, hidden_needs=hidden,
        p_to_s_ratio=ratio(p, s), n_per_call=ratio(n, calls), n_vs_team_average=None,
        advance_rate=ratio(successes, logged), explicit_needs_per_call=ratio(explicit, calls),
        hidden_to_explicit=ratio(hidden, explicit),
    )


def _grouped(rows: Iterable[CallTotals], key: Any) -> dict[Any, list[CallTotals]]:
    groups: dict[Any, list[CallTotals]] = defaultdict(list)
    for row in rows:
        value = key(row)
        if value is not None:
            groups[value].append(row)
    return dict(groups)


def totals_by_team(rows: Iterable[CallTotals]) -> dict[int, CallQuality]:
    """``metrics.by_team``: per team, calls without a team left out."""
    return {team: totals_quality(group) for team, group in _grouped(rows, lambda r: r.team_id).items()}


def _latest_team(rows: list[CallTotals]) -> int | None:
    return max(rows, key=lambda r: (r.last_logged_at, r.team_id or 0)).team_id


def totals_by_rep(rows: Iterable[CallTotals]) -> dict[int, CallQuality]:
    """``metrics.by_rep``: per rep, with N questions per call against the rep's latest team."""
    rows = list(rows)
    teams = totals_by_team(rows)
    result: dict[int, CallQuality] = {}
    for rep_id, group in _grouped(rows, lambda r: r.rep_id).items():
        quality = totals_quality(group)
        team = teams.get(_latest_team(group) or 0)
        result[rep_id] = replace(quality, n_vs_team_average=n_vs_average(quality, team) if team is not None else None)
    return result


def totals_trend(rows: Iterable[CallTotals], *, rep_id: int | None = None, team_id: int | None = None) -> list[tuple[date, CallQuality]]:
    """``metrics.monthly_trend``: per month from the first to the last month in which the selection
    has a call (months between without calls are ``EMPTY``); a rep is compared with their team."""
    rows = [r for r in rows if r.calls]
    selected = [r for r in rows if (rep_id is None or r.rep_id == rep_id) and (team_id is None or r.team_id == team_id)]
    if not selected:
        return []
    by_month = _grouped(rows, lambda r: r.month)
    result = []
    for month in periods_covering(min(r.month for r in selected), max(r.month for r in selected), "month"):
        month_rows = [r for r in by_month.get(month, []) if team_id is None or r.team_id == team_id]
        quality = totals_by_rep(month_rows).get(rep_id, EMPTY) if rep_id is not None else totals_quality(month_rows)
        result.append((month, quality))
    return result


# --- reading the sums --------------------------------------------------------------------------------


def _bounds(actor: User, start: date, end: date) -> tuple[Any, datetime, datetime]:
    zone = user_zone(actor)
    since, _ = day_bounds(start, zone)
    until, _ = day_bounds(end + timedelta(days=1), zone)
    return zone, since, until


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def raw_totals(plans: QuerySet[CallPlan], zone: Any) -> list[CallTotals]:
    """One GROUP BY (owner, team, local month) over ``plans`` with conditional counts."""
    rows = (plans.filter(activity__owner__isnull=False)
            .annotate(local_month=TruncMonth("logged_at", tzinfo=zone))
            .values("activity__owner_id", "activity__team_id", "local_month")
            .annotate(n_calls=Count("pk"), n_logged=Count("pk", filter=~Q(outcome="")),
                      n_success=Count("pk", filter=Q(outcome__in=sorted(SUCCESS_OUTCOMES))),
                      sum_s=Sum("s_asked"), sum_p=Sum("p_asked"), sum_i=Sum("i_asked"), sum_n=Sum("n_asked"),
                      sum_explicit=Sum("explicit_needs"), sum_hidden=Sum("hidden_needs"), last=Max("logged_at"))
            .order_by())
    return [CallTotals(rep_id=r["activity__owner_id"], team_id=r["activity__team_id"], month=_as_date(r["local_month"]),
                       calls=r["n_calls"], logged=r["n_logged"], successes=r["n_success"], s=int(r["sum_s"] or 0),
                       p=int(r["sum_p"] or 0), i=int(r["sum_i"] or 0), n=int(r["sum_n"] or 0),
                       explicit_needs=int(r["sum_explicit"] or 0), hidden_needs=int(r["sum_hidden"] or 0),
                       last_logged_at=r["last"])
            for r in rows]


def _owner_view(actor: User) -> tuple[bool, set[int] | None]:
    """Whether the actor's view of activities is "these owners" (None: everyone) — what the rollup,
    keyed by owner, can answer — and the owners. Department scopes are not: (False, None)."""
    if not actor.is_active:
        return False, None
    if actor.is_admin:
        return True, None
    scope = _scopes(actor, Activity)[0]
    if scope == Scope.ALL:
        return True, None
    if scope == Scope.OWN:
        return True, {actor.pk}
    if scope == Scope.SUBORDINATES:
        return True, set(subordinate_ids(actor))
    return False, None


def _rollup_months(actor: User, zone: Any, start: date, end: date) -> tuple[date, date] | None:
    """The months to read from the rollup when ``start``..``end`` is whole months up to today or to
    a month's end, in the rollup's zone; None otherwise."""
    if start.day != 1 or rollup_zone() != zone.key:
        return None
    today = timezone.now().astimezone(zone).date()
    if end < today and end != period_end(end, "month"):
        return None
    return start, period_start(end, "month")


def _rollup_totals(actor: User, months: tuple[date, date], owners: set[int] | None, shared: dict[int, bool],
                   *, zone: Any, since: datetime, until: datetime, team_id: int | None, user_id: int | None) -> list[CallTotals]:
    qs = CallQualityMonth.objects.filter(month__gte=months[0], month__lte=months[1])
    if owners is not None:
        qs = qs.filter(rep_id__in=sorted(owners))
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if user_id is not None:
        qs = qs.filter(rep_id=user_id)
    fields = ("rep_id", "team_id", "month", "calls", "logged", "successes", "s", "p", "i", "n", "explicit_needs",
              "hidden_needs", "last_logged_at")
    totals: dict[tuple[int, int | None, date], CallTotals] = {}
    for row in qs.values_list(*fields):
        item = CallTotals(row[0], row[1] or None, *row[2:])
        totals[(item.rep_id, item.team_id, item.month)] = item
    extra = sorted(shared) if owners is not None else []
    if extra:  # calls shared with the actor from outside their owners: few, summed from the raw rows
        plans = CallPlan.objects.filter(logged_at__gte=since, logged_at__lt=until, activity__in=Activity.objects.filter(pk__in=extra)
                                        .exclude(owner_id__in=sorted(owners or ())).values("pk"))
        if team_id is not None:
            plans = plans.filter(activity__team_id=team_id)
        if user_id is not None:
            plans = plans.filter(activity__owner_id=user_id)
        for item in raw_totals(plans, zone):
            key = (item.rep_id, item.team_id, item.month)
            totals[key] = totals[key].plus(item) if key in totals else item
    return list(totals.values())


def call_totals(actor: User, *, start: date, end: date, team_id: int | None = None, user_id: int | None = None) -> list[CallTotals]:
    """Sums per (rep, team, month) of the logged calls the actor may see, logged between ``start``
    and ``end`` (inclusive days, the actor's zone). A constant number of queries."""
    zone, since, until = _bounds(actor, start, end)
    usable, owners = _owner_view(actor)
    months = _rollup_months(actor, zone, start, end) if usable else None
    shared = _shared_ids(actor, Activity) if months is not None else None
    if months is not None and shared is not None:
        return _rollup_totals(actor, months, owners, shared, zone=zone, since=since, until=until, team_id=team_id, user_id=user_id)
    plans = CallPlan.objects.filter(logged_at__gte=since, logged_at__lt=until,
                                    activity__in=visible_to(actor, Activity.objects.all()).values("pk"))
    if team_id is not None:
        plans = plans.filter(activity__team_id=team_id)
    if user_id is not None:
        plans = plans.filter(activity__owner_id=user_id)
    return raw_totals(plans, zone)


def team_call_sums(actor: User, *, teams: Any, start: date, end: date) -> tuple[int, int]:
    """(calls, N questions) logged on ``teams`` (ids or a subquery of ids) in the period, whoever may
    see them: a team average the rep compares themself with, without seeing the calls."""
    zone, since, until = _bounds(actor, start, end)
    months = _rollup_months(actor, zone, start, end)
    if months is not None:
        totals = CallQualityMonth.objects.filter(team_id__in=teams, month__gte=months[0], month__lte=months[1]).aggregate(
            calls=Sum("calls"), n=Sum("n"))
    else:
        totals = CallPlan.objects.filter(logged_at__gte=since, logged_at__lt=until, activity__team_id__in=teams,
                                         activity__owner__isnull=False).aggregate(calls=Count("id"), n=Sum("n_asked"))
    return int(totals["calls"] or 0), int(totals["n"] or 0)


def call_facts(actor: User, *, start: date, end: date, team_id: int | None = None, user_id: int | None = None) -> list[CallFacts]:
    """The logged calls themselves, one ``CallFacts`` each (exports and checks; the pages use
    ``call_totals``). Same selection as ``call_totals``."""
    zone, since, until = _bounds(actor, start, end)
    activities = visible_to(actor, Activity.objects.all())
    qs = CallPlan.objects.filter(logged_at__gte=since, logged_at__lt=until, activity__in=activities.values("pk"),
                                 activity__owner__isnull=False)
    if team_id is not None:
        qs = qs.filter(activity__team_id=team_id)
    if user_id is not None:
        qs = qs.filter(activity__owner_id=user_id)
    rows = qs.annotate(day=TruncDate("logged_at", tzinfo=zone)).values_list(
        "activity__owner_id", "activity__team_id", "day", "s_asked", "p_asked", "i_asked", "n_asked", "outcome",
        "explicit_needs", "hidden_needs")
    return [
        CallFacts(rep_id=rep, team_id=team, day=day, s=s, p=p, i=i, n=n, outcome=outcome or None,
                  explicit_needs=explicit, hidden_needs=hidden)
        for rep, team, day, s, p, i, n, outcome, explicit, hidden in rows
    ]


# --- reports -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepQuality:
    user_id: int
    name: str
    team_id: int | None
    quality: CallQuality


@dataclass(frozen=True)
class TeamQuality:
    team_id: int
    name: str
    quality: CallQuality


@dataclass(frozen=True)
class QualityReport:
    start: date
    end: date
    overall: CallQuality
    reps: list[RepQuality]
    teams: list[TeamQuality]


def _report(totals: list[CallTotals], start: date, end: date, *, people: Iterable[User] = (),
            known_teams: Iterable[Team] = ()) -> QualityReport:
    reps = totals_by_rep(totals)
    teams = totals_by_team(totals)
    latest_team = {rep_id: _latest_team(group) for rep_id, group in _grouped(totals, lambda r: r.rep_id).items()}
    names = {u.pk: str(u) for u in people if u.pk in reps}
    if set(reps) - set(names):
        names.update((u.pk, str(u)) for u in User.objects.filter(pk__in=sorted(set(reps) - set(names))))
    team_names = {t.pk: t.name for t in known_teams if t.pk in teams}
    if set(teams) - set(team_names):
        team_names.update(Team.objects.filter(pk__in=sorted(set(teams) - set(team_names))).values_list("pk", "name"))
    rep_rows = [RepQuality(rep_id, names.get(rep_id, ""), latest_team.get(rep_id), q) for rep_id, q in reps.items()]
    rep_rows.sort(key=lambda r: (-(r.quality.n_per_call or 0), r.name))
    team_rows = sorted((TeamQuality(t, team_names.get(t, ""), q) for t, q in teams.items()), key=lambda t: t.name)
    return QualityReport(start=start, end=end, overall=totals_quality(totals), reps=rep_rows, teams=team_rows)


def quality_report(actor: User, *, start: date, end: date, team_id: int | None = None, user_id: int | None = None) -> QualityReport:
    """Call quality per rep (with N questions against the team average) and per team, for the calls
    the actor may see. Reps are ordered by N questions per call, best first."""
    return _report(call_totals(actor, start=start, end=end, team_id=team_id, user_id=user_id), start, end)


def quality_trend(actor: User, *, start: date, end: date, team_id: int | None = None, user_id: int | None = None) -> list[tuple[date, CallQuality]]:
    """Monthly call quality (oldest first) of one rep, one team, or everything the actor sees.
    A rep's months compare them with their team, so the team's calls are read too."""
    return totals_trend(call_totals(actor, start=start, end=end, team_id=team_id), rep_id=user_id, team_id=team_id)


def dashboard_quality(actor: User, *, start: date, month_start: date, end: date, team_id: int | None = None,
                      user_id: int | None = None, people: Iterable[User] = (),
                      teams: Iterable[Team] = ()) -> tuple[QualityReport, list[tuple[date, CallQuality]]]:
    """The dashboard's two views from one read: ``quality_report`` from ``month_start`` (a month's
    first day) to ``end`` and ``quality_trend`` from ``start`` to ``end`` — the sums are per month,
    so the report's are the trend's last months. ``people`` and ``teams`` the page has already
    read name the rows without another query."""
    totals = call_totals(actor, start=start, end=end, team_id=team_id)
    current = [t for t in totals if t.month >= month_start and (user_id is None or t.rep_id == user_id)]
    report = _report(current, month_start, end, people=[*people, actor], known_teams=teams)
    return report, totals_trend(totals, rep_id=user_id, team_id=team_id)
