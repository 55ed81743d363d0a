"""Mass assignment and bulk actions (SECURITY.md): generic updates write only the fields their
schema lists; ownership moves only through the audited transfer; a bulk action with someone
else's ids changes nothing of theirs."""

from __future__ import annotations

import pytest

from guanxi.customers.models import Account, Contact
from guanxi.users.models import User
from tests.security.world import World, changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def w(org):
    return World(org)


def _patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


def _refused_and_unchanged(response, before, status=422):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert changed_tables(before, db_fingerprint()) == []
    return response.json()


FORBIDDEN_ACCOUNT_FIELDS: list[dict[str, object]] = [
    {"owner_id": "dave"},
    {"owner": "dave"},
    {"team_id": "West"},
    {"department_id": "west"},
    {"is_superuser": True},
    {"is_staff": True},
    {"role": "admin"},
    {"deleted_at": "2026-01-01T00:00:00Z"},
    {"deleted_by_id": "dave"},
    {"created_at": "2020-01-01T00:00:00Z"},
    {"updated_at": "2020-01-01T00:00:00Z"},
    {"created_by_id": "dave"},
    {"id": 999},
    {"search_text": "偷偷改"},
    {"name_key": "x"},
    {"merged_into_id": 1},
    {"pool_entered_at": "2026-01-01T00:00:00Z"},
    {"last_activity_at": "2026-01-01T00:00:00Z"},
    {"favourite_colour": "red"},
]


def _resolve(w, body):
    """Replace persona names with their ids so the forbidden values are real and harmful."""
    out = {}
    for key, value in body.items():
        if value == "dave":
            value = w.user("dave").pk
        elif value == "West":
            value = w.org.team_west.pk
        elif value == "west":
            value = w.org.west.pk
        out[key] = value
    return out


@pytest.mark.parametrize("extra", FORBIDDEN_ACCOUNT_FIELDS, ids=[next(iter(b)) for b in FORBIDDEN_ACCOUNT_FIELDS])
def test_account_patch_with_a_field_outside_its_schema_is_refused_and_changes_nothing(w, extra):
    account = w.account()
    client = w.api_client("carol")
    before = db_fingerprint()
    body = {"version": account.version, "city": "苏州", **_resolve(w, extra)}
    problem = _refused_and_unchanged(_patch(client, f"/api/v1/accounts/{account.pk}", body), before)
    assert problem["code"] == "validation_failed"
    assert next(iter(extra)) in problem["errors"]
    assert Account.objects.get(pk=account.pk).owner == w.user("carol")


def test_account_create_cannot_name_another_owner(w):
    client = w.api_client("carol")
    before = db_fingerprint()
    r = client.post("/api/v1/accounts/", {"name": "冒名客户", "owner_id": w.user("dave").pk}, content_type="application/json")
    assert _refused_and_unchanged(r, before)["code"] == "validation_failed"


def test_a_stale_or_bumped_version_changes_nothing(w):
    account = w.account()
    client = w.api_client("carol")
    before = db_fingerprint()
    r = _patch(client, f"/api/v1/accounts/{account.pk}", {"version": account.version + 5, "city": "苏州"})
    assert _refused_and_unchanged(r, before, status=409)["code"] == "version_conflict"


@pytest.mark.parametrize("version", ["1", True, 1.0, None, [1], -1, 0])
def test_version_must_be_a_plain_positive_integer(w, version):
    account = w.account()
    client = w.api_client("carol")
    before = db_fingerprint()
    r = _patch(client, f"/api/v1/accounts/{account.pk}", {"version": version, "city": "苏州"})
    assert _refused_and_unchanged(r, before)["code"] == "validation_failed"


def test_custom_fields_cannot_smuggle_unknown_keys(w):
    account = w.account()
    client = w.api_client("carol")
    before = db_fingerprint()
    r = _patch(client, f"/api/v1/accounts/{account.pk}", {"version": account.version, "custom": {"owner_id": w.user("dave").pk}})
    assert _refused_and_unchanged(r, before)["code"] == "validation_failed"


