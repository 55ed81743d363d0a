"""Every API error is RFC 9457 problem+json with a stable ``code`` clients can switch on — whether
a service, ninja, a middleware or Django's URL resolver produced it."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from tests.security.world import World

pytestmark = pytest.mark.django_db


def _stale_version(w):
    account = w.account()
    return w.api_client("carol").patch(f"/api/v1/accounts/{account.pk}", {"version": account.version + 1, "city": "x"},
                                       content_type="application/json")


def _rate_limited(w, django_settings):
    django_settings.API_RATE_LIMIT_PER_MINUTE = 1
    client = w.api_client("carol")
    client.get("/api/v1/users/me")
    return client.get("/api/v1/users/me")


def _csrf_missing(w):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.user("carol"))
    return client.post("/api/v1/accounts/", {"name": "无令牌"}, content_type="application/json")


def _read_only_token(w):
    from guanxi.users.services import token_create

    _token, key = token_create(actor=w.user("carol"), name="ro", scope="read", expires_at=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}").post("/api/v1/accounts/", {"name": "只读"}, content_type="application/json")


SCENARIOS = {
    "bad cursor": (400, "pagination.invalid_cursor", lambda w, s: w.api_client("carol").get("/api/v1/accounts/?after=%25%25%25")),
    "unknown filter": (400, None, lambda w, s: w.api_client("carol").get("/api/v1/accounts/?owner__password=x")),
    "unparseable body": (400, "bad_request", lambda w, s: w.api_client("carol").post("/api/v1/accounts/", b"{", content_type="application/json")),
    "NUL character": (400, "request.nul_character", lambda w, s: w.api_client("carol").get("/api/v1/accounts/?q=%00")),
    "anonymous": (401, "auth.required", lambda w, s: Client().get("/api/v1/accounts/")),
    "revoked token": (401, "auth.required", lambda w, s: Client(HTTP_AUTHORIZATION="Bearer gx_not-a-real-token").get("/api/v1/users/me")),
    "read-only user writes": (403, "permission_denied", lambda w, s: w.api_client("grace").patch(
        f"/api/v1/accounts/{w.account().pk}", {"version": 1, "city": "x"}, content_type="application/json")),
    "read-only token writes": (403, "auth.token_read_only", lambda w, s: _read_only_token(w)),
    "session without CSRF token": (403, "auth.csrf_failed", lambda w, s: _csrf_missing(w)),
    "someone else's record": (404, "not_found", lambda w, s: w.api_client("dave").get(f"/api/v1/accounts/{w.account().pk}")),
    "unknown URL": (404, "not_found", lambda w, s: w.api_client("carol").get("/api/v1/no-such-thing")),
    "id that is not a number": (404, "not_found", lambda w, s: w.api_client("carol").get("/api/v1/accounts/abc")),
    "method the route does not take": (405, "method_not_allowed", lambda w, s: w.api_client("carol").put("/api/v1/users/me")),
    "stale version": (409, "version_conflict", lambda w, s: _stale_version(w)),
    "body over 10 MB": (413, "request.too_large", lambda w, s: w.api_client("carol").post(
        "/api/v1/accounts/", b"x" * (settings.REQUEST_MAX_BYTES + 1), content_type="application/json")),
    "invalid field": (422, "validation_failed", lambda w, s: w.api_client("carol").post("/api/v1/accounts/", {"name": ""},
                                                                                       content_type="application/json")),
    "too many requests": (429, "rate_limited", lambda w, s: _rate_limited(w, s)),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_api_errors_are_problem_details_with_a_stable_code(org, settings, scenario):
    status, code, make = SCENARIOS[scenario]
    r = make(World(org), settings)
    assert r.status_code == status, r.content[:300]
    assert r["Content-Type"] == "application/problem+json"
    body = json.loads(r.content)
    assert body["status"] == status
    assert body["code"] and (code is None or body["code"] == code), body
    assert body["type"] == f"urn:guanxi:problem:{body['code']}"
    assert body["title"] and body["detail"]
    assert body["request_id"] == r["X-Request-ID"]
    if status == 401:
        assert r["WWW-Authenticate"].startswith("Bearer")
    if status == 405:
        assert "GET" in r["Allow"]
    if status == 429:
        assert int(r["Retry-After"]) > 0
    if status == 422:
        assert body["errors"]
