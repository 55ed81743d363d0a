"""Soft delete with a trash: deleted accounts leave lists and search, wait 30 days in their owner's
trash (restorable by the owner or an administrator), then are purged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guanxi.audit import lifecycle
from guanxi.core.errors import NotFound
from guanxi.customers.models import Account
from guanxi.customers.services import account_create, account_delete, account_transfer, account_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def doomed(carol):
    return account_create(actor=carol, data={"name": "苏州金鸡湖物流有限公司"})


@pytest.fixture
def keeper(carol):
    return account_create(actor=carol, data={"name": "苏州工业园区服务中心"})


def api_names(client, url="/api/v1/accounts/"):
    r = client.get(url)
    assert r.status_code == 200, r.content
    return [item["name"] for item in r.json()["items"]]


def age(account, days):
    Account.all_objects.filter(pk=account.pk).update(deleted_at=timezone.now() - timedelta(days=days))


def test_deleted_account_disappears_from_lists_search_and_its_page(client, carol, doomed, keeper):
    client.force_login(carol)
    assert set(api_names(client)) == {doomed.name, keeper.name}
    r = client.delete(f"/api/v1/accounts/{doomed.pk}?version={doomed.version}")
    assert r.status_code == 204
    assert api_names(client) == [keeper.name]
    assert api_names(client, "/api/v1/accounts/?q=苏州") == [keeper.name]
    assert api_names(client, "/api/v1/accounts/?q=金鸡湖") == []
    web_list = client.get("/accounts/").content.decode()
    assert keeper.name in web_list and doomed.name not in web_list
    assert doomed.name not in client.get("/accounts/?q=金鸡湖").content.decode()
    assert client.get(f"/api/v1/accounts/{doomed.pk}").status_code == 404
    assert client.get(f"/accounts/{doomed.pk}/").status_code == 404
    assert client.patch(f"/api/v1/accounts/{doomed.pk}", {"version": doomed.version + 1, "city": "x"},
                        content_type="application/json").status_code == 404


def test_a_deleted_account_cannot_be_changed_or_transferred_until_restored(carol, bob, doomed):
    doomed = account_delete(actor=carol, account=doomed)
    with pytest.raises(NotFound):
        account_update(actor=carol, account=doomed, version=doomed.version, data={"city": "苏州"})
    with pytest.raises(NotFound):
        account_transfer(actor=carol, account=doomed, new_owner=bob, version=doomed.version)
    stored = Account.all_objects.get(pk=doomed.pk)
    assert (stored.city, stored.owner_id) == ("", carol.pk)


def test_web_delete_moves_the_account_to_the_trash_page(client, carol, doomed):
    client.force_login(carol)
    r = client.post(f"/accounts/{doomed.pk}/delete/")
    assert r.status_code == 302
    trash = client.get("/trash/").content.decode()
    assert doomed.name in trash
    assert f"/trash/customers.account/{doomed.pk}/restore/" in trash


def test_owner_sees_the_deleted_account_in_the_api_trash_others_do_not(client, carol, dave, bob, doomed, keeper):
    account_delete(actor=carol, account=doomed)
    client.force_login(carol)
    assert api_names(client, "/api/v1/accounts/trash") == [doomed.name]
    client.force_login(dave)
    assert api_names(client, "/api/v1/accounts/trash") == []
    assert doomed.name not in client.get("/trash/").content.decode()


def test_admin_sees_everyones_trash(client, alice, carol, doomed):
    account_delete(actor=carol, account=doomed)
    client.force_login(alice)
    assert api_names(client, "/api/v1/accounts/trash") == [doomed.name]


def test_owner_restores_from_the_trash_page_and_it_is_back_in_the_list(client, carol, doomed):
    account_delete(actor=carol, account=doomed)
    client.force_login(carol)
    r = client.post(f"/trash/customers.account/{doomed.pk}/restore/")
    assert r.status_code == 302
    assert doomed.name in api_names(client)
    assert doomed.name not in client.get("/trash/").content.decode()


def test_admin_restores_through_the_api(client, alice, carol, doomed):
    account_delete(actor=carol, account=doomed)
    client.force_login(alice)
    r = client.post(f"/api/v1/accounts/{doomed.pk}/restore")
    assert r.status_code == 200, r.content
    assert r.json()["deleted_at"] is None
    assert Account.objects.filter(pk=doomed.pk).exists()


def test_manager_who_may_edit_cannot_restore_a_subordinates_account(client, bob, carol, doomed):
    account_delete(actor=carol, account=doomed)
    client.force_login(bob)
    r = client.post(f"/api/v1/accounts/{doomed.pk}/restore")
    assert r.status_code == 403
    assert r.json()["code"] == "trash.restore_forbidden"
    assert client.post(f"/trash/customers.account/{doomed.pk}/restore/").status_code == 403
    assert Account.all_objects.get(pk=doomed.pk).deleted_at is not None


def test_someone_who_cannot_see_it_gets_404_on_restore(client, dave, carol, doomed):
    account_delete(actor=carol, account=doomed)
    client.force_login(dave)
    assert client.post(f"/api/v1/accounts/{doomed.pk}/restore").status_code == 404
    assert client.post(f"/trash/customers.account/{doomed.pk}/restore/").status_code == 404


def test_restoring_an_account_that_is_not_deleted_is_404(client, carol, keeper):
    client.force_login(carol)
    assert client.post(f"/api/v1/accounts/{keeper.pk}/restore").status_code == 404


def test_restore_works_on_day_29_and_not_after_30_days(client, carol, alice, doomed, keeper):
    account_delete(actor=carol, account=doomed)
    account_delete(actor=carol, account=keeper)
    age(doomed, 29)
    age(keeper, 31)
    client.force_login(carol)
    assert api_names(client, "/api/v1/accounts/trash") == [doomed.name]
    assert client.post(f"/api/v1/accounts/{keeper.pk}/restore").status_code == 404
    client.force_login(alice)
    assert client.post(f"/api/v1/accounts/{keeper.pk}/restore").status_code == 404
    client.force_login(carol)
    assert client.post(f"/api/v1/accounts/{doomed.pk}/restore").status_code == 200


def test_purge_removes_only_accounts_deleted_more_than_30_days_ago(carol, doomed, keeper):
    survivor = account_create(actor=carol, data={"name": "无锡太湖电子有限公司"})
    account_delete(actor=carol, account=doomed)
    account_delete(actor=carol, account=keeper)
    age(doomed, 31)
    age(keeper, 29)
    assert lifecycle.purge_expired(Account) == 1
    assert not Account.all_objects.filter(pk=doomed.pk).exists()
    assert Account.all_objects.filter(pk=keeper.pk).exists()
    assert Account.objects.filter(pk=survivor.pk).exists()
    assert lifecycle.purge_expired(Account) == 0


def test_trash_api_pages_with_a_cursor(client, carol):
    for i in range(5):
        account_delete(actor=carol, account=account_create(actor=carol, data={"name": f"回收站测试{i}号公司"}))
    client.force_login(carol)
    seen, pages = [], []
    url = "/api/v1/accounts/trash?limit=2"
    for _ in range(5):
        body = client.get(url).json()
        pages.append(len(body["items"]))
        seen += [item["name"] for item in body["items"]]
        if not body["next_cursor"]:
            break
        url = f"/api/v1/accounts/trash?limit=2&after={body['next_cursor']}"
    assert sorted(seen) == sorted(f"回收站测试{i}号公司" for i in range(5))
    assert pages == [2, 2, 1]
    assert seen[0] == "回收站测试4号公司"  # most recently deleted first
