"""Call quality from sums (issue 5 item 12): the formulas over ``CallTotals`` give what ``metrics``
gives over the calls themselves, and the rollup gives what the raw call plans give."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.audit.sharing import share_create
from guanxi.sales import metrics
from guanxi.sales.activities import activity_create
from guanxi.sales.metrics import OUTCOMES, SUCCESS_OUTCOMES, CallFacts
from guanxi.sales.models import CallPlan
from guanxi.sales.quality import (
    CallTotals,
    call_facts,
    call_totals,
    dashboard_quality,
    quality_report,
    quality_trend,
    totals_by_rep,
    totals_by_team,
    totals_quality,
    totals_trend,
)
from guanxi.sales.rollup_models import CallQualityMonth, CallRollupState
from guanxi.sales.rollups import rebuild
from guanxi.sales.spin import call_log, call_plan_create
from guanxi.sales.targets_math import add_months
from guanxi.users.models import User

SHANGHAI = ZoneInfo("Asia/Shanghai")


def as_totals(facts: list[CallFacts]) -> list[CallTotals]:
    """Sum calls per (rep, team, month) as the database does; a later call has a later time."""
    groups: dict[tuple[int, int | None, date], CallTotals] = {}
    for index, f in enumerate(facts):
        month = f.day.replace(day=1)
        at = datetime.combine(f.day, time.min, tzinfo=UTC) + timedelta(microseconds=index)
        one = CallTotals(f.rep_id, f.team_id, month, 1, 1 if f.outcome else 0, 1 if f.outcome in SUCCESS_OUTCOMES else 0,
                         f.s, f.p, f.i, f.n, f.explicit_needs, f.hidden_needs, at)
        key = (f.rep_id, f.team_id, month)
        groups[key] = groups[key].plus(one) if key in groups else one
    return list(groups.values())


small = st.integers(min_value=0, max_value=6)
facts_strategy = st.lists(
    st.builds(CallFacts, rep_id=st.integers(1, 4), team_id=st.one_of(st.none(), st.integers(1, 3)),
              day=st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 7, 31)), s=small, p=small, i=small, n=small,
              outcome=st.one_of(st.none(), st.sampled_from(OUTCOMES)), explicit_needs=small, hidden_needs=small),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(facts_strategy)
def test_formulas_over_sums_agree_with_metrics_over_calls(facts):
    totals = as_totals(facts)
    assert totals_quality(totals) == metrics.call_quality(facts)
    assert totals_by_team(totals) == metrics.by_team(facts)
    assert totals_by_rep(totals) == metrics.by_rep(facts)
    for rep_id in (None, 1):
        for team_id in (None, 1):
            assert totals_trend(totals, rep_id=rep_id, team_id=team_id) == metrics.monthly_trend(facts, rep_id=rep_id, team_id=team_id)


def test_a_rep_who_changed_team_is_compared_with_the_team_of_their_latest_call():
    facts = [CallFacts(1, 1, date(2025, 3, 1), 1, 0, 0, 2, "advance", 0, 0), CallFacts(1, 2, date(2025, 3, 20), 1, 0, 0, 1, "order", 0, 0),
             CallFacts(2, 2, date(2025, 3, 5), 1, 0, 0, 3, "no_sale", 0, 0)]
    rep = totals_by_rep(as_totals(facts))[1]
    assert rep == metrics.by_rep(facts)[1]
    assert str(rep.n_vs_team_average) == "0.7500"  # (3 N / 2 calls) ÷ (4 N / 2 calls of team 2, her latest)


# --- the database: rollup and raw rows ---------------------------------------------------------------


def _today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()  # the personas' zone


def _call(actor, kinds: str, outcome: str, *, explicit: int = 0, hidden: int = 0, months_ago: int = 0) -> CallPlan:
    activity = activity_create(actor=actor, data={"kind": "visit", "subject": "拜访"})
    plan = call_plan_create(actor=actor, activity=activity, questions=[{"kind": k, "text": f"问题{k}{i}"} for i, k in enumerate(kinds)])
    plan = call_log(actor=actor, plan=plan, version=plan.version, asked_question_ids=[q.pk for q in plan.questions.all()],
                    explicit_needs=[f"明确{i}" for i in range(explicit)], hidden_needs=[f"隐藏{i}" for i in range(hidden)],
                    outcome=outcome)
    if months_ago:  # logged in an earlier month (the rollup learns of it at the next rebuild)
        when = datetime.combine(add_months(_today().replace(day=1), -months_ago) + timedelta(days=3), time(10), tzinfo=SHANGHAI)
        CallPlan.objects.filter(pk=plan.pk).update(logged_at=when)
    return plan


def _raw_report(actor, *, start, end, team_id=None, user_id=None):
    """What metrics computes from the calls themselves, one row per call."""
    facts = call_facts(actor, start=start, end=end, team_id=team_id, user_id=user_id)
    return metrics.call_quality(facts), metrics.by_rep(facts), metrics.by_team(facts)


def _year(actor):
    today = _today()
    return add_months(today.replace(day=1), -11), today


def _uses_rollup(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, any("sales_callqualitymonth" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.django_db
def test_rollup_and_raw_rows_agree_for_every_persona(alice, bob, carol, dave, org):
    _call(carol, "SSPNNN", "advance", explicit=2, hidden=1)
    _call(carol, "SP", "no_sale", months_ago=1)
    _call(carol, "SPIN", "order", explicit=1, months_ago=5)
    _call(bob, "SNNN", "continuation", hidden=2, months_ago=2)
    shared = _call(dave, "SSN", "advance", explicit=1)
    _call(dave, "PPN", "order", months_ago=3)
    share_create(actor=alice, obj=shared.activity, user=bob)  # one of dave's calls is shared with bob
    bob = User.objects.get(pk=bob.pk)  # a new request: nothing cached from before the share
    assert CallRollupState.objects.count() == 0
    before = {}
    for actor in (alice, bob, carol, dave):
        start, end = _year(actor)
        report, used = _uses_rollup(lambda a=actor, s=start, e=end: quality_report(a, start=s, end=e))
        assert not used  # not built yet: the raw rows
        before[actor.pk] = (report, quality_trend(actor, start=start, end=end))

    assert rebuild() == {"rows": 6, "calls": 6}
    for actor in (alice, bob, carol, dave):
        start, end = _year(actor)
        (report, used) = _uses_rollup(lambda a=actor, s=start, e=end: quality_report(a, start=s, end=e))
        assert used
        overall, reps, teams = _raw_report(actor, start=start, end=end)
        assert report.overall == overall
        assert {r.user_id: r.quality for r in report.reps} == reps
        assert {t.team_id: t.quality for t in report.teams} == teams
        assert (report, quality_trend(actor, start=start, end=end)) == before[actor.pk]
        for user_id in {r.user_id for r in report.reps}:
            assert quality_trend(actor, start=start, end=end, user_id=user_id) == metrics.monthly_trend(
                call_facts(actor, start=start, end=end), rep_id=user_id)
    bob_report = quality_report(bob, start=_year(bob)[0], end=_today())
    assert {r.user_id for r in bob_report.reps} == {bob.pk, carol.pk, dave.pk}  # dave: the shared call only
    assert next(r for r in bob_report.reps if r.user_id == dave.pk).quality.calls == 1


@pytest.mark.django_db
def test_logging_a_call_keeps_the_rollup_equal_to_a_rebuild(bob, carol, org):
    _call(carol, "SPN", "advance", months_ago=1)
    rebuild()
    _call(carol, "SSPPNN", "order", explicit=2)
    _call(carol, "S", "no_sale", hidden=1)
    _call(bob, "SN", "continuation")
    fields = ("month", "rep_id", "team_id", "calls", "logged", "successes", "s", "p", "i", "n", "explicit_needs", "hidden_needs",
              "last_logged_at")
    kept = sorted(CallQualityMonth.objects.values_list(*fields))
    rebuild()
    assert sorted(CallQualityMonth.objects.values_list(*fields)) == kept
    today = _today()
    (report, trend), used = _uses_rollup(lambda: dashboard_quality(bob, start=_year(bob)[0], month_start=today.replace(day=1), end=today))
    assert used and report.overall == _raw_report(bob, start=today.replace(day=1), end=today)[0]
    assert [(m, q.calls) for m, q in trend] == [(add_months(today.replace(day=1), -1), 1), (today.replace(day=1), 3)]


@pytest.mark.django_db
def test_periods_the_rollup_cannot_answer_read_the_raw_rows(carol):
    _call(carol, "SPN", "advance")
    rebuild()
    today = _today()
    _, used = _uses_rollup(lambda: call_totals(carol, start=today.replace(day=1), end=today))
    assert used
    if today.day > 1:  # a period starting mid-month
        _, used = _uses_rollup(lambda: call_totals(carol, start=today.replace(day=2), end=today))
        assert not used
    carol.timezone = "Europe/Berlin"  # another zone than the rollup's months
    _, used = _uses_rollup(lambda: call_totals(carol, start=today.replace(day=1), end=today))
    assert not used


def test_the_rollup_is_rebuilt_by_a_daily_job():
    from guanxi.dataio.jobs import _PERIODIC, registered_kinds

    assert "sales.call_quality_rollup" in registered_kinds()
    assert _PERIODIC["sales.call_quality_rollup"] == timedelta(days=1)


ROLLUP_FIELDS = ("month", "rep_id", "team_id", "calls", "logged", "successes", "s", "p", "i", "n", "explicit_needs",
                 "hidden_needs", "last_logged_at")


def _rollup_rows():
    return sorted(CallQualityMonth.objects.values_list(*ROLLUP_FIELDS))


def _as_rebuilt():
    """What a rebuild would make of the calls now (then the rollup as it was, restored)."""
    kept = list(CallQualityMonth.objects.all())
    rebuild()
    rebuilt = _rollup_rows()
    CallQualityMonth.objects.all().delete()
    CallQualityMonth.objects.bulk_create(kept)
    return rebuilt


@pytest.mark.django_db
def test_deleting_restoring_or_moving_a_call_keeps_the_rollup_equal_to_a_rebuild(carol, dave, org):
    from guanxi.audit.lifecycle import record_restore, record_transfer
    from guanxi.sales.activities import activity_delete

    plan = _call(carol, "SPN", "advance")
    _call(carol, "SN", "order", explicit=1)
    _call(carol, "S", "no_sale", months_ago=1)
    rebuild()
    month_start, today = _today().replace(day=1), _today()

    activity_delete(actor=carol, activity=plan.activity)
    assert _rollup_rows() == _as_rebuilt()
    assert quality_report(carol, start=month_start, end=today).overall.calls == 1  # at once, not at the nightly rebuild
    assert quality_report(carol, start=month_start, end=today).overall == metrics.call_quality(call_facts(carol, start=month_start, end=today))

    record_restore(actor=carol, obj=plan.activity)
    assert _rollup_rows() == _as_rebuilt()
    assert quality_report(carol, start=month_start, end=today).overall.calls == 2

    activity = type(plan.activity).objects.get(pk=plan.activity_id)
    record_transfer(actor=carol, obj=activity, new_owner=dave)
    assert _rollup_rows() == _as_rebuilt()
    assert quality_report(carol, start=month_start, end=today).overall.calls == 1
    assert CallQualityMonth.objects.filter(rep_id=dave.pk, month=month_start).get().calls == 1
