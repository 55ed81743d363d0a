"""统一社会信用代码 (unified social credit code): validated, normalised, and unique. A duplicate is
refused naming only who owns the existing record, even when the caller may not see it (查重)."""

from __future__ import annotations

import pytest

from guanxi.customers.models import Account
from guanxi.customers.services import account_create

pytestmark = pytest.mark.django_db

CODE = "91110000600037341L"


@pytest.fixture
def carols(carol):
    return account_create(actor=carol, data={"name": "北京燕山石化有限公司", "credit_code": CODE})


def post(client, data):
    return client.post("/api/v1/accounts/", data, content_type="application/json")


def test_credit_code_typed_with_spaces_and_lowercase_is_stored_normalised(client, carol):
    client.force_login(carol)
    r = post(client, {"name": "北京燕山石化有限公司", "credit_code": " 9111 0000 6000 3734 1l "})
    assert r.status_code == 201, r.content
    assert r.json()["credit_code"] == CODE


def test_duplicate_of_an_invisible_account_names_only_the_owner(client, dave, carols):
    client.force_login(dave)
    r = post(client, {"name": "燕山石化（北京）", "credit_code": "9111 0000 6000 3734 1l"})
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "account.duplicate_uscc"
    assert body["owner"] == "Carol 卡罗"
    text = r.content.decode()
    assert carols.name not in text and "燕山石化有限公司" not in text
    assert str(carols.pk) not in {str(v) for v in body.values()}
    assert set(body) <= {"type", "title", "status", "code", "detail", "request_id", "owner", "in_pool"}
    assert Account.all_objects.filter(credit_code=CODE).count() == 1


def test_duplicate_of_a_record_in_the_trash_is_still_refused(client, carol, carols):
    client.force_login(carol)
    assert client.delete(f"/api/v1/accounts/{carols.pk}").status_code == 204
    r = post(client, {"name": "燕山石化", "credit_code": CODE})
    assert r.status_code == 409
    assert r.json()["code"] == "account.duplicate_uscc"


def test_changing_the_code_to_an_existing_one_is_refused(client, carol, carols):
    other = account_create(actor=carol, data={"name": "天津港务集团"})
    client.force_login(carol)
    r = client.patch(f"/api/v1/accounts/{other.pk}", {"version": other.version, "credit_code": CODE.lower()},
                     content_type="application/json")
    assert r.status_code == 409
    assert r.json()["code"] == "account.duplicate_uscc"
    assert Account.objects.get(pk=other.pk).credit_code is None


def test_duplicate_of_a_pool_account_says_it_is_in_the_pool(client, dave, carols):
    Account.objects.filter(pk=carols.pk).update(owner=None)
    client.force_login(dave)
    body = post(client, {"name": "燕山石化", "credit_code": CODE}).json()
    assert body["code"] == "account.duplicate_uscc"
    assert body["in_pool"] is True and "owner" not in body


def test_invalid_credit_code_is_422_with_a_field_error(client, carol):
    client.force_login(carol)
    for bad in ("91110000600037341X", "12345", "I1110000600037341L"):
        r = post(client, {"name": "无效代码公司", "credit_code": bad})
        assert r.status_code == 422, bad
        assert r.json()["code"] == "validation_failed"
        assert list(r.json()["errors"]) == ["credit_code"], bad
    assert not Account.objects.filter(name="无效代码公司").exists()


def test_web_form_shows_the_duplicate_next_to_nothing_secret(client, dave, carols):
    client.force_login(dave)
    r = client.post("/accounts/new/", {"name": "燕山石化", "kind": "company", "nature": "ordinary", "credit_code": CODE})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Carol 卡罗" in html
    assert carols.name not in html
    assert Account.all_objects.filter(credit_code=CODE).count() == 1
