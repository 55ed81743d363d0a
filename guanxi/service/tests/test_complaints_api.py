"""The complaints API (/api/v1/service/complaints, complaint-types, sla-policies, calendars)."""

from __future__ import annotations

import pytest
from django.test import Client
from freezegun import freeze_time

from guanxi.service.models import Complaint, ComplaintType, WorkingCalendar
from guanxi.service.tests import complaint_factories as f

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _create(api, acc, **extra):  # type: ignore[no-untyped-def]
    body = {"title": "包装破损", "description": "收到的货物外包装破损", "complaint_type_id": f.ctype().pk, "channel": "phone",
            "account_id": acc.pk, **extra}
    return api.post("/api/v1/service/complaints", body, content_type=JSON)


def test_erin_handles_a_complaint_through_the_procedure_over_the_api(erin, carol):
    api = _client(erin)
    acc = f.account(carol)
    r = _create(api, acc, severity="high")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("TS-") and body["state"] == "new" and body["respond_by"]
    url = f"/api/v1/service/complaints/{body['id']}"
    r = api.post(f"{url}/transition", {"target": "acknowledged", "version": body["version"], "records": {"empathy_note": "理解"}},
                 content_type=JSON)
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert set(r.json()["errors"]) == {"listening_note"}
    r = api.post(f"{url}/transition", {"target": "acknowledged", "version": body["version"],
                                       "records": {"empathy_note": "理解", "listening_note": "记录"}}, content_type=JSON)
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "acknowledged" and r.json()["responded_at"]
    # A stale version: 409.
    r = api.post(f"{url}/transition", {"target": "remedy_agreed", "version": body["version"], "records": {}}, content_type=JSON)
    assert r.status_code == 409 and r.json()["code"] == "version_conflict"
    events = api.get(f"{url}/events").json()
    assert [e["kind"] for e in events] == ["created", "state"]
    sla = api.get(f"{url}/sla").json()
    assert sla["response"]["done"] is True and sla["resolution"]["done"] is False


def test_dave_gets_404_on_carols_complaint(carol, dave, grace):
    c = f.complaint(carol, f.account(carol))
    api = _client(dave)
    for method, path, body in (("get", "", None), ("patch", "", {"version": c.version, "title": "x"}),
                               ("get", "/events", None), ("get", "/sla", None),
                               ("post", "/transition", {"target": "acknowledged", "version": c.version})):
        r = getattr(api, method)(f"/api/v1/service/complaints/{c.pk}{path}", body, content_type=JSON) if body else \
            getattr(api, method)(f"/api/v1/service/complaints/{c.pk}{path}")
        assert r.status_code == 404, (method, path, r.content)
    assert api.get("/api/v1/service/complaints").json()["items"] == []
    # grace (read-only) sees it and may not change it.
    r = _client(grace).patch(f"/api/v1/service/complaints/{c.pk}", {"version": c.version, "title": "x"}, content_type=JSON)
    assert r.status_code == 403


def test_list_filters_and_cursor(carol):
    acc = f.account(carol)
    with freeze_time(f.at("2026-09-30 10:00")):
        late = f.complaint(carol, acc, severity="critical", channel="wechat")
    others = [f.complaint(carol, acc, severity="low") for _ in range(3)]
    api = _client(carol)
    got = api.get("/api/v1/service/complaints", {"severity": "critical"}).json()["items"]
    assert [c["id"] for c in got] == [late.pk]
    assert [c["id"] for c in api.get("/api/v1/service/complaints", {"channel": "wechat"}).json()["items"]] == [late.pk]
    assert [c["id"] for c in api.get("/api/v1/service/complaints", {"breached": "true"}).json()["items"]] == [late.pk]
    page = api.get("/api/v1/service/complaints", {"limit": 2}).json()
    rest = api.get("/api/v1/service/complaints", {"limit": 2, "after": page["next_cursor"]}).json()
    assert {c["id"] for c in page["items"] + rest["items"]} == {late.pk, *(o.pk for o in others)}
    assert api.get("/api/v1/service/complaints", {"after": "garbage"}).status_code == 400


def test_unknown_fields_are_refused(carol):
    r = _create(_client(carol), f.account(carol), owner_id=1)
    assert r.status_code == 422
    assert not Complaint.objects.exists()


def test_complaint_types_are_read_by_all_and_written_by_administrators(carol, alice):
    assert len(_client(carol).get("/api/v1/service/complaint-types").json()) == 8
    body = {"code": "delivery", "category": "service", "name_zh": "配送延误", "name_en": "Late delivery"}
    assert _client(carol).post("/api/v1/service/complaint-types", body, content_type=JSON).status_code == 403
    r = _client(alice).post("/api/v1/service/complaint-types", body, content_type=JSON)
    assert r.status_code == 201 and not r.json()["built_in"]
    quality = ComplaintType.objects.get(code="quality")
    r = _client(alice).patch(f"/api/v1/service/complaint-types/{quality.pk}", {"code": "other"}, content_type=JSON)
    assert r.status_code == 422
    r = _client(alice).patch(f"/api/v1/service/complaint-types/{quality.pk}", {"active": False}, content_type=JSON)
    assert r.status_code == 200
    r = _create(_client(carol), f.account(carol))
    assert r.status_code == 422 and "complaint_type_id" in r.json()["errors"]


def test_only_administrators_see_sla_policies_and_calendars(carol, alice):
    assert _client(carol).get("/api/v1/service/sla-policies").status_code == 403
    assert len(_client(alice).get("/api/v1/service/sla-policies").json()) == 8
    calendar = WorkingCalendar.objects.get(is_default=True)
    assert _client(carol).get(f"/api/v1/service/calendars/{calendar.pk}").status_code == 403
    r = _client(alice).post(f"/api/v1/service/calendars/{calendar.pk}/days", {"day": "2026-10-01", "kind": "holiday", "note": "国庆"},
                            content_type=JSON)
    assert r.status_code == 200 and r.json()["days"] == [{"day": "2026-10-01", "kind": "holiday", "note": "国庆"}]
    assert _client(alice).delete(f"/api/v1/service/calendars/{calendar.pk}/days/2026-10-01").status_code == 204
    assert _client(alice).delete(f"/api/v1/service/calendars/{calendar.pk}/days/2026-10-01").status_code == 404
