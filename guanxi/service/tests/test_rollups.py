"""Rollups (issue 6 item 12): the dashboard and the analysis read through the rollups give exactly
what the raw rows give, whatever was written since (creations, edits, reopenings, the trash, hard
deletes), and after a full rebuild; the rebuild is a registered daily job."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.audit import lifecycle
from guanxi.service import analysis, rollup_rebuild, rollups
from guanxi.service import satisfaction as sat
from guanxi.service.dashboard_data import service_dashboard
from guanxi.service.models import (
    AnswerRollup,
    Complaint,
    ComplaintResolveHistogram,
    ComplaintRollup,
    ComplaintType,
    ResponseRollup,
    RollupState,
)
from guanxi.service.tests import survey_factories as f
from guanxi.users.models import Department

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 12, 20, 15, tzinfo=SH)
PERIODS = [
    (date(2025, 1, 1), date(2025, 12, 31)),  # a calendar year: month rows only
    (date(2025, 1, 15), date(2025, 12, 20)),  # partial months at both ends
    (date(2025, 3, 1), date(2025, 3, 31)),  # one month
    (date(2025, 3, 10), date(2025, 3, 10)),  # one day
    (date(2025, 2, 27), date(2025, 4, 2)),  # edges around one whole month
    (date(2025, 3, 2), date(2025, 3, 30)),  # one month minus a day at each end
]


def _types() -> list[ComplaintType]:
    return list(ComplaintType.objects.order_by("pk")[:4])


def _complaints(org, rng: random.Random, n: int) -> list[Complaint]:
    users = org.users
    extra = Department.objects.create(name="物流部 Logistics", parent=org.hq)
    departments = [None, users["erin"].department, org.sales, extra]
    accounts = [f.account(users[u]) for u in ("carol", "dave", "carol")]
    made = []
    for i in range(n):
        # Around midnight in Shanghai and at month ends, so days and months are cut in the right zone.
        opened = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.choice((0, 7, 15, 23)), rng.randint(0, 59),
                          rng.randint(0, 59), rng.randint(0, 999_999), tzinfo=SH)
        if i % 7 == 0:
            opened = datetime(2025, rng.randint(1, 11), 1, 0, 0, 30, tzinfo=SH) - timedelta(minutes=1)  # last minute of a month
        fields = {"opened_at": opened, "complaint_type": rng.choice(_types()), "channel": rng.choice(("phone", "web", "wechat")),
                  "responsible_department": rng.choice(departments), "reopen_count": rng.choice((0, 0, 0, 1, 2))}
        if rng.random() < 0.8:
            fields["respond_by"] = opened + timedelta(hours=rng.randint(1, 8))
            if rng.random() < 0.8:
                fields["responded_at"] = opened + timedelta(minutes=rng.randint(5, 600), microseconds=rng.randint(0, 999_999))
        if rng.random() < 0.85:
            fields["resolve_by"] = opened + timedelta(hours=rng.randint(8, 72))
        if rng.random() < 0.7:
            fields["resolved_at"] = opened + timedelta(seconds=rng.randint(600, 200 * 3600), microseconds=rng.randint(0, 999_999))
        made.append(f.complaint(users["erin"], rng.choice(accounts), **fields))
    return made


def _edit(org, rng: random.Random, made: list[Complaint]) -> None:
    """Every way a complaint's counted fields change after it was written."""
    alice = org.users["alice"]
    for c in made[:6]:  # through the audited services: resolve, reopen, retype
        changes: dict[str, object] = {"resolved_at": c.opened_at + timedelta(hours=rng.randint(1, 90))} if c.resolved_at is None else {
            "resolved_at": None, "reopen_count": c.reopen_count + 1}
        changes["complaint_type"] = rng.choice(_types())
        lifecycle.record_update(actor=alice, obj=c, version=None, changes=changes)
    made[6].opened_at = made[6].opened_at - timedelta(days=40)  # moved to another month
    made[6].save()
    made[7].channel = "email"
    made[7].save(update_fields=["channel"])  # only this field written
    made[8].owner = org.users["carol"]
    made[8].save(update_fields=["owner"])  # nothing counted changes
    lifecycle.record_delete(actor=alice, obj=made[9])
    lifecycle.record_delete(actor=alice, obj=made[10])
    lifecycle.record_restore(actor=alice, obj=Complaint.all_objects.get(pk=made[10].pk))
    Complaint.all_objects.get(pk=made[11].pk).delete()  # purged
    Department.objects.filter(name="物流部 Logistics").delete()  # SET_NULL on complaints, without their save()


