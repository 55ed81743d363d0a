"""Approval pages: bob's inbox, the request page with the decision form, carol's requests, and the
administrators' flow page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.approvals import services
from guanxi.approvals.models import ApprovalFlow

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _submit(carol, account, action):
    return services.approval_submit(actor=carol, action=action, obj=account, payload={"compensation": "8000"},
                                    summary="赔偿 ¥8,000")


def test_inbox_shows_what_waits_for_me_and_what_i_asked(client, carol, bob, account, action, make_flow):
    make_flow()
    request = _submit(carol, account, action)
    html = _login(client, bob).get(reverse("approvals:inbox")).content.decode()
    assert "赔偿 ¥8,000" in html and reverse("approvals:request_detail", args=[request.pk]) in html
    r = _login(client, carol).get(reverse("approvals:inbox"))
    assert r.context["page"].items == [] and r.context["mine"] == [request]
    assert 'aria-current="page"' in r.content.decode()


def test_approver_decides_on_the_request_page(client, carol, bob, account, action, make_flow, calls, django_assert_max_num_queries):
    make_flow()
    request = _submit(carol, account, action)
    client = _login(client, bob)
    with django_assert_max_num_queries(25):
        r = client.get(reverse("approvals:request_detail", args=[request.pk]))
    html = r.content.decode()
    assert f"客户 {account.name}" in html and "compensation" in html and 'data-testid="decision-form"' in html
    r = client.post(reverse("approvals:request_decide", args=[request.pk]), {"decision": "return", "comment": ""})
    assert r.status_code == 422 and r.context["form"].errors["comment"]
    r = client.post(reverse("approvals:request_decide", args=[request.pk]), {"decision": "return", "comment": "请补充发票"})
    assert r.status_code == 302 and calls == [("returned", request.pk)]
    html = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert "请补充发票" in html and 'data-testid="decision-form"' not in html


def test_requester_sees_no_decision_form_but_may_cancel(client, carol, account, action, make_flow):
    make_flow()
    request = _submit(carol, account, action)
    client = _login(client, carol)
    html = client.get(reverse("approvals:request_detail", args=[request.pk])).content.decode()
    assert 'data-testid="decision-form"' not in html
    assert client.post(reverse("approvals:request_decide", args=[request.pk]), {"decision": "approve"}).status_code == 403
    assert client.post(reverse("approvals:request_cancel", args=[request.pk])).status_code == 302
    assert not services.is_locked(account)


def test_outsider_gets_404(client, carol, dave, account, action, make_flow):
    make_flow()
    request = _submit(carol, account, action)
    assert _login(client, dave).get(reverse("approvals:request_detail", args=[request.pk])).status_code == 404


def test_administrator_creates_a_flow_on_the_flows_page(client, alice, action):
    client = _login(client, alice)
    r = client.post(reverse("approvals:flows"), {
        "action": action, "name": "大额赔偿", "priority": "0", "active": "on",
        "cond_field": "compensation", "cond_op": "gt", "cond_value": "5000",
        "steps-TOTAL_FORMS": "3", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "10",
        "steps-0-approver_kind": "role", "steps-0-role_code": "service_agent", "steps-0-rule": "any", "steps-0-levels": "1",
        "steps-0-remind_after_hours": "24",
        "steps-1-approver_kind": "manager_chain", "steps-1-levels": "2", "steps-1-rule": "all", "steps-1-remind_after_hours": "8",
        "steps-2-approver_kind": "", "steps-2-rule": "any",
    })
    assert r.status_code == 302, r.content.decode()[:3000]
    flow = ApprovalFlow.objects.get(action=action)
    assert flow.condition == {"field": "compensation", "op": "gt", "value": "5000"}
    assert list(flow.steps.values_list("position", "approver_kind", "levels", "remind_after_hours")) == [
        (1, "role", 1, 24), (2, "manager_chain", 2, 8)]
    html = client.get(reverse("approvals:flows")).content.decode()
    assert "大额赔偿" in html and "compensation &gt; 5000" in html
    assert client.post(reverse("approvals:flow_toggle", args=[flow.pk])).status_code == 302
    assert not ApprovalFlow.objects.get(action=action).active


def test_a_flow_without_steps_is_refused_on_the_page(client, alice, action):
    r = _login(client, alice).post(reverse("approvals:flows"), {
        "action": action, "name": "无步骤", "priority": "0", "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0",
        "steps-0-approver_kind": "", "steps-0-rule": "any",
    })
    assert r.status_code == 422 and not ApprovalFlow.objects.filter(action=action).exists()


def test_flows_page_is_for_administrators(client, bob):
    assert _login(client, bob).get(reverse("approvals:flows")).status_code == 403
