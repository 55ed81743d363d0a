"""SECURITY.md / ASVS, CSRF: a web form posted without its token is a friendly 403 page (never a
500) that changes nothing; an API write authenticated by the session cookie needs the token too
(403 problem+json, code auth.csrf_failed); an API write with a Bearer token needs none, since a
browser never adds that header on its own."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from tests.security.routes import api_operations, web_routes
from tests.security.world import World, changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
WEB = [r for r in web_routes() if not r.route.startswith(("static", "healthz", "readyz"))]
API_WRITES = [op for op in api_operations() if op.is_write]


with translation.override("zh-hans"):
    CSRF_DETAIL_ZH = str(gettext("Your form expired or came from another site. Reload the page and try again."))


@pytest.fixture
def w(org):
    return World(org)


def _web_url(route: str, account_id: int) -> str:
    def fill(m: re.Match[str]) -> str:
        conv, name = m.group(1) or "str", m.group(2)
        if conv == "uuid":
            return str(uuid.uuid4())
        if conv == "int":
            return str(account_id)
        return "account" if name in ("object_type", "tab") else "overview"

    return "/" + _CONVERTER.sub(fill, route)


@pytest.mark.parametrize("route", WEB, ids=[str(r) for r in WEB])
def test_every_web_post_without_the_token_is_a_403_page_and_changes_nothing(w, route):
    account = w.account("carol")
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.user("carol"))
    before = db_fingerprint()
    r = client.post(_web_url(route.route, account.pk), {"name": "跨站", "action": "delete", "ids": [str(account.pk)]})
    assert r.status_code in (403, 405), (route, r.status_code)
    if r.status_code == 403:
        assert r["Content-Type"].startswith("text/html")
        assert CSRF_DETAIL_ZH in r.content.decode(), route  # the error page, not the view's own 403
    assert changed_tables(before, db_fingerprint()) == []


def test_the_csrf_page_explains_what_to_do_in_the_users_language(w):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.user("dave"))  # dave reads English
    r = client.post("/logout/")
    assert r.status_code == 403
    assert "Reload the page" in r.content.decode()
    assert client.get("/accounts/").status_code == 200  # still signed in: the forged logout did nothing


def test_a_wrong_token_or_a_foreign_origin_is_refused_too(w):
    account = w.account("carol")
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.user("carol"))
    client.get("/accounts/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert client.post(f"/accounts/{account.pk}/delete/", {"csrfmiddlewaretoken": "x" * 32}).status_code == 403
    r = client.post(f"/accounts/{account.pk}/delete/", {"csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example.com")
    assert r.status_code == 403
    assert client.post(f"/accounts/{account.pk}/delete/", {"csrfmiddlewaretoken": token, "version": account.version}).status_code == 302


def test_a_sign_in_form_posted_from_another_site_is_refused(w):
    r = Client(enforce_csrf_checks=True).post("/login/", {"username": "carol", "password": "Persona-Pass-2026"})
    assert r.status_code == 403


# --- the API --------------------------------------------------------------------------------------------------


def _api_url(op, w) -> str:
    account = w.account("carol")
    return op.url({name: (str(uuid.uuid4()) if op.param_formats.get(name) == "uuid" else
                          "customers.account" if name == "object_type" else account.pk) for name in op.path_params})


@pytest.mark.parametrize("op", API_WRITES, ids=[op.key for op in API_WRITES])
def test_every_api_write_with_a_session_and_no_token_is_a_403_problem(w, op):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.user("carol"))
    url = _api_url(op, w)
    before = db_fingerprint()
    r = client.generic(op.method, url, json.dumps({"name": "跨站"}), content_type="application/json")
    assert r.status_code == 403, (op.key, r.status_code, r.content[:300])
    assert r["Content-Type"] == PROBLEM
    assert r.json()["code"] == "auth.csrf_failed"
    assert changed_tables(before, db_fingerprint()) == []


def test_an_api_write_with_a_session_and_the_token_works(w):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.user("carol"))
    client.get("/accounts/")
    token = client.cookies["csrftoken"].value
    r = client.post("/api/v1/accounts/", {"name": "带令牌"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 201, r.content


def test_an_api_write_with_a_bearer_token_needs_no_csrf_token(w):
    key = w.api_key("carol")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {key}")
    r = client.post("/api/v1/accounts/", {"name": "令牌写入"}, content_type="application/json")
    assert r.status_code == 201, r.content
    account_id = r.json()["id"]
    assert client.patch(f"/api/v1/accounts/{account_id}", {"version": 1, "city": "苏州"}, content_type="application/json").status_code == 200
    assert client.delete(f"/api/v1/accounts/{account_id}?version=2").status_code == 204


def test_a_bad_bearer_token_does_not_fall_back_to_the_session_without_csrf(w):
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION="Bearer gx_not-a-real-token")
    client.force_login(w.user("carol"))
    before = db_fingerprint()
    r = client.post("/api/v1/accounts/", {"name": "混合"}, content_type="application/json")
    assert r.status_code in (401, 403) and r["Content-Type"] == PROBLEM
    assert changed_tables(before, db_fingerprint()) == []
