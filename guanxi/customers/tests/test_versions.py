"""Optimistic locking: saving a copy older than the stored record is refused and nothing is
overwritten; the person is told what the record looks like now."""

from __future__ import annotations

import pytest
from django.utils import translation

from guanxi.core.errors import VersionConflict
from guanxi.customers.forms import AccountForm
from guanxi.customers.models import Account
from guanxi.customers.services import account_create, account_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(carol):
    return account_create(actor=carol, data={"name": "宁波港湾物流有限公司", "city": "宁波", "industry": "物流"})


def someone_else_edits(bob, account):
    """bob (carol's manager) saves a change after carol opened the record."""
    return account_update(actor=bob, account=account, version=account.version, data={"city": "舟山"})


def form_data(account, **overrides):
    data = {"name": account.name, "kind": "company", "nature": "ordinary", "city": account.city,
            "industry": account.industry, "version": account.version}
    data.update(overrides)
    return data


def test_api_patch_with_fresh_version_saves_and_increments_version(client, carol, account):
    client.force_login(carol)
    r = client.patch(f"/api/v1/accounts/{account.pk}", {"version": account.version, "industry": "港口"}, content_type="application/json")
    assert r.status_code == 200
    assert r.json()["version"] == account.version + 1
    assert Account.objects.get(pk=account.pk).industry == "港口"


def test_api_patch_with_stale_version_is_409_and_overwrites_nothing(client, carol, bob, account):
    someone_else_edits(bob, account)
    client.force_login(carol)
    r = client.patch(f"/api/v1/accounts/{account.pk}", {"version": account.version, "city": "杭州", "industry": "港口"},
                     content_type="application/json")
    assert r.status_code == 409
    assert r["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "version_conflict"
    assert body["current_version"] == account.version + 1
    assert body["changed"] == {"city": "舟山", "industry": "物流"}
    stored = Account.objects.get(pk=account.pk)
    assert (stored.city, stored.industry, stored.version) == ("舟山", "物流", account.version + 1)


def test_api_patch_without_a_version_is_refused(client, carol, account):
    client.force_login(carol)
    r = client.patch(f"/api/v1/accounts/{account.pk}", {"city": "杭州"}, content_type="application/json")
    assert r.status_code == 422
    assert "version" in r.json()["errors"]
    assert Account.objects.get(pk=account.pk).city == "宁波"


def test_api_retry_with_the_current_version_succeeds(client, carol, bob, account):
    someone_else_edits(bob, account)
    client.force_login(carol)
    conflict = client.patch(f"/api/v1/accounts/{account.pk}", {"version": account.version, "industry": "港口"},
                            content_type="application/json").json()
    r = client.patch(f"/api/v1/accounts/{account.pk}", {"version": conflict["current_version"], "industry": "港口"},
                     content_type="application/json")
    assert r.status_code == 200
    stored = Account.objects.get(pk=account.pk)
    assert (stored.city, stored.industry) == ("舟山", "港口")


def test_web_form_with_stale_version_shows_current_values_and_overwrites_nothing(client, carol, bob, account):
    someone_else_edits(bob, account)
    client.force_login(carol)
    r = client.post(f"/accounts/{account.pk}/edit/", form_data(account, city="杭州", industry="港口"))
    assert r.status_code == 200
    html = r.content.decode()
    error = html.split('class="errorlist nonfield"')[1].split("</ul>")[0]
    with translation.override(carol.language):
        assert str(VersionConflict.default_detail) in error
    assert "舟山" in error  # bob's value, which carol has not seen
    assert "宁波" not in error
    stored = Account.objects.get(pk=account.pk)
    assert (stored.city, stored.industry, stored.version) == ("舟山", "物流", account.version + 1)
    # The re-rendered form carries the current version, so saving again is a deliberate choice.
    assert f'name="version" value="{account.version + 1}"' in html


def test_web_form_with_fresh_version_saves(client, carol, account):
    client.force_login(carol)
    r = client.post(f"/accounts/{account.pk}/edit/", form_data(account, industry="港口"))
    assert r.status_code == 302
    stored = Account.objects.get(pk=account.pk)
    assert (stored.industry, stored.version) == ("港口", account.version + 1)


def test_web_form_without_a_version_is_refused(client, carol, account):
    client.force_login(carol)
    data = form_data(account, industry="港口")
    del data["version"]
    r = client.post(f"/accounts/{account.pk}/edit/", data)
    assert r.status_code == 200
    with translation.override(carol.language):
        assert str(AccountForm.base_fields["version"].error_messages["required"]) in r.content.decode()
    assert Account.objects.get(pk=account.pk).industry == "物流"


def test_api_delete_with_stale_version_is_409_and_deletes_nothing(client, carol, bob, account):
    someone_else_edits(bob, account)
    client.force_login(carol)
    r = client.delete(f"/api/v1/accounts/{account.pk}?version={account.version}")
    assert r.status_code == 409
    assert r.json()["code"] == "version_conflict"
    assert Account.objects.filter(pk=account.pk).exists()
    assert client.delete(f"/api/v1/accounts/{account.pk}?version={account.version + 1}").status_code == 204


def test_web_delete_with_stale_version_deletes_nothing(client, carol, bob, account):
    someone_else_edits(bob, account)
    client.force_login(carol)
    r = client.post(f"/accounts/{account.pk}/delete/", {"version": account.version}, follow=True)
    assert r.redirect_chain[-1][0] == f"/accounts/{account.pk}/"
    with translation.override(carol.language):
        assert str(VersionConflict.default_detail) in r.content.decode()
    assert Account.objects.filter(pk=account.pk).exists()


def test_api_transfer_with_stale_version_is_409(client, bob, carol, account):
    someone_else_edits(bob, account)
    client.force_login(bob)
    r = client.post(f"/api/v1/accounts/{account.pk}/transfer", {"owner_id": bob.pk, "version": account.version},
                    content_type="application/json")
    assert r.status_code == 409
    assert Account.objects.get(pk=account.pk).owner == carol