def _responses(org, rng: random.Random, n: int) -> None:
    users = org.users
    s1 = f.survey(users["bob"], items=(("delivery", "convenience"), ("quality", "product"), ("price", "price")), scale_max=10)
    s2 = f.survey(users["bob"], items=(("delivery", "convenience"), ("attitude", "service")))
    accounts = [f.account(users["carol"], tier=t) for t in ("key", "general", None)] + [f.account(users["dave"], tier="key")]
    for i in range(n):
        survey = s1 if i % 3 else s2
        ratings = {}
        top = 100 if survey is s1 else 70
        for item in survey.items.all():
            values = {k: rng.choice([None, str(Decimal(rng.randint(10, top)) / 10)]) for k in
                      ("expectation", "desired", "adequate", "importance")}
            values["experience"] = str(Decimal(rng.randint(10, top)) / 10)
            ratings[item.code] = {k: v for k, v in values.items() if v is not None}
        at = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.choice((0, 12, 23)), rng.randint(0, 59), tzinfo=SH)
        f.respond(survey, accounts[i % 4], ratings, nps=rng.choice([None, *range(11)]), csat=rng.choice([None, 1, 2, 3, 4, 5]), at=at)


def _everything(actor) -> list[object]:
    results: list[object] = []
    for start, end in PERIODS:
        results.append(service_dashboard(actor, start=start, end=end, now=NOW))
        flt = analysis.AnalysisFilter(start=start, end=end)
        for by in ("item", "dimension", "segment", "month"):
            results.append(analysis.gaps(actor, flt, by=by))
        results += [analysis.key_experience(actor, flt), analysis.tolerance_zone(actor, flt), analysis.scores(actor, flt),
                    analysis.trend(actor, flt), analysis.trend(actor, flt, dimension="convenience"),
                    analysis.trend(actor, flt, item="quality")]
        for segment in ("key", ""):
            narrow = analysis.AnalysisFilter(start=start, end=end, segment=segment)
            results += [analysis.gaps(actor, narrow, by="item"), analysis.scores(actor, narrow)]
    return results


def _raw(actor) -> list[object]:
    states = list(RollupState.objects.all())
    RollupState.objects.all().delete()
    try:
        return _everything(actor)
    finally:
        for s in states:
            s.save()


def _tables() -> dict[str, object]:
    def rows(model, keys, measures):
        return {tuple(r[k] for k in keys) + tuple(Decimal(r[m]).quantize(Decimal("0.1")) for m in measures)
                for r in model.objects.values(*keys, *measures) if any(r[m] for m in measures)}

    def complaint_rows():
        # A deleted department's rows read as "no department" (its complaints were cleared without a save).
        alive = set(Department.objects.values_list("pk", flat=True))
        merged: dict[tuple[object, ...], list[int]] = {}
        for r in ComplaintRollup.objects.values(*rollups.C_KEYS, *rollups.C_MEASURES):
            key = tuple(r[k] if k != "department_id" or r[k] in alive else 0 for k in rollups.C_KEYS)
            acc = merged.setdefault(key, [0] * len(rollups.C_MEASURES))
            for i, m in enumerate(rollups.C_MEASURES):
                acc[i] += r[m]
        return {k: v for k, v in merged.items() if any(v)}
    return {"c": complaint_rows(),
            "h": rows(ComplaintResolveHistogram, rollups.H_KEYS, rollups.H_MEASURES),
            "a": rows(AnswerRollup, rollups.A_KEYS, rollups.A_MEASURES),
            "r": rows(ResponseRollup, rollups.R_KEYS, rollups.R_MEASURES)}


@pytest.fixture
def world(org):
    rng = random.Random(12)
    made = _complaints(org, rng, 90)
    _edit(org, rng, made)
    _responses(org, rng, 60)
    return org


def test_a_fresh_database_starts_with_complete_rollups(org):
    assert set(RollupState.objects.values_list("name", "zone")) == {("complaints", "Asia/Shanghai"), ("answers", "Asia/Shanghai")}


def test_rollups_kept_by_every_write_equal_the_raw_rows(world):
    alice = world.users["alice"]
    with timezone.override(SH):
        through_rollups = _everything(alice)
        assert through_rollups == _raw(alice)
    first = through_rollups[0]
    assert first.total > 50 and first.resolved and first.median_hours_to_resolve and len(first.by_department) >= 3
    assert through_rollups[1]  # gaps by item


def test_the_rollup_path_is_taken_for_those_who_see_everything(world, django_assert_max_num_queries):
    alice = world.users["alice"]
    start, end = PERIODS[1]
    flt = analysis.AnalysisFilter(start=start, end=end)
    assert ComplaintRollup.objects.exists() and AnswerRollup.objects.exists()
    with CaptureQueriesContext(connection) as seen:
        analysis.gaps(alice, flt, by="item")
    assert "service_answerrollup" in seen[0]["sql"] and len(seen) == 1
    with CaptureQueriesContext(connection) as seen:
        service_dashboard(alice, start=start, end=end, now=NOW)
    sql = " ".join(q["sql"] for q in seen)
    assert "service_complaintrollup" in sql and "service_complaintresolvehistogram" in sql and len(seen) <= 9
    # carol sees only her accounts' answers and the complaints she may see: the raw rows.
    with CaptureQueriesContext(connection) as seen:
        analysis.gaps(world.users["carol"], flt, by="item")
    assert "rollup" not in " ".join(q["sql"] for q in seen)


