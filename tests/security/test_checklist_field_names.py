"""SECURITY.md, SQL injection through names: sort, filter, column and saved-view names come from the
list's allow-list. A name that is not on it — a lookup across a relation (owner__password), a
JSON-key trick on a custom field (cf_x' OR 1=1) — is a 400 with a list.* code, names nothing it
should not, and changes nothing."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from guanxi.customers.custom_fields import custom_field_save
from guanxi.customers.models import SavedView
from tests.security.world import World, changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
LISTS = ["/api/v1/accounts/", "/api/v1/contacts/", "/api/v1/orders/"]

BAD_SORTS = ["owner__password", "-owner__password", "password", "name_sort", "owner__username", "id); DROP TABLE users_user; --",
             "name'", "custom__x", "?", "name,owner__password"]
BAD_FILTERS = ["owner__password", "owner__password__startswith", "owner__is_superuser", "custom__x", "name__regex",
               "cf_x' OR 1=1 --", 'cf_x") OR 1=1 --', "cf_budget__owner__password", "cf_budget__password",
               "team__members__password", "tags__accounts__owner__password", "pk__in", "deleted_at__isnull",
               "extra", "__class__"]


@pytest.fixture
def w(org):
    custom_field_save(actor=org.users["alice"], data={"object_type": "account", "key": "budget", "label": "预算", "field_type": "number"})
    custom_field_save(actor=org.users["alice"], data={"object_type": "account", "key": "level", "label": "级别", "field_type": "choice",
                                                      "choices": ["A", "B"]})
    return World(org)


@pytest.fixture
def carol_api(w):
    w.account(owner="carol")
    return w.api_client("carol")


def _refused(response, code):
    assert response.status_code == 400, f"{response.status_code} {response.content[:300]!r}"
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code, body
    text = json.dumps(body)
    for secret in ("md5$", "pbkdf2", "argon2", "password_hash", "Traceback", "SELECT "):
        assert secret not in text
    return body


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("sort", BAD_SORTS)
def test_sort_names_off_the_allow_list_are_400(carol_api, url, sort):
    r = carol_api.get(f"{url}?sort={quote(sort)}")
    if len(sort) > 20:  # longer than any sort name: refused by the schema before the list engine sees it
        assert r.status_code == 422 and r.json()["code"] == "validation_failed"
    else:
        _refused(r, "list.unknown_sort")


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("name", BAD_FILTERS)
def test_filter_names_off_the_allow_list_are_400(carol_api, url, name):
    _refused(carol_api.get(f"{url}?{quote(name)}=x"), "list.unknown_filter")


@pytest.mark.parametrize("url", LISTS)
def test_column_names_off_the_allow_list_are_400(carol_api, url):
    _refused(carol_api.get(f"{url}?columns=owner__password"), "list.unknown_column")


@pytest.mark.parametrize("value", ["A' OR 1=1 --", '" OR ""="', "A%", "A\\"])
def test_custom_choice_filter_values_off_the_choices_are_400(carol_api, value):
    _refused(carol_api.get(f"/api/v1/accounts/?cf_level={quote(value)}"), "list.invalid_value")


@pytest.mark.parametrize("value", ["1 OR 1=1", "1e999", "NaN", "0x10", "1;--"])
def test_custom_number_filter_values_must_be_numbers(carol_api, value):
    _refused(carol_api.get(f"/api/v1/accounts/?cf_budget__min={quote(value)}"), "list.invalid_value")


def test_allowed_names_still_work(carol_api, w):
    w.account(owner="carol", custom={"budget": 5000, "level": "A"})
    for url in ("/api/v1/accounts/?sort=-updated&cf_budget__min=1000&cf_level=A", "/api/v1/contacts/?sort=-created&owner=me",
                "/api/v1/orders/?sort=amount"):
        r = carol_api.get(url)
        assert r.status_code == 200, r.content
    assert len(carol_api.get("/api/v1/accounts/?cf_budget__min=1000&cf_level=A").json()["items"]) == 1


@pytest.mark.parametrize("query", ["sort=owner__password", "owner__password=x", "cf_x'%20OR%201=1=x", "columns=owner__password"])
def test_web_lists_refuse_unknown_names_with_400_and_show_nothing_extra(w, query):
    client = w.web_client("carol")
    for url in ("/accounts/", "/accounts/contacts/", "/accounts/orders/"):
        r = client.get(f"{url}?{query}")
        assert r.status_code == 400, (url, r.status_code)
        assert "md5$" not in r.content.decode()


# --- exports and bulk "all matching" read the same allow-list -------------------------------------


@pytest.mark.parametrize("filters,columns,code", [
    ({"owner__password": "x"}, [], "list.unknown_filter"),
    ({"sort": "owner__password"}, [], "list.unknown_sort"),
    ({"cf_x' OR 1=1": "1"}, [], "list.unknown_filter"),
    ({}, ["name", "owner__password"], None),
])
def test_export_filters_and_columns_come_from_the_allow_list(carol_api, filters, columns, code):
    before = db_fingerprint()
    body = {"object_type": "account", "filters": filters, "columns": columns}
    r = carol_api.post("/api/v1/exports/", json.dumps(body), content_type="application/json")
    assert r.status_code in (400, 422), r.content
    assert r["Content-Type"] == PROBLEM
    if code:
        assert r.json()["code"] == code
    assert changed_tables(before, db_fingerprint()) == []


def test_web_export_with_a_smuggled_filter_changes_nothing_and_sends_no_file(w):
    w.account(owner="carol")
    client = w.web_client("carol")
    before = db_fingerprint()
    r = client.post("/export/account/", {"owner__password__startswith": "md5", "format": "csv"})
    assert r.status_code in (302, 400), r.status_code
    assert "Content-Disposition" not in r
    assert changed_tables(before, db_fingerprint()) == []


def test_bulk_on_all_matching_with_a_smuggled_filter_changes_nothing(w):
    w.account(owner="carol")
    client = w.web_client("carol")
    before = db_fingerprint()
    r = client.post("/accounts/bulk/", {"action": "delete", "scope": "all", "f_owner__password__startswith": "md5"})
    assert r.status_code == 400
    assert changed_tables(before, db_fingerprint()) == []


# --- saved views hold allowed names only ------------------------------------------------------------


@pytest.mark.parametrize("field,value", [("owner__password__startswith", "md5"), ("sort", "owner__password"),
                                         ("cf_x' OR 1=1", "1"), ("columns", "owner__password")])
def test_a_saved_view_with_an_unknown_name_is_not_saved(w, field, value):
    r = w.web_client("carol").post("/accounts/views/save/", {"view_name": "注入", field: value})
    assert r.status_code == 302
    assert not SavedView.objects.exists()


def test_a_tampered_saved_view_is_refused_when_used(w):
    view = SavedView.objects.create(owner=w.user("carol"), object_type="account", name="篡改", params={"owner__password__startswith": "md5"})
    r = w.web_client("carol").get(f"/accounts/?view={view.pk}")
    assert r.status_code == 400
    assert "md5$" not in r.content.decode()


# --- other names that reach a lookup ----------------------------------------------------------------


@pytest.mark.parametrize("object_type", ["users.user", "auth.permission", "users.apitoken", "sessions.session", "customers.account__owner",
                                         "customers.savedview", "dataio.job"])
def test_history_only_for_audited_record_types(carol_api, object_type):
    r = carol_api.get(f"/api/v1/audit/{object_type}/1")
    assert r.status_code == 404 and r["Content-Type"] == PROBLEM


def test_search_types_are_an_allow_list(carol_api):
    r = carol_api.get("/api/v1/search?q=客户&types=users.user")
    assert r.status_code in (400, 422), r.content
    assert r["Content-Type"] == PROBLEM
