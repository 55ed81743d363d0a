"""SECURITY.md, mass assignment and bulk endpoints, the parts test_mass_assignment.py leaves open:
import mappings and mapping templates cannot target owner/team/version/role; ids inside bodies
(an order's account, a contact's accounts, a merge partner, a share) are checked like ids in paths;
every way ownership moves — transfer, claim, release, bulk assign, merge — leaves an audit entry."""

from __future__ import annotations

import json

import pytest

from guanxi.audit.models import Action, AuditEntry
from guanxi.customers.models import Account, Contact
from guanxi.dataio.models import ImportUpload, MappingTemplate
from tests.security.world import World, changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
PROTECTED_TARGETS = ["owner", "owner_id", "team", "team_id", "department_id", "version", "created_by_id", "deleted_at",
                     "is_superuser", "role", "id", "search_text", "name_key", "merged_into_id", "custom.owner_id",
                     "custom", "name__owner__password"]


@pytest.fixture
def w(org):
    return World(org)


def _json(client, method, url, body):
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def _csv_upload(w, owner="carol"):
    from guanxi.dataio.importing import upload_create

    return upload_create(actor=w.user(owner), object_type="account", filename="客户.csv",
                         data="名称,电话,负责人\n映射测试有限公司,13800138000,2\n".encode())


# --- import mappings -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", PROTECTED_TARGETS)
def test_an_import_mapping_cannot_target_ownership_or_bookkeeping_fields(w, target):
    upload = _csv_upload(w)
    client = w.api_client("carol")
    before = db_fingerprint()
    r = _json(client, "POST", f"/api/v1/imports/{upload.pk}/dry-run", {"mapping": ["name", "phone", target], "key": "phone"})
    assert r.status_code == 422, r.content
    assert r["Content-Type"] == PROBLEM and r.json()["code"] == "import.mapping_invalid"
    assert "负责人" in r.json()["errors"]
    assert changed_tables(before, db_fingerprint()) == []
    assert ImportUpload.objects.get(pk=upload.pk).mapping == upload.mapping


@pytest.mark.parametrize("target", ["owner_id", "team_id", "version"])
def test_the_web_mapping_screen_refuses_ownership_targets_too(w, target):
    upload = _csv_upload(w)
    r = w.web_client("carol").post(f"/import/{upload.pk}/mapping/", {"col_0": "name", "col_1": "phone", "col_2": target, "key": "phone"})
    assert r.status_code == 422
    assert ImportUpload.objects.get(pk=upload.pk).mapping == upload.mapping


@pytest.mark.parametrize("target", ["owner_id", "team", "is_superuser"])
def test_a_mapping_template_cannot_hold_ownership_targets(w, target):
    client = w.api_client("carol")
    r = _json(client, "POST", "/api/v1/imports/templates", {"object_type": "account", "name": "坏模板", "mapping": {"名称": "name", "负责人": target}})
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"
    upload = _csv_upload(w)
    r = w.web_client("carol").post(f"/import/{upload.pk}/mapping/", {"col_0": "name", "col_1": "phone", "col_2": target, "key": "phone",
                                                                      "action": "save_template", "template_name": "坏模板"})
    assert r.status_code == 422
    assert not MappingTemplate.objects.exists()


def test_an_import_never_changes_the_owner_of_an_existing_account(w):
    """Matching an existing record updates its fields, never who owns it (owner is not importable)."""
    from guanxi.dataio.importing import import_dry_run, upload_create, upload_set_mapping

    carol = w.user("carol")
    account = w.account("carol", phone="13800138000")
    upload = upload_create(actor=carol, object_type="account", filename="x.csv",
                           data=f"名称,电话\n{account.name},13800138000\n".encode())
    upload_set_mapping(actor=carol, upload=upload, mapping=["name", "phone"], key="phone")
    import_dry_run(actor=carol, upload=upload)
    account.refresh_from_db()
    assert account.owner == carol


