from __future__ import annotations

from datetime import UTC, datetime

import pytest

from guanxi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from guanxi.sales.activities import activity_create
from guanxi.sales.models import Activity, CallNeed, CallPlan
from guanxi.sales.spin import call_log, call_plan_create, call_plan_update, question_create, question_deactivate, question_library
from guanxi.sales.tests import activity_factories as f
from guanxi.users.visibility import visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(bob):
    return {
        "N": question_create(actor=bob, kind="N", text="如果交期缩短一半，对您意味着什么？", industry="制造业"),
        "S": question_create(actor=bob, kind="S", text="贵公司成立多少年了？"),
        "P": question_create(actor=bob, kind="P", text="现在的排产有什么难点？", industry="制造业"),
        "I": question_create(actor=bob, kind="I", text="延误会带来哪些损失？", industry="制造业"),
        "other": question_create(actor=bob, kind="S", text="门店有多少家？", industry="零售"),
    }


def test_question_library_is_ordered_spin_for_the_industry_and_managers_curate_it(carol, library):
    texts = [q.kind for q in question_library(carol, "制造业")]
    assert texts == ["S", "P", "I", "N"]
    with pytest.raises(PermissionDenied):
        question_create(actor=carol, kind="S", text="代表不能改题库")


def test_deactivated_questions_are_no_longer_offered(bob, carol, library):
    question_deactivate(actor=bob, question=library["S"])
    assert library["S"].pk not in {q.pk for q in question_library(carol, "制造业")}


def _call(actor, **extra):
    acct = f.account(actor)
    opp = f.opportunity(actor, acct=acct)
    return activity_create(actor=actor, data={"kind": "visit", "subject": "拜访王总", "opportunity_id": opp.pk, **extra})


def test_only_calls_and_visits_have_a_plan_and_only_one(carol, library):
    task = activity_create(actor=carol, data={"kind": "task", "subject": "写方案"})
    with pytest.raises(ValidationFailed):
        call_plan_create(actor=carol, activity=task, objective="x")
    visit = _call(carol)
    call_plan_create(actor=carol, activity=visit, objective="确认需求")
    with pytest.raises(Conflict):
        call_plan_create(actor=carol, activity=visit, objective="again")


def test_logging_a_call_creates_the_next_step_activity(carol, library):
    visit = _call(carol)
    plan = call_plan_create(actor=carol, activity=visit, objective="确认预算", questions=[
        {"library_question_id": library["S"].pk}, {"library_question_id": library["P"].pk},
        {"library_question_id": library["N"].pk}, {"kind": "I", "text": "停线一天损失多少？"}])
    questions = {q.kind: q for q in plan.questions.all()}
    plan = call_plan_update(actor=carol, plan=plan, version=plan.version, objective="确认预算和决策人")
    logged = call_log(
        actor=carol, plan=plan, version=plan.version,
        asked_question_ids=[questions["S"].pk, questions["P"].pk, questions["N"].pk],
        extra_asked=[{"kind": "N", "text": "如果解决了，谁会最高兴？"}],
        hidden_needs=["排产混乱"], explicit_needs=["需要排产系统", "三个月内上线"],
        outcome="advance",
        next_step={"kind": "meeting", "subject": "方案演示", "due_at": datetime(2026, 3, 10, 2, tzinfo=UTC)},
    )
    assert (logged.s_asked, logged.p_asked, logged.i_asked, logged.n_asked) == (1, 1, 0, 2)
    assert (logged.hidden_needs, logged.explicit_needs) == (1, 2)
    assert logged.outcome == "advance" and logged.logged_at is not None
    assert CallNeed.objects.filter(plan=logged).count() == 3
    step = Activity.objects.get(pk=logged.next_step_id)
    assert (step.kind, step.subject, step.opportunity_id, step.account_id) == ("meeting", "方案演示", visit.opportunity_id, visit.account_id)
    assert Activity.objects.get(pk=visit.pk).done_at is not None
    with pytest.raises(Conflict):
        call_plan_update(actor=carol, plan=logged, version=logged.version, objective="太晚了")


def test_a_call_plan_follows_its_activity_for_visibility(bob, carol, dave, library):
    plan = call_plan_create(actor=carol, activity=_call(carol), objective="x")
    assert visible_to(bob, CallPlan.objects.all()).filter(pk=plan.pk).exists()
    assert not visible_to(dave, CallPlan.objects.all()).filter(pk=plan.pk).exists()
    with pytest.raises(NotFound):
        call_log(actor=dave, plan=plan, version=plan.version, asked_question_ids=[], outcome="no_sale")


def test_asked_questions_must_belong_to_the_plan(carol, library):
    plan = call_plan_create(actor=carol, activity=_call(carol), objective="x")
    other = call_plan_create(actor=carol, activity=_call(carol), questions=[{"kind": "S", "text": "别的计划"}])
    with pytest.raises(ValidationFailed):
        call_log(actor=carol, plan=plan, version=plan.version, asked_question_ids=[other.questions.get().pk], outcome="order")
