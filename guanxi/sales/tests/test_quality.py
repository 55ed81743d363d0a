from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from guanxi.sales.activities import activity_create
from guanxi.sales.quality import quality_report, quality_trend
from guanxi.sales.spin import call_log, call_plan_create

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).date()  # the personas' zone


def _logged_call(actor, *, kinds: str, outcome: str, explicit: int = 0):
    visit = activity_create(actor=actor, data={"kind": "call", "subject": "电话"})
    plan = call_plan_create(actor=actor, activity=visit, questions=[{"kind": k, "text": f"问题{k}{i}"} for i, k in enumerate(kinds)])
    return call_log(actor=actor, plan=plan, version=plan.version, asked_question_ids=[q.pk for q in plan.questions.all()],
                    explicit_needs=[f"需求{i}" for i in range(explicit)], outcome=outcome)


def test_manager_sees_team_call_quality_rep_sees_only_own(bob, carol, dave, org):
    # carol: 2 calls, S S P N N N / S P — P:S = 2/3, N per call = 1.5, one advance one no sale.
    _logged_call(carol, kinds="SSPNNN", outcome="advance", explicit=2)
    _logged_call(carol, kinds="SP", outcome="no_sale")
    _logged_call(dave, kinds="SN", outcome="order")
    today = _today()
    report = quality_report(bob, start=today.replace(day=1), end=today)
    assert [r.user_id for r in report.reps] == [carol.pk]
    q = report.reps[0].quality
    assert (q.calls, q.p_to_s_ratio, q.n_per_call, q.advance_rate, q.explicit_needs_per_call) == (
        2, Decimal("0.6667"), Decimal("1.5000"), Decimal("0.5000"), Decimal("1.0000"))
    assert q.n_vs_team_average == Decimal("1.0000")  # she is the only one in East with calls
    assert [t.team_id for t in report.teams] == [org.team_east.pk]
    own = quality_report(dave, start=today, end=today)
    assert [r.user_id for r in own.reps] == [dave.pk]
    assert quality_report(carol, start=today, end=today).overall.calls == 2


def test_call_quality_trend_is_monthly(carol):
    _logged_call(carol, kinds="SPN", outcome="advance")
    today = _today()
    trend = quality_trend(carol, start=today.replace(day=1), end=today, user_id=carol.pk)
    assert [(m, q.calls) for m, q in trend] == [(today.replace(day=1), 1)]
