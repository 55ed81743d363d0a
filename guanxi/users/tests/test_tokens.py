"""Personal API tokens: shown once, stored hashed, scoped read or read-write, expiring, revocable
from the settings page, and worthless once revoked or once their owner is deactivated."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from guanxi.customers.models import Account
from guanxi.customers.services import account_create
from guanxi.users.models import ApiToken
from guanxi.users.services import token_create

pytestmark = pytest.mark.django_db


def make_token(user, scope="read", expires_at=None):
    token, key = token_create(actor=user, name="script", scope=scope, expires_at=expires_at)
    return token, {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def carols_account(carol):
    return account_create(actor=carol, data={"name": "上海明远贸易有限公司"})


@pytest.fixture
def daves_account(dave):
    return account_create(actor=dave, data={"name": "北京远航科技有限公司"})


def test_new_token_is_shown_once_and_only_its_hash_is_stored(client, carol):
    client.force_login(carol)
    r = client.post("/api/v1/users/me/tokens", {"name": "报表脚本", "scope": "read_write"}, content_type="application/json")
    assert r.status_code == 201
    key = r.json()["key"]
    assert key.startswith("gx_") and len(key) > 40
    listed = client.get("/api/v1/users/me/tokens")
    assert listed.status_code == 200
    assert "key" not in listed.json()[0] and key not in listed.content.decode()
    assert listed.json()[0]["key_prefix"] == key[:10]
    row = ApiToken.objects.values().get(pk=r.json()["id"])
    assert all(key not in str(value) for value in row.values())
    assert row["key_hash"] == ApiToken.hash_key(key) and len(row["key_hash"]) == 64


def test_settings_page_shows_a_new_key_once(client, carol):
    client.force_login(carol)
    r = client.post("/settings/", {"form": "token", "name": "ERP 同步", "scope": "read"})
    assert r.status_code == 200
    shown = re.search(r'data-testid="new-token">.*?<code>(gx_[A-Za-z0-9_-]+)</code>', r.content.decode(), re.S)
    assert shown is not None
    key = shown.group(1)
    assert ApiToken.objects.get(user=carol, name="ERP 同步").key_hash == ApiToken.hash_key(key)
    again = client.get("/settings/").content.decode()
    assert "ERP 同步" in again
    assert key not in again and 'data-testid="new-token"' not in again


def test_read_token_may_read_but_not_write(client, carol, carols_account):
    _, auth = make_token(carol, scope="read")
    assert client.get("/api/v1/accounts/", **auth).status_code == 200
    assert client.get(f"/api/v1/accounts/{carols_account.pk}", **auth).status_code == 200
    writes = [
        client.post("/api/v1/accounts/", {"name": "新公司"}, content_type="application/json", **auth),
        client.patch(f"/api/v1/accounts/{carols_account.pk}", {"version": 1, "city": "杭州"}, content_type="application/json", **auth),
        client.delete(f"/api/v1/accounts/{carols_account.pk}", **auth),
    ]
    for r in writes:
        assert r.status_code == 403
        assert r.json()["code"] == "auth.token_read_only"
    account = Account.objects.get(pk=carols_account.pk)
    assert (account.city, account.version) == ("", 1)
    assert not Account.objects.filter(name="新公司").exists()


def test_read_write_token_may_write(client, carol, carols_account):
    _, auth = make_token(carol, scope="read_write")
    r = client.patch(f"/api/v1/accounts/{carols_account.pk}", {"version": 1, "city": "杭州"}, content_type="application/json", **auth)
    assert r.status_code == 200
    assert Account.objects.get(pk=carols_account.pk).city == "杭州"


def test_expired_token_is_401(client, carol):
    token, auth = make_token(carol, expires_at=timezone.now() + timedelta(days=1))
    assert client.get("/api/v1/users/me", **auth).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    r = client.get("/api/v1/users/me", **auth)
    assert r.status_code == 401
    assert r.json()["code"] == "auth.required"
    assert r["WWW-Authenticate"].startswith("Bearer")


def test_token_cannot_be_created_already_expired(client, carol):
    client.force_login(carol)
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    r = client.post("/api/v1/users/me/tokens", {"name": "x", "expires_at": past}, content_type="application/json")
    assert r.status_code == 422
    assert "expires_at" in r.json()["errors"]


def test_revoked_token_is_401_on_the_very_next_call(client, carol):
    token, auth = make_token(carol)
    assert client.get("/api/v1/users/me", **auth).status_code == 200
    client.force_login(carol)
    assert client.delete(f"/api/v1/users/me/tokens/{token.pk}").status_code == 204
    client.logout()
    assert client.get("/api/v1/users/me", **auth).status_code == 401


def test_revoking_from_the_settings_page_stops_the_token(client, carol):
    token, auth = make_token(carol)
    client.force_login(carol)
    assert f"/settings/tokens/{token.pk}/revoke/" in client.get("/settings/").content.decode()
    r = client.post(f"/settings/tokens/{token.pk}/revoke/")
    assert r.status_code == 302
    client.logout()
    assert client.get("/api/v1/users/me", **auth).status_code == 401
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_nobody_can_revoke_someone_elses_token(client, carol, dave, alice):
    token, auth = make_token(carol)
    for person in (dave, alice):
        client.force_login(person)
        assert client.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 404
        assert client.delete(f"/api/v1/users/me/tokens/{token.pk}").status_code == 404
    client.logout()
    assert client.get("/api/v1/users/me", **auth).status_code == 200


def test_deactivated_users_token_is_401(client, carol):
    _, auth = make_token(carol, scope="read_write")
    carol.is_active = False
    carol.save(update_fields=["is_active"])
    assert client.get("/api/v1/users/me", **auth).status_code == 401


def test_carols_token_sees_only_carols_data(client, carol, carols_account, daves_account):
    _, auth = make_token(carol)
    me = client.get("/api/v1/users/me", **auth).json()
    assert me["username"] == "carol"
    names = [a["name"] for a in client.get("/api/v1/accounts/", **auth).json()["items"]]
    assert names == [carols_account.name]
    assert client.get(f"/api/v1/accounts/{daves_account.pk}", **auth).status_code == 404
    assert client.get(f"/api/v1/audit/customers.account/{daves_account.pk}", **auth).status_code == 404


def test_token_list_shows_only_my_tokens(client, carol, dave):
    make_token(dave)
    _, auth = make_token(carol)
    assert [t["name"] for t in client.get("/api/v1/users/me/tokens", **auth).json()] == ["script"]
    assert len(client.get("/api/v1/users/me/tokens", **auth).json()) == 1


@pytest.mark.parametrize("header", [
    "Bearer gx_not-a-real-token", "Bearer ", "Basic Y2Fyb2w6cGFzcw==", "Bearer " + "gx_" + "a" * 300, "Token gx_abc",
])
def test_malformed_or_unknown_tokens_are_401(client, carol, header):
    r = client.get("/api/v1/users/me", HTTP_AUTHORIZATION=header)
    assert r.status_code == 401
    assert r.json()["code"] == "auth.required"


def test_token_calls_are_audited_as_api_with_the_tokens_owner(client, carol, carols_account):
    from guanxi.audit.models import AuditEntry

    _, auth = make_token(carol, scope="read_write")
    client.patch(f"/api/v1/accounts/{carols_account.pk}", {"version": 1, "city": "杭州"}, content_type="application/json", **auth)
    entry = AuditEntry.objects.filter(object_id=carols_account.pk).order_by("-id").first()
    assert (entry.actor, entry.source) == (carol, "api")