@pytest.mark.parametrize("field", ["owner_id", "account_ids_all", "deleted_at", "version_bump"])
def test_contact_patch_with_a_field_outside_its_schema_is_refused(w, field):
    contact = w.contact()
    client = w.api_client("carol")
    before = db_fingerprint()
    body = {"version": contact.version, "title": "经理", field: w.user("dave").pk}
    assert _refused_and_unchanged(_patch(client, f"/api/v1/contacts/{contact.pk}", body), before)["code"] == "validation_failed"
    assert Contact.objects.get(pk=contact.pk).owner == w.user("carol")


@pytest.mark.parametrize("field", ["is_superuser", "is_staff", "role", "role_id", "department_id", "manager_id", "username"])
def test_users_cannot_promote_themselves_through_their_preferences(w, field):
    client = w.api_client("carol")
    before = db_fingerprint()
    r = _patch(client, "/api/v1/users/me", {"language": "en", field: 1})
    assert _refused_and_unchanged(r, before)["code"] == "validation_failed"
    carol = User.objects.get(pk=w.user("carol").pk)
    assert not carol.is_superuser and carol.role.code == "sales_rep"


def test_a_token_cannot_be_created_for_someone_else(w):
    client = w.api_client("carol")
    before = db_fingerprint()
    r = client.post("/api/v1/users/me/tokens", {"name": "x", "scope": "read", "user_id": w.user("alice").pk}, content_type="application/json")
    assert _refused_and_unchanged(r, before)["code"] == "validation_failed"


def test_web_edit_form_ignores_owner_and_bookkeeping_fields(w):
    account = w.account()
    dave = w.user("dave")
    client = w.web_client("carol")
    r = client.post(f"/accounts/{account.pk}/edit/", {
        "name": account.name, "kind": "company", "nature": "ordinary", "city": "苏州", "version": account.version,
        "owner": dave.pk, "owner_id": dave.pk, "team": w.org.team_west.pk, "department": w.org.west.pk,
        "deleted_at": "2026-01-01 00:00", "created_by": dave.pk, "is_superuser": "on",
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    account.refresh_from_db()
    assert account.city == "苏州"
    assert (account.owner, account.team, account.department, account.deleted_at) == (w.user("carol"), w.org.team_east, w.org.east, None)
    assert account.version == 2


# --- bulk actions: every id is checked --------------------------------------------------------------


@pytest.mark.parametrize("action,extra", [
    ("delete", {}), ("move_to_pool", {}), ("add_tag", {"tag": "抢来的"}), ("assign_owner", {"owner_id": "dave"}),
])
def test_api_bulk_action_with_someone_elses_ids_changes_nothing_of_theirs(w, action, extra):
    carols = [w.account().pk for _ in range(3)]
    mine = w.account("dave").pk
    client = w.api_client("dave")
    body = {"action": action, "ids": [*carols, mine], **_resolve(w, extra)}
    before = {pk: Account.all_objects.get(pk=pk) for pk in carols}
    r = client.post("/api/v1/accounts/bulk", body, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["result"] == {"done": 1, "skipped": 3, "total": 4}
    for pk, old in before.items():
        now = Account.all_objects.get(pk=pk)
        assert (now.owner_id, now.deleted_at, now.version, list(now.tags.all())) == (old.owner_id, None, old.version, [])


def test_read_only_user_bulk_deleting_visible_accounts_changes_nothing(w):
    ids = [w.account().pk for _ in range(2)]
    client = w.api_client("grace")
    before = db_fingerprint()
    r = client.post("/api/v1/accounts/bulk", {"action": "delete", "ids": ids}, content_type="application/json")
    assert r.status_code == 200 and r.json()["result"]["done"] == 0
    assert changed_tables(before, db_fingerprint()) == []


def test_web_bulk_action_with_someone_elses_ids_changes_nothing_of_theirs(w):
    carols = [w.account().pk for _ in range(2)]
    client = w.web_client("dave")
    r = client.post("/accounts/bulk/", {"action": "delete", "ids": [str(pk) for pk in carols]})
    assert r.status_code == 302
    assert Account.objects.filter(pk__in=carols).count() == 2


def test_bulk_with_a_smuggled_field_is_refused(w):
    ids = [w.account().pk]
    client = w.api_client("carol")
    before = db_fingerprint()
    r = client.post("/api/v1/accounts/bulk", {"action": "add_tag", "ids": ids, "tag": "x", "owner": 1, "sql": "1=1"},
                    content_type="application/json")
    assert _refused_and_unchanged(r, before)["code"] == "validation_failed"
