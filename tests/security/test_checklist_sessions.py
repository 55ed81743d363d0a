"""SECURITY.md, sessions and tokens: the session id rotates at login; signing out, changing the
password, deactivation and token revocation take effect on the very next request — an htmx poll of a
job's progress included — and deactivation stops the person's queued and running jobs."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from conftest import PERSONA_PASSWORD
from guanxi.customers.models import Account
from guanxi.dataio import jobs
from guanxi.dataio.models import Job, JobState
from guanxi.users.models import User
from tests.security.world import World

pytestmark = pytest.mark.django_db

COOKIE = settings.SESSION_COOKIE_NAME


@pytest.fixture
def w(org):
    return World(org)


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _sign_in(client: Client, username: str = "carol") -> str:
    r = client.post("/login/", {"username": username, "password": PERSONA_PASSWORD})
    assert r.status_code == 302, r.content[:300]
    return client.cookies[COOKIE].value


def _browser_with(session_key: str) -> Client:
    """Another request carrying a copied session cookie (as an attacker who captured it would)."""
    client = Client()
    client.cookies[COOKIE] = session_key
    return client


def _poll_is_refused(client: Client, job: Job) -> None:
    r = client.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true")
    # htmx gets a 401 without a body and is told to load the sign-in page in the whole window.
    assert r.status_code == 401 and r["HX-Redirect"].startswith("/login/?next="), r.status_code
    assert r.content == b""
    r = client.get(f"/jobs/{job.pk}/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_the_session_id_changes_at_sign_in_and_the_old_one_is_worthless(w):
    client = Client()
    session = _store()()
    session["planted"] = "by an attacker"
    session.create()
    client.cookies[COOKIE] = session.session_key
    new_key = _sign_in(client)
    assert new_key != session.session_key
    assert not _store()().exists(session.session_key)
    assert _browser_with(session.session_key).get("/accounts/").status_code == 302
    assert _browser_with(new_key).get("/accounts/").status_code == 200


def test_after_sign_out_the_old_session_cookie_gets_no_data(w):
    job = w.job("carol")
    client = Client()
    key = _sign_in(client)
    assert _browser_with(key).get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").status_code == 200
    assert client.post("/logout/").status_code == 302
    _poll_is_refused(_browser_with(key), job)
    r = _browser_with(key).get("/api/v1/accounts/")
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"


def test_changing_the_password_signs_out_every_other_browser(w):
    job = w.job("carol")
    laptop, phone = Client(), Client()
    _sign_in(laptop)
    phone_key = _sign_in(phone)
    r = laptop.post("/settings/", {"form": "password", "old_password": PERSONA_PASSWORD,
                                   "new_password1": "Another-Pass-2027!", "new_password2": "Another-Pass-2027!"})
    assert r.status_code == 302
    assert laptop.get("/accounts/").status_code == 200  # the browser that changed it stays signed in
    _poll_is_refused(_browser_with(phone_key), job)


# --- deactivation -----------------------------------------------------------------------------------


def _deactivate(user: User) -> None:
    # However it is done (admin screen, management command, SQL), nothing caches the old state.
    User.objects.filter(pk=user.pk).update(is_active=False)


def test_deactivation_ends_the_session_and_the_tokens_on_the_next_request(w):
    carol = w.user("carol")
    job = w.job("carol")
    account = w.account("carol")
    browser = Client()
    _sign_in(browser)
    api = w.api_client("carol")
    assert api.get(f"/api/v1/accounts/{account.pk}").status_code == 200
    assert browser.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").status_code == 200
    _deactivate(carol)
    _poll_is_refused(browser, job)
    assert browser.get(f"/accounts/{account.pk}/").status_code == 302
    assert browser.get(f"/api/v1/accounts/{account.pk}").status_code == 401
    r = api.get(f"/api/v1/accounts/{account.pk}")
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"
    assert api.patch(f"/api/v1/accounts/{account.pk}", {"version": 1, "city": "苏州"}, content_type="application/json").status_code == 401
    assert Account.objects.get(pk=account.pk).city == ""


def test_a_revoked_token_stops_on_the_next_call(w):
    api = w.api_client("carol")
    assert api.get("/api/v1/users/me").status_code == 200
    token_id = api.get("/api/v1/users/me/tokens").json()[0]["id"]
    assert api.delete(f"/api/v1/users/me/tokens/{token_id}").status_code == 204
    assert api.get("/api/v1/users/me").status_code == 401


def _queued_import(w, rows: int = 3) -> Job:
    from guanxi.dataio.importing import import_start, upload_create, upload_set_mapping

    carol = w.user("carol")
    body = "名称,电话\n" + "".join(f"停用测试{i}有限公司,1380013{i:04d}\n" for i in range(rows))
    upload = upload_create(actor=carol, object_type="account", filename="停用.csv", data=body.encode())
    upload_set_mapping(actor=carol, upload=upload, mapping=["name", "phone"], key="phone")
    with transaction.atomic():
        return import_start(actor=carol, upload=upload)


def test_a_queued_import_of_a_deactivated_user_writes_nothing(w):
    job = _queued_import(w)
    _deactivate(w.user("carol"))
    jobs.run(str(job.pk))  # the worker picks it up later
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.progress == 0
    assert not Account.objects.filter(name__startswith="停用测试").exists()


def test_a_running_import_stops_at_its_next_batch_when_its_owner_is_deactivated(w, monkeypatch):
    from guanxi.dataio import importing

    monkeypatch.setattr(importing, "BATCH_SIZE", 1)
    monkeypatch.setattr(importing, "AFTER_BATCH_HOOK", lambda n: _deactivate(w.user("carol")) if n == 1 else None)
    job = _queued_import(w, rows=3)
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    # The first batch committed before the deactivation; the next one was refused and rolled back.
    assert Account.objects.filter(name__startswith="停用测试").count() == 1
