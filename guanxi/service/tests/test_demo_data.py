"""Service demo data (issue 6 item 12): complaints, follow-up visits and surveys that tell a story,
written fast, with the procedure's records in place and the rollups built."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q

from guanxi.customers.classify import recompute_all
from guanxi.customers.demo_data import Owner
from guanxi.customers.demo_data import generate as generate_accounts
from guanxi.service import analysis, complaint_flow, demo_data
from guanxi.service.dashboard_data import service_dashboard
from guanxi.service.models import (
    Complaint,
    ComplaintEvent,
    FollowUpVisit,
    RollupState,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
)

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 12, 20, 16, 30, tzinfo=SH)
YEAR = analysis.AnalysisFilter(start=date(2025, 1, 1), end=date(2025, 12, 20))


@pytest.fixture
def seeded(org):
    owners = [Owner(org.users[u].pk, None, org.users[u].department_id) for u in ("carol", "dave", "bob")]
    generate_accounts(accounts=250, owners=owners, seed=5, orders_per_account=4, today=NOW.date())
    recompute_all()
    counts = demo_data.generate(org=org, complaints=1000, responses=700, seed=11, now=NOW)
    return org, counts


def test_it_writes_every_kind_of_row_with_the_procedures_records_and_builds_the_rollups(seeded):
    _org, counts = seeded
    assert counts["complaints"] == Complaint.objects.count() == 1000
    assert counts["responses"] == SurveyResponse.objects.count() == 700
    assert 4 * 700 <= SurveyAnswer.objects.count() == counts["answers"] <= 6 * 700
    assert SurveyInvitation.objects.filter(state="answered").count() == 700 < SurveyInvitation.objects.count()
    assert ComplaintEvent.objects.count() > 3 * 1000 and FollowUpVisit.objects.count() == counts["follow_ups"] > 500
    assert set(RollupState.objects.values_list("name", flat=True)) == {"complaints", "answers"}
    numbers = list(Complaint.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 1000 and all(n.startswith(("TS-2024-", "TS-2025-")) for n in numbers)
    assert not Complaint.objects.filter(opened_at__gt=NOW).exists() and not SurveyResponse.objects.filter(answered_at__gt=NOW).exists()
    # Each complaint carries the records its state requires (the procedure of complaint_flow).
    for c in Complaint.objects.all():
        states = complaint_flow.STATES[1: complaint_flow.STATES.index(c.state) + 1]
        needed = {f for s in states for f in complaint_flow.required_records(s)} - {"responsible_department", "responsible_person"}
        if c.override_reason:
            needed.discard("customer_confirmation")
        assert all(not complaint_flow.is_blank(getattr(c, f)) for f in needed), (c.state, c.number)
        if c.state not in ("new", "acknowledged"):
            assert c.responsible_department_id and c.responsible_person_id
        assert c.sla_policy_id and c.respond_by and c.resolve_by > c.opened_at
        assert (c.state in ("resolved", "confirmed", "closed")) == (c.resolved_at is not None)


def test_the_complaints_tell_a_story(seeded):
    org, _counts = seeded
    by_type = Counter(Complaint.objects.values_list("complaint_type__code", flat=True))
    assert {t for t, _ in by_type.most_common(2)} == {"quality", "operation"} and by_type["misconduct"] < by_type["attitude"]
    per_account = sorted(Complaint.objects.values("account_id").annotate(n=Count("id")).values_list("n", flat=True), reverse=True)
    assert sum(per_account[: len(per_account) // 20]) > 0.25 * sum(per_account)  # a few accounts complain far more
    late = Q(resolved_at__gt=F("resolve_by"))
    resolved = Complaint.objects.filter(resolved_at__isnull=False)
    operation = resolved.filter(complaint_type__code="operation")
    assert operation.filter(late).count() / operation.count() > resolved.filter(late).count() / resolved.count() > 0.05
    compensated = Complaint.objects.filter(compensation__gt=0)
    assert compensated.count() > 50 and compensated.filter(compensation__gt=Decimal(5000)).exists()
    assert Complaint.objects.filter(reopen_count__gt=0).exists() and Complaint.objects.exclude(override_reason="").exists()
    dashboard = service_dashboard(org.users["alice"], start=YEAR.start, end=YEAR.end, now=NOW)
    assert dashboard.churn_signals and dashboard.churn_signals[0].overdue_complaints >= 2
    assert 60 < dashboard.resolution_compliance < 95 and dashboard.reopen_rate
    # Follow-up visits: mostly done with an outcome, some overdue.
    visits = FollowUpVisit.objects.all()
    done = visits.filter(done_at__isnull=False)
    assert done.count() > 0.6 * visits.count() and visits.filter(done_at__isnull=True, due_at__lt=NOW).exists()
    assert set(done.values_list("outcome", flat=True)) >= {"satisfied", "neutral", "dissatisfied"}
    assert visits.filter(trigger="key_account_event").exists()


def test_delivery_time_is_the_key_experience_to_fix_first(seeded):
    alice = seeded[0].users["alice"]
    ranking = analysis.key_experience(alice, YEAR)
    assert ranking[0].item == "delivery_time" and ranking[0].dimension == "convenience"
    assert ranking[0].score > Decimal("1.4") * ranking[1].score
    zone = {z.item: z for z in analysis.tolerance_zone(alice, YEAR)}
    assert zone["delivery_time"].flagged and not zone["quality"].flagged
    gaps = analysis.gaps(alice, YEAR, by="dimension")
    assert min(gaps, key=lambda d: gaps[d].mean_gap) == "convenience" and gaps["product"].mean_gap > 0
    segments = analysis.gaps(alice, YEAR, by="segment")
    assert segments["key"].mean_expectation > segments["general"].mean_expectation  # 主力 customers expect more
    scores = analysis.scores(alice, YEAR)
    assert 40 < scores.csat < 95 and -60 < scores.nps < 60


def test_seed_demo_adds_service_data(org):
    out = StringIO()
    call_command("seed_demo", "--accounts", "40", "--opportunities-per-account", "0.2", "--activities-per-opportunity", "1", stdout=out)
    assert "complaints" in out.getvalue()
    assert Complaint.objects.count() == round(0.3 * 40) and SurveyResponse.objects.count() == round(0.8 * 40)
