"""The surveys / analysis / follow-ups / dashboard API (/api/v1/service/…)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from guanxi.service import followups, surveys
from guanxi.service.models import SurveyResponse
from guanxi.service.tests import survey_factories as f

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_manager_designs_a_survey_and_sends_a_link_that_answers_once(org):
    bob, carol = org.users["bob"], org.users["carol"]
    api = _client(bob)
    r = api.post("/api/v1/service/surveys", {"name": "交付满意度", "scale_max": 5, "trigger_events": ["order_delivered"]},
                 content_type="application/json")
    assert r.status_code == 201, r.content
    survey_id = r.json()["id"]
    r = api.post(f"/api/v1/service/surveys/{survey_id}/items", {"code": "speed", "text": "送货速度", "dimension": "service"},
                 content_type="application/json")
    assert r.status_code == 201, r.content
    contact = f.contact(carol, f.account(carol))
    r = api.post(f"/api/v1/service/surveys/{survey_id}/invitations", {"contact_id": contact.pk, "send": False},
                 content_type="application/json")
    assert r.status_code == 201, r.content
    token = r.json()["link"].rstrip("/").rsplit("/", 1)[1]
    item_id = surveys.get_survey(survey_id).items.get().pk
    surveys.answer(token, {"answers": {str(item_id): {"experience": "4", "expectation": "5"}}, "nps": 8})
    with pytest.raises(surveys.SurveyLinkUsed):
        surveys.answer(token, {"answers": {str(item_id): {"experience": "4"}}})
    r = _client(carol).get(f"/api/v1/service/survey-responses?survey_id={survey_id}")
    assert r.status_code == 200 and [a["experience"] for a in r.json()["items"][0]["answers"]] == ["4.0"]
    assert _client(org.users["dave"]).get("/api/v1/service/survey-responses").json()["items"] == []


def test_rep_cannot_design_or_send_surveys(org):
    carol = org.users["carol"]
    s = f.survey(org.users["bob"])
    api = _client(carol)
    assert api.post("/api/v1/service/surveys", {"name": "x"}, content_type="application/json").status_code == 403
    assert api.get(f"/api/v1/service/surveys/{s.pk}").json()["items"][0]["code"] == "delivery"
    contact = f.contact(carol, f.account(carol))
    r = api.post(f"/api/v1/service/surveys/{s.pk}/invitations", {"contact_id": contact.pk}, content_type="application/json")
    assert r.status_code == 403 and r["Content-Type"] == "application/problem+json"


def test_survey_with_responses_cannot_lose_items_through_the_api(org):
    s = f.survey(org.users["bob"])
    f.respond(s, f.account(org.users["carol"]), {"delivery": {"experience": 5}, "quality": {"experience": 5}})
    r = _client(org.users["bob"]).delete(f"/api/v1/service/survey-items/{f.item(s, 'delivery').pk}")
    assert r.status_code == 409 and r.json()["code"] == "survey.has_responses"


def test_analysis_endpoints(org):
    carol = org.users["carol"]
    s = f.survey(org.users["bob"])
    acc = f.account(carol, tier="key")
    f.respond(s, acc, {"delivery": {"experience": 3, "expectation": 6, "importance": 7, "adequate": 4, "desired": 6},
                       "quality": {"experience": 6, "expectation": 5, "importance": 2, "adequate": 4, "desired": 6}},
              nps=10, csat=4, at=datetime(2025, 6, 1, 10, tzinfo=SH))
    api = _client(carol)
    q = f"start=2025-01-01&end=2025-12-31&survey_id={s.pk}"
    gaps = api.get(f"/api/v1/service/analysis/gaps?by=item&{q}").json()
    assert {g["key"]: g["mean_gap"] for g in gaps} == {"delivery": "-3.0000", "quality": "1.0000"}
    ke = api.get(f"/api/v1/service/analysis/key-experience?{q}").json()
    assert ke[0]["item"] == "delivery" and ke[0]["fix_first"] and not ke[1]["fix_first"]
    zone = api.get(f"/api/v1/service/analysis/tolerance-zone?{q}").json()
    assert zone[0] == {"item": "delivery", "adequate": "4.0000", "desired": "6.0000", "perceived": "3.0000",
                       "position": "below", "flagged": True}
    scores = api.get(f"/api/v1/service/analysis/scores?{q}").json()
    assert scores["nps"] == "100.00" and scores["csat"] == "100.00"
    trend = api.get(f"/api/v1/service/analysis/trend?{q}&dimension=service").json()
    assert trend == [{"month": "2025-06-01", "n": 1, "mean_gap": "-3.0000"}]
    assert api.get("/api/v1/service/analysis/gaps?start=2025-12-01&end=2025-01-01").status_code == 422
    assert api.get("/api/v1/service/analysis/gaps?by=weather").status_code in (400, 422)


def test_follow_up_list_overdue_filter_and_complete(org):
    carol = org.users["carol"]
    acc = f.account(carol)
    late = followups.schedule_for_key_account_event(acc, 1, timezone.now() - timedelta(days=10))
    followups.schedule_for_key_account_event(acc, 2, timezone.now())
    api = _client(carol)
    r = api.get("/api/v1/service/follow-ups?overdue=true")
    assert [v["id"] for v in r.json()["items"]] == [late.pk]
    assert len(api.get("/api/v1/service/follow-ups").json()["items"]) == 2
    r = api.post(f"/api/v1/service/follow-ups/{late.pk}/complete", {"version": late.version, "outcome": "satisfied", "satisfaction": 5},
                 content_type="application/json")
    assert r.status_code == 200 and r.json()["done_at"]
    assert api.get("/api/v1/service/follow-ups?overdue=true").json()["items"] == []
    assert _client(org.users["dave"]).get(f"/api/v1/service/follow-ups/{late.pk}").status_code == 404


def test_follow_up_rules_are_for_administrators(org):
    r = _client(org.users["alice"]).post("/api/v1/service/follow-up-rules", {"trigger": "complaint_closed", "days_after": 3},
                                         content_type="application/json")
    assert r.status_code == 201
    assert _client(org.users["bob"]).get("/api/v1/service/follow-up-rules").status_code == 403


def test_dashboard_endpoint(org):
    alice = org.users["alice"]
    f.complaint(org.users["erin"], f.account(org.users["carol"]), resolve_by=timezone.now() - timedelta(hours=1))
    r = _client(alice).get("/api/v1/service/dashboard")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"] == 1 and body["churn_signals"][0]["overdue_complaints"] == 1
    assert not SurveyResponse.objects.exists()