# --- ids inside bodies are checked like ids in paths ---------------------------------------------


def test_an_order_cannot_be_created_on_someone_elses_account(w):
    carols = w.account("carol")
    client = w.api_client("dave")
    before = db_fingerprint()
    r = _json(client, "POST", "/api/v1/orders/", {"account_id": carols.pk, "order_date": "2026-03-01", "amount": "100.00"})
    assert r.status_code in (404, 422), r.content
    assert r["Content-Type"] == PROBLEM
    assert changed_tables(before, db_fingerprint()) == []


def test_a_contact_cannot_be_linked_to_someone_elses_account(w):
    carols = w.account("carol")
    daves_contact = w.contact("dave")
    client = w.api_client("dave")
    before = db_fingerprint()
    r = _json(client, "POST", "/api/v1/contacts/", {"name": "偷连", "account_ids": [carols.pk]})
    assert r.status_code == 422
    r = _json(client, "PUT", f"/api/v1/contacts/{daves_contact.pk}/accounts", {"account_ids": [carols.pk]})
    assert r.status_code in (405, 422), r.content
    r = _json(client, "POST", f"/api/v1/contacts/{daves_contact.pk}/accounts", {"account_ids": [carols.pk]})
    assert r.status_code in (405, 422), r.content
    assert changed_tables(before, db_fingerprint()) == []


def test_merge_with_someone_elses_account_is_404_and_changes_nothing(w):
    mine, carols = w.account("dave"), w.account("carol")
    client = w.api_client("dave")
    before = db_fingerprint()
    assert _json(client, "POST", f"/api/v1/accounts/{mine.pk}/merge", {"merged_id": carols.pk}).status_code == 404
    assert _json(client, "POST", f"/api/v1/accounts/{carols.pk}/merge", {"merged_id": mine.pk}).status_code == 404
    assert w.web_client("dave").post(f"/accounts/{mine.pk}/merge/{carols.pk}/", {}).status_code == 404
    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize("field", ["owner", "owner_id", "team", "version", "deleted_at"])
def test_merge_choices_cannot_take_ownership_fields(w, field):
    a, b = w.account("carol"), w.account("carol")
    client = w.api_client("carol")
    before = db_fingerprint()
    r = _json(client, "POST", f"/api/v1/accounts/{a.pk}/merge", {"merged_id": b.pk, "choices": {field: "merged"}})
    assert r.status_code == 422 and field in r.json()["errors"]
    assert changed_tables(before, db_fingerprint()) == []


def test_sharing_someone_elses_account_is_404(w):
    carols = w.account("carol")
    client = w.api_client("dave")
    before = db_fingerprint()
    r = _json(client, "POST", f"/api/v1/accounts/{carols.pk}/shares", {"user_id": w.user("dave").pk, "can_edit": True})
    assert r.status_code == 404
    r = w.web_client("dave").post(f"/accounts/{carols.pk}/shares/", {"target": f"user:{w.user('dave').pk}", "can_edit": "on"})
    assert r.status_code == 404
    assert changed_tables(before, db_fingerprint()) == []


def test_web_bulk_on_all_matching_rows_touches_only_editable_ones(w):
    carols = [w.account("carol").pk for _ in range(2)]
    mine = w.account("dave").pk
    client = w.web_client("dave")
    r = client.post("/accounts/bulk/", {"action": "delete", "scope": "all", "f_owner": str(w.user("carol").pk)})
    assert r.status_code == 302
    assert Account.objects.filter(pk__in=carols).count() == 2
    r = client.post("/accounts/bulk/", {"action": "assign_owner", "owner_id": str(w.user("dave").pk), "ids": [str(pk) for pk in carols] + [str(mine)]})
    assert r.status_code == 302
    assert set(Account.objects.filter(pk__in=carols).values_list("owner_id", flat=True)) == {w.user("carol").pk}


