"""Approvals API (/api/v1/approvals/): flows for administrators, inbox and my requests with cursors,
a request's detail for those involved only, decide and cancel."""

from __future__ import annotations

import pytest

from guanxi.approvals import services
from guanxi.approvals.models import ApprovalFlow

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _api(client, user):
    client.force_login(user)
    return client


def _submit(carol, account, action, amount="8000"):
    return services.approval_submit(actor=carol, action=action, obj=account, payload={"compensation": amount})


def test_administrator_creates_a_flow_with_a_condition_and_steps(client, alice, action):
    body = {"action": action, "name": "大额赔偿审批", "condition": {"field": "compensation", "op": "gt", "value": 5000},
            "steps": [{"approver_kind": "role", "role_code": "service_agent"}, {"approver_kind": "manager_chain", "levels": 2, "rule": "all"}]}
    r = _api(client, alice).post("/api/v1/approvals/flows", body, content_type="application/json")
    assert r.status_code == 201, r.content
    flow = r.json()
    assert flow["condition"] == {"field": "compensation", "op": "gt", "value": "5000"}
    assert [(s["position"], s["approver_kind"], s["levels"]) for s in flow["steps"]] == [(1, "role", 1), (2, "manager_chain", 2)]
    r = client.patch(f"/api/v1/approvals/flows/{flow['id']}", {"active": False, "condition": None}, content_type="application/json")
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["condition"] == {}
    step_ids = [s["id"] for s in flow["steps"]]
    r = client.put(f"/api/v1/approvals/flows/{flow['id']}/steps", {"step_ids": step_ids[::-1]}, content_type="application/json")
    assert [s["approver_kind"] for s in r.json()["steps"]] == ["manager_chain", "role"]
    assert client.delete(f"/api/v1/approvals/flows/{flow['id']}").status_code == 204
    assert not ApprovalFlow.objects.filter(pk=flow["id"]).exists()


def test_flows_are_for_administrators_only(client, carol, action, make_flow):
    flow = make_flow()
    api = _api(client, carol)
    for method, url in (("get", "/api/v1/approvals/flows"), ("get", f"/api/v1/approvals/flows/{flow.pk}"),
                        ("delete", f"/api/v1/approvals/flows/{flow.pk}"), ("get", "/api/v1/approvals/actions")):
        r = getattr(api, method)(url)
        assert r.status_code == 403 and r["Content-Type"] == PROBLEM and r.json()["code"] == "approval.admin_only"


def test_a_bad_condition_is_refused_by_name(client, alice, action):
    body = {"action": action, "name": "x", "condition": {"field": "colour", "op": "gt", "value": 1},
            "steps": [{"approver_kind": "manager"}]}
    r = _api(client, alice).post("/api/v1/approvals/flows", body, content_type="application/json")
    assert r.status_code == 422 and "condition" in r.json()["errors"]
    body["owner_id"] = 1
    assert client.post("/api/v1/approvals/flows", body, content_type="application/json").status_code == 422


def test_inbox_and_decision_through_the_api(client, carol, bob, account, action, make_flow, calls):
    make_flow()
    request = _submit(carol, account, action)
    api = _api(client, bob)
    r = api.get("/api/v1/approvals/inbox?limit=1")
    assert r.status_code == 200 and [i["id"] for i in r.json()["items"]] == [request.pk]
    detail = api.get(f"/api/v1/approvals/requests/{request.pk}").json()
    assert detail["description"] == f"客户 {account.name}" and [u["id"] for u in detail["awaiting"]] == [bob.pk]
    r = api.post(f"/api/v1/approvals/requests/{request.pk}/decide", {"decision": "reject"}, content_type="application/json")
    assert r.status_code == 422 and "comment" in r.json()["errors"]
    r = api.post(f"/api/v1/approvals/requests/{request.pk}/decide", {"decision": "approve", "comment": "可以"},
                 content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "approved" and r.json()["decisions"][0]["comment"] == "可以"
    assert calls == [("approved", request.pk)]
    assert api.get("/api/v1/approvals/inbox").json()["items"] == []


def test_my_requests_and_cancel(client, carol, account, action, make_flow):
    make_flow()
    request = _submit(carol, account, action)
    api = _api(client, carol)
    assert [i["id"] for i in api.get("/api/v1/approvals/requests?state=pending").json()["items"]] == [request.pk]
    assert api.get("/api/v1/approvals/requests?state=approved").json()["items"] == []
    r = api.post(f"/api/v1/approvals/requests/{request.pk}/decide", {"decision": "approve"}, content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "approval.not_your_turn"
    r = api.post(f"/api/v1/approvals/requests/{request.pk}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert api.post(f"/api/v1/approvals/requests/{request.pk}/cancel").status_code == 409


def test_outsiders_get_404_on_a_request(client, carol, dave, account, action, make_flow):
    make_flow()
    request = _submit(carol, account, action)
    api = _api(client, dave)
    for method, url in (("get", f"/api/v1/approvals/requests/{request.pk}"), ("post", f"/api/v1/approvals/requests/{request.pk}/cancel")):
        r = getattr(api, method)(url)
        assert r.status_code == 404 and r["Content-Type"] == PROBLEM
    r = api.post(f"/api/v1/approvals/requests/{request.pk}/decide", {"decision": "approve"}, content_type="application/json")
    assert r.status_code == 404


def test_inbox_lists_page_with_a_cursor_in_few_queries(client, carol, bob, action, make_flow, django_assert_max_num_queries):
    from guanxi.customers.services import account_create

    make_flow()
    ids = [_submit(carol, account_create(actor=carol, data={"name": f"分页客户{i}"}), action).pk for i in range(3)]
    api = _api(client, bob)
    with django_assert_max_num_queries(12):
        first = api.get("/api/v1/approvals/inbox?limit=2").json()
    second = api.get(f"/api/v1/approvals/inbox?limit=2&after={first['next_cursor']}").json()
    assert [i["id"] for i in first["items"] + second["items"]] == sorted(ids, reverse=True)
    assert api.get("/api/v1/approvals/inbox?after=!!!").json()["code"] == "pagination.invalid_cursor"