def test_a_full_rebuild_gives_the_same_tables_and_results(world):
    alice = world.users["alice"]
    before = _tables()
    incremental = _everything(alice)
    ComplaintRollup.objects.update(n=0)  # damage: the rebuild must not depend on what is there
    AnswerRollup.objects.all().delete()
    counted = rollup_rebuild.rebuild()
    assert counted["complaints"] == Complaint.objects.count() and counted["answers"] > 100
    assert _tables() == before
    assert _everything(alice) == incremental


def test_a_rebuild_in_another_zone_is_not_read_in_the_old_one(world, settings):
    alice = world.users["alice"]
    flt = analysis.AnalysisFilter(start=date(2025, 1, 1), end=date(2025, 12, 31))
    expected = analysis.gaps(alice, flt, by="month")
    settings.TIME_ZONE = "Europe/London"
    rollup_rebuild.rebuild()
    assert set(RollupState.objects.values_list("zone", flat=True)) == {"Europe/London"}
    # alice reads in Shanghai: the rollups (now in London days) are not hers; the raw rows are.
    assert analysis.gaps(alice, flt, by="month") == expected
    assert analysis.gaps(alice, flt, by="month") == sat.aggregate_gaps(analysis.load_ratings(alice, flt), "month")


def test_a_reader_in_another_zone_gets_the_raw_rows(world):
    alice = world.users["alice"]
    alice.timezone = "America/New_York"
    flt = analysis.AnalysisFilter(start=date(2025, 1, 1), end=date(2025, 6, 30))
    assert analysis.gaps(alice, flt, by="month") == sat.aggregate_gaps(analysis.load_ratings(alice, flt), "month")
    assert analysis.key_experience(alice, flt) == sat.key_experience(analysis.load_ratings(alice, flt))


def test_an_unbuilt_family_reads_the_raw_rows_until_the_nightly_job_builds_it(world):
    from guanxi.dataio.jobs import _HANDLERS, _PERIODIC, job_start, run
    from guanxi.dataio.models import Job

    alice = world.users["alice"]
    expected = _everything(alice)
    RollupState.objects.all().delete()
    ComplaintRollup.objects.all().delete()
    AnswerRollup.objects.all().delete()
    assert _everything(alice) == expected  # raw
    assert _HANDLERS[rollup_rebuild.REBUILD_JOB] is rollup_rebuild.rollups_rebuild_job
    assert _PERIODIC[rollup_rebuild.REBUILD_JOB] == timedelta(days=1)
    job = job_start(actor=None, kind=rollup_rebuild.REBUILD_JOB)
    run(str(job.pk))
    job.refresh_from_db()
    assert job.state == "succeeded", job.message
    assert RollupState.objects.count() == 2 and ComplaintRollup.objects.exists()
    assert _everything(alice) == expected
    assert Job.objects.get(pk=job.pk).checkpoint[0] == "answers"


def test_period_split_into_months_and_edge_days():
    m, d = rollups.MONTH, rollups.DAY
    year = rollups.split_period(date(2025, 1, 1), date(2025, 12, 31))
    assert len(year) == 12 and {(g, sign) for g, _lo, _hi, sign in year} == {(m, 1)}
    assert rollups.split_period(date(2025, 1, 15), date(2025, 3, 3)) == [
        (m, date(2025, 1, 1), date(2025, 2, 1), 1), (d, date(2025, 1, 1), date(2025, 1, 15), -1),  # fewer days left out
        (m, date(2025, 2, 1), date(2025, 3, 1), 1), (d, date(2025, 3, 1), date(2025, 3, 4), 1)]
    assert rollups.split_period(date(2025, 3, 2), date(2025, 3, 30)) == [
        (m, date(2025, 3, 1), date(2025, 4, 1), 1), (d, date(2025, 3, 1), date(2025, 3, 2), -1), (d, date(2025, 3, 31), date(2025, 4, 1), -1)]
    assert rollups.split_period(date(2024, 12, 31), date(2025, 1, 31)) == [
        (d, date(2024, 12, 31), date(2025, 1, 1), 1), (m, date(2025, 1, 1), date(2025, 2, 1), 1)]
    # "The last 12 months": the current month is its month row minus the days still to come.
    assert rollups.split_period(date(2025, 1, 1), date(2025, 12, 20))[-1] == (d, date(2025, 12, 21), date(2026, 1, 1), -1)
