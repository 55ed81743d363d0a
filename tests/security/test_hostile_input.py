"""Hostile input, by hand (issue 3, item 12): the cases a fuzzer rarely builds — bytes that are
not UTF-8, bodies over 10 MB, JSON of the wrong shape or depth, ids beyond 64 bits, garbage
cursors, NUL characters (which PostgreSQL refuses to store). Each is refused with problem+json,
never a 500, and changes nothing."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from tests.security.routes import api_operations
from tests.security.world import World, changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
API = api_operations()
HUGE_ID = "9" * 30


@pytest.fixture
def w(org):
    return World(org)


def refused(response, *statuses, code=None):
    assert response.status_code in statuses, f"{response.status_code} {response.content[:300]!r}"
    assert response["Content-Type"] == PROBLEM, response.content[:300]
    body = response.json()
    assert body["status"] == response.status_code and body["code"]
    if code:
        assert body["code"] == code, body
    return body


def send(client, method, url, body, **extra):
    return client.generic(method, url, body, content_type=extra.pop("content_type", "application/json"), **extra)


@pytest.fixture
def carol_api(w):
    return w.api_client("carol")


@pytest.mark.parametrize("method,url", [("POST", "/api/v1/accounts/"), ("POST", "/api/v1/contacts/"), ("PATCH", "/api/v1/users/me")])
@pytest.mark.parametrize("raw", [b'{"name": "\xff\xfe\xfd"}', b"\xc3\x28", b'{"name": "\xed\xa0\x80"}'], ids=["bad-bytes", "bad-start", "cesu-surrogate"])
def test_body_that_is_not_utf8_is_refused(carol_api, method, url, raw):
    before = db_fingerprint()
    refused(send(carol_api, method, url, raw), 400, 422)
    assert changed_tables(before, db_fingerprint()) == []


def test_body_over_ten_megabytes_is_refused_before_it_is_read(carol_api):
    before = db_fingerprint()
    body = b'{"name": "' + b"x" * settings.REQUEST_MAX_BYTES + b'"}'
    problem = refused(send(carol_api, "POST", "/api/v1/accounts/", body), 413, code="request.too_large")
    assert str(settings.REQUEST_MAX_BYTES) in problem["detail"]
    assert changed_tables(before, db_fingerprint()) == []


def test_a_body_of_exactly_the_limit_is_not_refused_for_its_size(carol_api):
    body = json.dumps({"name": "边界", "notes": "x"}).encode().ljust(settings.REQUEST_MAX_BYTES, b" ")
    r = send(carol_api, "POST", "/api/v1/accounts/", body)
    assert r.status_code == 201, r.content[:300]


def test_a_web_form_over_ten_megabytes_is_refused_too(w):
    client = w.web_client("carol")
    r = client.post("/accounts/new/", {"name": "x" * (settings.REQUEST_MAX_BYTES + 1)})
    assert r.status_code == 413


def test_a_content_length_that_is_not_a_number_is_refused(carol_api):
    refused(send(carol_api, "POST", "/api/v1/accounts/", b"{}", CONTENT_LENGTH="lots"), 400, code="request.bad_content_length")


@pytest.mark.parametrize("raw", [b"[]", b'[{"name": "x"}]', b'"x"', b"42", b"true", b"null"])
def test_json_of_the_wrong_top_level_type_is_refused(carol_api, w, raw):
    account = w.account()
    before = db_fingerprint()
    refused(send(carol_api, "POST", "/api/v1/accounts/", raw), 422, code="validation_failed")
    refused(send(carol_api, "PATCH", f"/api/v1/accounts/{account.pk}", raw), 422, code="validation_failed")
    assert changed_tables(before, db_fingerprint()) == []


def test_unknown_fields_are_refused_by_name(carol_api):
    before = db_fingerprint()
    problem = refused(send(carol_api, "POST", "/api/v1/accounts/", json.dumps({"name": "未知字段", "colour": "red"}).encode()), 422)
    assert "colour" in problem["errors"]
    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize("depth", [50_000, 1_000])
def test_deeply_nested_json_is_refused_not_crashed_on(carol_api, depth):
    before = db_fingerprint()
    raw = '{"name": "深", "custom": {"x": '.encode() + b"[" * depth + b"]" * depth + b"}}"
    refused(send(carol_api, "POST", "/api/v1/accounts/", raw), 400, 422)
    refused(send(carol_api, "POST", "/api/v1/accounts/", b"[" * depth + b"]" * depth), 400, 422)
    assert changed_tables(before, db_fingerprint()) == []


@pytest.mark.parametrize("body", [
    {"name": "a" * 201}, {"name": "x", "notes": "长" * 10_001}, {"name": "x", "other_phones": ["1"] * 11},
    {"name": "x", "custom": {f"k{i}": 1 for i in range(101)}}, {"name": 1e308}, {"name": ["x"]}, {"name": {"$gt": ""}},
], ids=["long-name", "long-notes", "many-phones", "many-custom", "float", "list", "operator"])
def test_oversized_and_mistyped_fields_are_refused(carol_api, body):
    before = db_fingerprint()
    refused(send(carol_api, "POST", "/api/v1/accounts/", json.dumps(body).encode()), 422)
    assert changed_tables(before, db_fingerprint()) == []


def test_json_null_for_a_text_field_means_empty_not_a_crash(carol_api, w):
    account = w.account(notes="备注")
    r = send(carol_api, "PATCH", f"/api/v1/accounts/{account.pk}", json.dumps({"version": account.version, "notes": None}).encode())
    assert r.status_code == 200, r.content
    assert r.json()["notes"] == ""
    r = send(carol_api, "POST", "/api/v1/accounts/", json.dumps({"name": "空地址", "address": None, "city": None}).encode())
    assert r.status_code == 201 and r.json()["address"] == ""


# --- NUL characters: SQLite stores them, PostgreSQL refuses them in text and jsonb -------------------


@pytest.mark.parametrize("method,url,body", [
    ("POST", "/api/v1/accounts/", {"name": "a\u0000b"}),
    ("POST", "/api/v1/contacts/", {"name": "张\u0000三"}),
    ("POST", "/api/v1/users/me/tokens", {"name": "t\u0000"}),
    ("POST", "/api/v1/accounts/bulk", {"action": "add_tag", "ids": [1], "tag": "\u0000"}),
], ids=["account", "contact", "token", "bulk-tag"])
def test_nul_characters_in_json_are_refused(carol_api, method, url, body):
    before = db_fingerprint()
    refused(send(carol_api, method, url, json.dumps(body).encode()), 400, 422)
    assert changed_tables(before, db_fingerprint()) == []


def test_an_escaped_backslash_before_u0000_is_ordinary_text(carol_api):
    r = send(carol_api, "POST", "/api/v1/accounts/", json.dumps({"name": "路径 C:\\u0000"}).encode())
    assert r.status_code == 201, r.content
    assert r.json()["name"] == "路径 C:\\u0000"


@pytest.mark.parametrize("url", ["/api/v1/accounts/?city=%00", "/api/v1/accounts/?q=a%00b", "/api/v1/contacts/?q=%00",
                                 "/api/v1/accounts/?%00=1"])
def test_nul_characters_in_the_query_string_are_refused(carol_api, url):
    refused(carol_api.get(url), 400)


def test_nul_characters_in_web_forms_and_filters_are_refused(w):
    account = w.account()
    client = w.web_client("carol")
    before = db_fingerprint()
    assert client.get("/accounts/?city=%00").status_code == 400
    assert client.post("/accounts/bulk/", {"action": "add_tag", "ids": [str(account.pk)], "tag": "标签\x00"}).status_code == 400
    assert client.post("/accounts/views/save/", {"view_name": "视图\x00"}).status_code == 400
    assert changed_tables(before, db_fingerprint()) == []


# --- ids, cursors and limits -----------------------------------------------------------------------

INT_PATHS = [op for op in API if op.path_params and not {"job_id", "object_type"} & set(op.path_params)]


def _client_for(w, carol_api, op, url):
    """carol, unless the operation is for administrators only (she gets 403 whatever the id, which
    reveals nothing): then alice, who must get past the permission check to the id. Probe with an
    id that names nothing, so that a write changes nothing."""
    probe = send(carol_api, op.method, url, b"")
    return w.api_client("alice") if probe.status_code == 403 else carol_api


@pytest.mark.parametrize("op", INT_PATHS, ids=[op.key for op in INT_PATHS])
def test_ids_beyond_64_bits_are_not_found_not_a_crash(w, carol_api, op):
    client = _client_for(w, carol_api, op, op.url(dict.fromkeys(op.path_params, "999999999")))
    before = db_fingerprint()
    refused(send(client, op.method, op.url(dict.fromkeys(op.path_params, HUGE_ID)), b""), 404, 422)
    refused(send(client, op.method, op.url(dict.fromkeys(op.path_params, "-1")), b""), 404)
    assert changed_tables(before, db_fingerprint()) == []


def test_huge_ids_elsewhere_are_refused(carol_api, w):
    account = w.account()
    refused(carol_api.get(f"/api/v1/audit/customers.account/{HUGE_ID}"), 404)
    refused(carol_api.get("/api/v1/jobs/not-a-uuid"), 404)
    refused(carol_api.get(f"/api/v1/contacts/?account_id={HUGE_ID}"), 422)
    refused(carol_api.get(f"/api/v1/accounts/?owner={HUGE_ID}"), 400)
    for body in ({"merged_id": int(HUGE_ID)}, {"merged_id": 2**63}):
        refused(send(carol_api, "POST", f"/api/v1/accounts/{account.pk}/merge", json.dumps(body).encode()), 422)
    refused(send(carol_api, "POST", "/api/v1/accounts/bulk", json.dumps({"action": "delete", "ids": [2**63]}).encode()), 422)


PAGED = [op for op in API if op.method == "GET" and "after" in op.query_params]
LIMITED = [op for op in API if op.method == "GET" and "limit" in op.query_params]


def test_every_list_pages_with_a_cursor():
    assert len(PAGED) >= 5 and {op.path for op in PAGED} >= {"/api/v1/accounts/", "/api/v1/contacts/"}


def _list_url(w, op):
    """The operation's path, its parameters (if any) naming one of carol's records (or, for the
    objects only administrators keep, one of theirs)."""
    from guanxi.dataio.models import WebhookEndpoint
    from guanxi.sales.models import Stage

    account = w.account()
    params = {"object_type": "customers.account", "object_id": account.pk, "account_id": account.pk, "contact_id": w.contact().pk}
    if "stage_id" in op.path_params:
        params["stage_id"] = Stage.objects.filter(pipeline__is_default=True).order_by("position").first().pk
    if "endpoint_id" in op.path_params:
        params["endpoint_id"] = WebhookEndpoint.objects.create(url="https://hooks.example.com/x", secret="s" * 32, events=[]).pk
    return op.url(params)


@pytest.mark.parametrize("op", PAGED, ids=[op.key for op in PAGED])
@pytest.mark.parametrize("cursor", ["%25%25%25", "eyJ4IjoxfQ", "!!!!", "x" * 900, "W10", "bnVsbA", "%00"])
def test_garbage_cursor_is_a_400_with_a_stable_code(w, carol_api, op, cursor):
    expected = "request.nul_character" if cursor == "%00" else "pagination.invalid_cursor"
    url = _list_url(w, op)
    client = _client_for(w, carol_api, op, url)
    refused(client.get(f"{url}?after={cursor}"), 400, code=expected)


@pytest.mark.parametrize("op", LIMITED, ids=[op.key for op in LIMITED])
@pytest.mark.parametrize("limit", ["201", "0", "-1", "abc", HUGE_ID])
def test_limit_outside_1_to_200_is_refused(w, carol_api, op, limit):
    url = _list_url(w, op)
    client = _client_for(w, carol_api, op, url)
    refused(client.get(f"{url}?limit={limit}"), 400, 422)


def test_limit_200_is_allowed(carol_api):
    assert carol_api.get("/api/v1/accounts/?limit=200").status_code == 200


@pytest.mark.parametrize("expires_at", ["2031-01-01T00:00:00+16:00", "2031-01-01T00:00:00-23:59", "2031-01-01T00:00:00"])
def test_token_expiry_with_any_offset_or_none_is_stored_not_crashed_on(carol_api, expires_at):
    r = send(carol_api, "POST", "/api/v1/users/me/tokens", json.dumps({"name": "时区", "expires_at": expires_at}).encode())
    assert r.status_code == 201, r.content
    assert r.json()["expires_at"].startswith("2031-01-0") or r.json()["expires_at"].startswith("2030-12-31")


def test_token_expiry_in_the_past_is_refused(carol_api):
    r = send(carol_api, "POST", "/api/v1/users/me/tokens", json.dumps({"name": "过期", "expires_at": "2001-01-01T00:00:00"}).encode())
    assert refused(r, 422)["errors"]["expires_at"]
