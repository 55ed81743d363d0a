"""API rate limits: per token (or signed-in user) and per client IP, answered with 429,
problem+json code ``rate_limited`` and an integer Retry-After."""

from __future__ import annotations

import types

import pytest
from django.test import override_settings

from guanxi.core import throttling
from guanxi.users.services import token_create

pytestmark = pytest.mark.django_db

NOW = 1_800_000_010.0  # 10 s into a minute: every call of a test lands in the same window


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    clock = types.SimpleNamespace(time=lambda: NOW)
    monkeypatch.setattr(throttling, "time", clock)
    return clock


def bearer(user, scope="read"):
    _token, key = token_create(actor=user, name="script", scope=scope, expires_at=None)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def assert_rate_limited(r):
    assert r.status_code == 429
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "rate_limited"
    retry_after = r["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 61
    return int(retry_after)


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_fourth_call_with_the_same_token_is_429_with_retry_after(client, carol):
    auth = bearer(carol)
    for _ in range(3):
        assert client.get("/api/v1/users/me", **auth).status_code == 200
    wait = assert_rate_limited(client.get("/api/v1/users/me", **auth))
    assert wait == 51  # the rest of the minute (50 s) plus one


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_another_token_is_not_affected(client, carol, dave):
    carols, daves = bearer(carol), bearer(dave)
    for _ in range(4):
        client.get("/api/v1/users/me", **carols)
    assert client.get("/api/v1/users/me", **carols).status_code == 429
    assert client.get("/api/v1/users/me", **daves).status_code == 200


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_two_tokens_of_one_person_are_counted_separately(client, carol):
    first, second = bearer(carol), bearer(carol)
    for _ in range(3):
        client.get("/api/v1/users/me", **first)
    assert client.get("/api/v1/users/me", **first).status_code == 429
    assert client.get("/api/v1/users/me", **second).status_code == 200


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_the_limit_lifts_in_the_next_minute(client, carol, frozen_clock):
    auth = bearer(carol)
    for _ in range(3):
        client.get("/api/v1/users/me", **auth)
    wait = assert_rate_limited(client.get("/api/v1/users/me", **auth))
    frozen_clock.time = lambda: NOW + wait
    assert client.get("/api/v1/users/me", **auth).status_code == 200


@override_settings(API_RATE_LIMIT_PER_MINUTE=3)
def test_session_calls_are_limited_per_user(client, carol):
    client.force_login(carol)
    for _ in range(3):
        assert client.get("/api/v1/accounts/").status_code == 200
    assert_rate_limited(client.get("/api/v1/accounts/"))


@override_settings(API_RATE_LIMIT_ANON_PER_MINUTE=2)
def test_unauthenticated_calls_are_limited_per_ip(client):
    for _ in range(2):
        assert client.get("/api/v1/accounts/", REMOTE_ADDR="203.0.113.7").status_code == 401
    assert_rate_limited(client.get("/api/v1/accounts/", REMOTE_ADDR="203.0.113.7"))
    assert_rate_limited(client.get("/api/v1/openapi.json", REMOTE_ADDR="203.0.113.7"))
    assert client.get("/api/v1/accounts/", REMOTE_ADDR="198.51.100.9").status_code == 401


@override_settings(API_RATE_LIMIT_ANON_PER_MINUTE=2)
def test_a_token_user_behind_a_limited_address_still_gets_through(client, carol):
    for _ in range(3):
        client.get("/api/v1/accounts/", REMOTE_ADDR="203.0.113.7")
    assert client.get("/api/v1/users/me", REMOTE_ADDR="203.0.113.7", **bearer(carol)).status_code == 200


@override_settings(API_RATE_LIMIT_PER_IP_PER_MINUTE=3)
def test_all_calls_from_one_address_have_a_ceiling_which_also_stops_token_guessing(client, carol):
    for i in range(3):
        client.get("/api/v1/users/me", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer gx_guess{i}")
    assert_rate_limited(client.get("/api/v1/users/me", REMOTE_ADDR="203.0.113.7", **bearer(carol)))


@override_settings(API_RATE_LIMIT_PER_MINUTE=3, API_RATE_LIMIT_ANON_PER_MINUTE=1)
def test_web_pages_are_not_counted(client, carol):
    client.force_login(carol)
    for _ in range(5):
        assert client.get("/accounts/").status_code == 200
    assert client.get("/api/v1/users/me").status_code == 200
