"""SPIN call planning and logging pages and the question library (issue 5 item 5)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.sales.activities import activity_create
from guanxi.sales.models import Activity, CallPlan, SpinQuestion
from guanxi.sales.spin import call_plan_create, question_create
from guanxi.sales.tests import activity_factories as f

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _library(alice):
    return {
        "s_bank": question_create(actor=alice, kind="S", text="贵行现在有多少网点？", industry="银行"),
        "p_any": question_create(actor=alice, kind="P", text="现在的系统哪里让您不满意？"),
        "n_bank": question_create(actor=alice, kind="N", text="如果审批缩短一半，对贵行意味着什么？", industry="银行"),
        "s_retail": question_create(actor=alice, kind="S", text="门店有多少家？", industry="零售"),
    }


def test_rep_plans_spin_call_from_library_and_logs_outcome_creating_next_step(client, alice, carol):
    lib = _library(alice)
    opp = f.opportunity(carol, acct=f.account(carol, industry="银行"))
    c = _login(client, carol)
    url = reverse("sales:call_plan_create") + f"?opportunity={opp.pk}"
    page = c.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    # The library is filtered by the account's industry (and questions for every industry), grouped S/P/I/N.
    assert lib["s_bank"].text in html and lib["p_any"].text in html and lib["s_retail"].text not in html
    assert [g["kind"] for g in page.context["groups"]] == ["S", "P", "I", "N"]
    assert 'name="library_questions"' in html and 'for="id_custom_N"' in html
    r = c.post(url, {
        "kind": "visit", "subject": "拜访张行长", "due_at": "2026-06-01T10:00", "objective": "确认审批痛点",
        "library_questions": [lib["s_bank"].pk, lib["p_any"].pk, lib["n_bank"].pk],
        "custom_I": "审批慢会不会影响客户流失？\n",
    })
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    plan = CallPlan.objects.get(activity__subject="拜访张行长")
    assert plan.activity.opportunity_id == opp.pk and plan.activity.account_id == opp.account_id
    assert [(q.kind, q.text) for q in plan.questions.all()] == [
        ("S", lib["s_bank"].text), ("P", lib["p_any"].text), ("N", lib["n_bank"].text), ("I", "审批慢会不会影响客户流失？")]

    log_url = reverse("sales:call_plan_log", kwargs={"pk": plan.pk})
    page = c.get(log_url)
    assert page.status_code == 200 and 'name="asked"' in page.content.decode()
    asked = [q.pk for q in plan.questions.all() if q.kind in "PN"]
    r = c.post(log_url, {
        "version": plan.version, "asked": asked, "extra_N": "节省的人力能用在哪里？", "extra_S": "",
        "hidden_needs": "审批太慢", "explicit_needs": "三个月内上线新审批系统\n需要与核心系统对接",
        "outcome": "advance", "next_kind": "meeting", "next_subject": "方案演示", "next_due_at": "2026-06-08T14:00",
    })
    assert r.status_code == 302
    plan.refresh_from_db()
    assert (plan.outcome, plan.s_asked, plan.p_asked, plan.i_asked, plan.n_asked, plan.hidden_needs, plan.explicit_needs) == (
        "advance", 0, 1, 0, 2, 1, 2)
    assert plan.activity.done_at is not None or Activity.objects.get(pk=plan.activity_id).done_at is not None
    step = plan.next_step
    assert step is not None and (step.kind, step.subject, step.opportunity_id) == ("meeting", "方案演示", opp.pk)
    detail = c.get(reverse("sales:activity_detail", kwargs={"pk": plan.activity_id})).content.decode()
    assert "方案演示" in detail and "三个月内上线新审批系统" in detail
    # Logged once: the log page now sends back to the activity.
    assert c.get(log_url).status_code == 302


def test_call_log_without_outcome_shows_the_error_and_logs_nothing(client, carol):
    visit = activity_create(actor=carol, data={"kind": "call", "subject": "电话"})
    plan = call_plan_create(actor=carol, activity=visit, questions=[{"kind": "S", "text": "背景？"}])
    r = _login(client, carol).post(reverse("sales:call_plan_log", kwargs={"pk": plan.pk}), {"version": plan.version})
    assert r.status_code == 200 and r.context["form"].errors["outcome"]
    plan.refresh_from_db()
    assert plan.logged_at is None


def test_grace_cannot_log_a_call(client, carol, dave, grace):
    visit = activity_create(actor=carol, data={"kind": "visit", "subject": "拜访"})
    plan = call_plan_create(actor=carol, activity=visit, questions=[{"kind": "S", "text": "背景？"}])
    url = reverse("sales:call_plan_log", kwargs={"pk": plan.pk})
    body = {"version": plan.version, "outcome": "order", "asked": [plan.questions.get().pk]}
    assert _login(client, grace).get(url).status_code == 403
    assert client.post(url, body).status_code == 403
    assert client.get(reverse("sales:call_plan_create") + f"?activity={visit.pk}").status_code == 403
    assert _login(client, dave).post(url, body).status_code == 404
    assert client.get(reverse("sales:call_plan_create") + f"?activity={visit.pk}").status_code == 404
    plan.refresh_from_db()
    assert plan.logged_at is None and plan.outcome == ""


def test_plan_for_an_existing_call_and_not_for_a_task(client, carol):
    call = activity_create(actor=carol, data={"kind": "call", "subject": "回访电话"})
    task = activity_create(actor=carol, data={"kind": "task", "subject": "写报告"})
    c = _login(client, carol)
    url = reverse("sales:call_plan_create") + f"?activity={call.pk}"
    page = c.get(url)
    assert "subject" not in page.context["form"].fields  # the activity exists already
    assert c.post(url, {"objective": "了解现状", "custom_S": "现在用什么系统？"}).status_code == 302
    assert CallPlan.objects.get(activity=call).questions.get().text == "现在用什么系统？"
    r = c.post(reverse("sales:call_plan_create") + f"?activity={task.pk}", {"custom_S": "？"})
    assert r.status_code == 200 and r.context["form"].non_field_errors()  # only calls and visits have a plan
    assert not CallPlan.objects.filter(activity=task).exists()


def test_managers_curate_the_library_and_reps_only_read_it(client, bob, carol):
    c = _login(client, bob)
    assert c.post(reverse("sales:spin_library"), {"kind": "I", "text": "停机一天损失多少？", "industry": "制造"}).status_code == 302
    question = SpinQuestion.objects.get(text="停机一天损失多少？")
    r = c.post(reverse("sales:spin_question_edit", kwargs={"pk": question.pk}),
               {"kind": "I", "text": "停机一小时损失多少？", "industry": "制造", "active": "on"})
    assert r.status_code == 302
    c.post(reverse("sales:spin_question_deactivate", kwargs={"pk": question.pk}))
    question.refresh_from_db()
    assert (question.text, question.active) == ("停机一小时损失多少？", False)

    rep = _login(client, carol)
    page = rep.get(reverse("sales:spin_library"))
    assert page.status_code == 200 and "停机一小时损失多少？" not in page.content.decode()  # inactive: not offered
    assert rep.post(reverse("sales:spin_library"), {"kind": "S", "text": "代表加的？"}).status_code == 403
    assert rep.get(reverse("sales:spin_question_edit", kwargs={"pk": question.pk})).status_code == 403
    assert rep.post(reverse("sales:spin_question_deactivate", kwargs={"pk": question.pk})).status_code == 403
    assert not SpinQuestion.objects.filter(text="代表加的？").exists()