def test_web_contact_form_ignores_owner_and_bookkeeping_fields(w):
    contact = w.contact("carol")
    dave = w.user("dave")
    r = w.web_client("carol").post(f"/accounts/contacts/{contact.pk}/edit/", {
        "name": contact.name, "title": "总监", "version": contact.version,
        "owner": dave.pk, "owner_id": dave.pk, "team": w.org.team_west.pk, "deleted_at": "2026-01-01", "version_bump": 9,
    })
    assert r.status_code == 302, r.content.decode()[:1000]
    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.title, contact.owner, contact.team, contact.version) == ("总监", w.user("carol"), w.org.team_east, 2)


# --- every ownership change is audited ---------------------------------------------------------------


def _ownership_entries(account):
    return list(AuditEntry.objects.filter(object_id=account.pk, action__in=[Action.OWNERSHIP, Action.MERGE]).order_by("id"))


def _assert_owner_change_audited(account, old, new, actor):
    account = Account.all_objects.get(pk=account.pk)
    assert account.owner_id == getattr(new, "pk", None)
    entry = _ownership_entries(account)[-1]
    assert entry.actor_id == actor.pk
    assert entry.changes["owner_id"] == [getattr(old, "pk", None), getattr(new, "pk", None)]


def test_api_transfer_is_audited(w):
    account, bob, carol, dave = w.account("carol"), w.user("bob"), w.user("carol"), w.user("dave")
    r = _json(w.api_client("bob"), "POST", f"/api/v1/accounts/{account.pk}/transfer", {"owner_id": dave.pk, "version": account.version})
    assert r.status_code == 200, r.content
    _assert_owner_change_audited(account, carol, dave, bob)


def test_web_transfer_is_audited(w):
    account, carol, dave = w.account("carol"), w.user("carol"), w.user("dave")
    r = w.web_client("carol").post(f"/accounts/{account.pk}/transfer/", {"owner": dave.pk, "version": account.version})
    assert r.status_code == 302
    _assert_owner_change_audited(account, carol, dave, carol)


def test_release_and_claim_are_audited_on_both_faces(w):
    carol, dave = w.user("carol"), w.user("dave")
    account = w.account("carol")
    assert _json(w.api_client("carol"), "POST", f"/api/v1/accounts/{account.pk}/release", {"reason": "不跟了"}).status_code == 200
    _assert_owner_change_audited(account, carol, None, carol)
    assert w.api_client("dave").post(f"/api/v1/accounts/pool/{account.pk}/claim").status_code == 200
    _assert_owner_change_audited(account, None, dave, dave)
    other = w.pool_account()
    assert w.web_client("dave").post(f"/accounts/pool/{other.pk}/claim/").status_code == 302
    _assert_owner_change_audited(other, None, dave, dave)


def test_bulk_assign_owner_is_audited_per_account(w):
    carol, bob, dave = w.user("carol"), w.user("bob"), w.user("dave")
    ids = [w.account("carol").pk for _ in range(3)]
    r = _json(w.api_client("bob"), "POST", "/api/v1/accounts/bulk", {"action": "assign_owner", "ids": ids, "owner_id": dave.pk})
    assert r.status_code == 200 and r.json()["result"]["done"] == 3
    for pk in ids:
        _assert_owner_change_audited(Account.objects.get(pk=pk), carol, dave, bob)


def test_merge_is_audited_on_both_records(w):
    a, b = w.account("carol"), w.account("carol")
    r = _json(w.api_client("carol"), "POST", f"/api/v1/accounts/{a.pk}/merge", {"merged_id": b.pk, "choices": {"name": "merged"}})
    assert r.status_code == 200, r.content
    assert [e.action for e in _ownership_entries(a)] == [Action.MERGE]
    assert [e.action for e in _ownership_entries(b)] == [Action.MERGE]
    assert Account.all_objects.get(pk=b.pk).merged_into_id == a.pk
