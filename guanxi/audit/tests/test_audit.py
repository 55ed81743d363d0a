"""The change history: every service write leaves one entry (who, when, source, old → new) that
the record's page and the API show, and nobody can change or remove through the application."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import get_resolver
from django.utils import timezone, translation
from django.utils.text import capfirst

from guanxi.audit import lifecycle
from guanxi.audit.models import Action, AuditEntry, AuditImmutable
from guanxi.core.context import bound
from guanxi.customers.models import Account
from guanxi.customers.services import account_create, account_delete, account_restore, account_transfer, account_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(carol):
    return account_create(actor=carol, data={"name": "上海明远贸易有限公司", "city": "上海"})


def entries(obj):
    return list(AuditEntry.objects.filter(object_id=obj.pk, content_type__model=obj._meta.model_name).order_by("id"))


def test_create_writes_one_entry_with_actor_time_and_initial_values(carol):
    before = timezone.now()
    with bound(source="web"):
        acc = account_create(actor=carol, data={"name": "杭州云栖网络有限公司", "city": "杭州"})
    [entry] = entries(acc)
    assert entry.action == Action.CREATE
    assert entry.actor == carol and entry.actor_name == "carol"
    assert before - timedelta(seconds=1) <= entry.at <= timezone.now()
    assert entry.source == "web"
    assert entry.changes["name"] == [None, "杭州云栖网络有限公司"]
    assert entry.changes["city"] == [None, "杭州"]


def test_update_records_only_the_fields_that_changed_old_to_new(carol, account):
    account_update(actor=carol, account=account, version=account.version,
                   data={"name": account.name, "city": "苏州", "industry": "物流"})
    entry = entries(account)[-1]
    assert entry.action == Action.UPDATE
    assert entry.changes == {"city": ["上海", "苏州"], "industry": ["", "物流"]}


def test_delete_restore_and_ownership_change_each_write_one_entry(carol, bob, account):
    account = account_delete(actor=carol, account=account, version=account.version)
    account = account_restore(actor=carol, account=account)
    account_transfer(actor=bob, account=account, new_owner=bob, version=account.version)
    log = entries(account)
    assert [e.action for e in log] == [Action.CREATE, Action.DELETE, Action.RESTORE, Action.OWNERSHIP]
    assert [e.actor_name for e in log] == ["carol", "carol", "carol", "bob"]
    assert log[-1].changes["owner_id"] == [carol.pk, bob.pk]
    assert set(log[-1].changes) <= {"owner_id", "team_id", "department_id"}


def test_a_refused_write_leaves_no_entry(carol, dave, account):
    with pytest.raises(Exception):
        account_update(actor=dave, account=account, version=account.version, data={"city": "广州"})
    with pytest.raises(Exception):
        account_update(actor=carol, account=account, version=account.version + 5, data={"city": "广州"})
    assert [e.action for e in entries(account)] == [Action.CREATE]


def test_source_is_web_for_the_html_form(client, carol, account):
    client.force_login(carol)
    r = client.post(f"/accounts/{account.pk}/edit/", {"name": account.name, "kind": "company", "nature": "ordinary",
                                                     "city": "南京", "version": account.version})
    assert r.status_code == 302, r.content.decode()[:2000]
    entry = entries(account)[-1]
    assert (entry.source, entry.changes["city"]) == ("web", ["上海", "南京"])
    assert entry.request_id and entry.request_id != "-"


def test_source_is_api_for_api_calls(client, carol, account):
    client.force_login(carol)
    r = client.patch(f"/api/v1/accounts/{account.pk}", {"version": account.version, "city": "宁波"}, content_type="application/json")
    assert r.status_code == 200, r.content
    entry = entries(account)[-1]
    assert (entry.source, entry.changes) == ("api", {"city": ["上海", "宁波"]})
    assert entry.request_id == r["X-Request-ID"]


def test_source_is_task_inside_a_background_job(carol, account):
    with bound(source="task"):
        account_update(actor=carol, account=account, version=account.version, data={"city": "无锡"})
    assert entries(account)[-1].source == "task"


def test_account_page_history_partial_lists_entries_old_to_new(client, carol, account):
    account_update(actor=carol, account=account, version=account.version, data={"city": "苏州"})
    client.force_login(carol)
    r = client.get(f"/accounts/{account.pk}/history/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("<li><time") == 2
    assert "上海 → 苏州" in html
    assert "Carol 卡罗" in html


def test_history_names_fields_and_people_not_columns_and_ids(client, carol, bob, account):
    account_transfer(actor=bob, account=account, new_owner=bob, version=account.version)
    client.force_login(bob)
    html = client.get(f"/accounts/{account.pk}/history/").content.decode()
    with translation.override(bob.language):
        label = capfirst(str(Account._meta.get_field("owner").verbose_name))
    assert f'<span title="owner_id">{label}</span>: Carol 卡罗 → Bob 鲍勃' in html
    detail = client.get(f"/accounts/{account.pk}/").content.decode()
    assert f"/accounts/{account.pk}/history/" in detail


def test_history_costs_the_same_queries_for_a_long_history(client, carol, bob, account, django_assert_max_num_queries):
    client.force_login(carol)
    client.get(f"/accounts/{account.pk}/history/")  # warm the session and content-type caches
    with django_assert_max_num_queries(10):
        short = client.get(f"/accounts/{account.pk}/history/")
    for i in range(12):
        account = account_update(actor=bob, account=account, version=account.version, data={"city": f"城{i}"})
        account = account_transfer(actor=bob, account=account, new_owner=carol if i % 2 else bob, version=account.version)
    with django_assert_max_num_queries(10):
        long = client.get(f"/accounts/{account.pk}/history/")
    assert long.content.decode().count("<li><time") == 25 > short.content.decode().count("<li><time")


def test_api_serves_the_history_newest_first(client, carol, account):
    account_update(actor=carol, account=account, version=account.version, data={"city": "苏州"})
    client.force_login(carol)
    r = client.get(f"/api/v1/audit/customers.account/{account.pk}")
    assert r.status_code == 200
    body = r.json()["items"]
    assert [e["action"] for e in body] == ["update", "create"]
    assert body[0]["changes"] == {"city": ["上海", "苏州"]}
    assert body[0]["actor_id"] == carol.pk and body[0]["actor_name"] == "carol"


def test_history_of_a_deleted_record_stays_readable_to_its_owner(client, carol, account):
    account_delete(actor=carol, account=account)
    client.force_login(carol)
    r = client.get(f"/api/v1/audit/customers.account/{account.pk}")
    assert [e["action"] for e in r.json()["items"]] == ["delete", "create"]
    assert client.get(f"/accounts/{account.pk}/history/").status_code == 200


def test_api_history_pages_with_a_cursor(client, carol, account):
    for city in ("苏州", "无锡", "常州", "南通"):
        account = account_update(actor=carol, account=account, version=account.version, data={"city": city})
    client.force_login(carol)
    first = client.get(f"/api/v1/audit/customers.account/{account.pk}?limit=3").json()
    rest = client.get(f"/api/v1/audit/customers.account/{account.pk}?limit=3&after={first['next_cursor']}").json()
    cities = [e["changes"].get("city", [None, None])[1] for e in first["items"] + rest["items"]]
    assert cities == ["南通", "常州", "无锡", "苏州", "上海"]
    assert rest["next_cursor"] is None


def test_dave_cannot_read_the_history_of_carols_account(client, dave, account):
    client.force_login(dave)
    assert client.get(f"/accounts/{account.pk}/history/").status_code == 404
    r = client.get(f"/api/v1/audit/customers.account/{account.pk}")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_history_of_unknown_or_unowned_types_is_404(client, alice):
    client.force_login(alice)
    for object_type in ("users.user", "audit.auditentry", "nope.nothing", "customers"):
        r = client.get(f"/api/v1/audit/{object_type}/{alice.pk}")
        assert r.status_code == 404, object_type


def test_audit_entries_cannot_be_changed_or_deleted(carol, account):
    entry = entries(account)[0]
    entry.changes = {"name": [None, "forged"]}
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(changes={})
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditImmutable), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["changes"])
    entry.refresh_from_db()
    assert entry.changes["name"] == [None, "上海明远贸易有限公司"]


def test_no_api_route_or_page_accepts_writes_to_audit(client, alice, account):
    schema = client.get("/api/v1/openapi.json").json()
    methods = {m for path, item in schema["paths"].items() if path.startswith("/api/v1/audit/") for m in item}
    assert methods == {"get"}
    client.force_login(alice)
    url = f"/api/v1/audit/customers.account/{account.pk}"
    for verb in (client.post, client.put, client.patch, client.delete):
        assert verb(url, {}, content_type="application/json").status_code == 405
    assert not any("audit" in str(p.pattern) for p in get_resolver().url_patterns)
    assert AuditEntry.objects.filter(object_id=account.pk).count() == 1


def test_purge_writes_a_task_entry_that_outlives_the_record(carol, account):
    account_delete(actor=carol, account=account)
    pk = account.pk
    assert lifecycle.purge_expired(Account, now=timezone.now() + timedelta(days=31)) == 1
    assert not Account.all_objects.filter(pk=pk).exists()
    purge = AuditEntry.objects.filter(object_id=pk, action=Action.PURGE).get()
    assert purge.source == "task" and purge.actor is None
