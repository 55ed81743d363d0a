"""Call-quality metrics per rep and team (DOMAIN §2 SPIN; issue 5 item 6).

The figures come from ``guanxi.sales.metrics`` (pure functions); here we only read the logged call
plans in ONE query — restricted through ``visible_to`` on their activities, so a rep sees their own
calls and a manager their team's — and turn each row into a ``CallFacts``.

A call counts on the day it was logged (in the actor's time zone), for the activity's owner and the
team recorded on the activity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models.functions import TruncDate

from guanxi.sales.activities import day_bounds, user_zone
from guanxi.sales.metrics import CallFacts, CallQuality, by_rep, by_team, call_quality, monthly_trend
from guanxi.sales.models import Activity, CallPlan
from guanxi.users.models import Team, User
from guanxi.users.visibility import visible_to


def call_facts(actor: User, *, start: date, end: date, team_id: int | None = None, user_id: int | None = None) -> list[CallFacts]:
    """Logged calls the actor may see, logged between ``start`` and ``end`` (inclusive days)."""
    zone = user_zone(actor)
    since, _ = day_bounds(start, zone)
    until, _ = day_bounds(end + timedelta(days=1), zone)
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


def quality_report(actor: User, *, start: date, end: date, team_id: int | None = None, user_id: int | None = None) -> QualityReport:
    """Call quality per rep (with N questions against the team average) and per team, for the calls
    the actor may see. Reps are ordered by N questions per call, best first."""
    facts = call_facts(actor, start=start, end=end, team_id=team_id, user_id=user_id)
    reps = by_rep(facts)
    teams = by_team(facts)
    latest_team = {f.rep_id: f.team_id for f in sorted(facts, key=lambda f: f.day)}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=list(reps))}
    team_names = dict(Team.objects.filter(pk__in=list(teams)).values_list("pk", "name"))
    rep_rows = [RepQuality(rep_id, names.get(rep_id, ""), latest_team.get(rep_id), q) for rep_id, q in reps.items()]
    rep_rows.sort(key=lambda r: (-(r.quality.n_per_call or 0), r.name))
    team_rows = sorted((TeamQuality(t, team_names.get(t, ""), q) for t, q in teams.items()), key=lambda t: t.name)
    return QualityReport(start=start, end=end, overall=call_quality(facts), reps=rep_rows, teams=team_rows)


def quality_trend(actor: User, *, start: date, end: date, team_id: int | None = None, user_id: int | None = None) -> list[tuple[date, CallQuality]]:
    """Monthly call quality (oldest first) of one rep, one team, or everything the actor sees.
    A rep's months compare them with their team, so the team's calls are read too."""
    facts = call_facts(actor, start=start, end=end, team_id=team_id)
    return monthly_trend(facts, rep_id=user_id, team_id=team_id)
