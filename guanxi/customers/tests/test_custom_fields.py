import pytest

from guanxi.core.errors import PermissionDenied, ValidationFailed
from guanxi.customers.custom_fields import custom_field_save
from guanxi.customers.models import Account, CustomField
from guanxi.customers.services import account_create, account_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(alice):
    return [
        custom_field_save(actor=alice, data={"object_type": "account", "key": "employees", "label": "员工人数", "field_type": "number"}),
        custom_field_save(actor=alice, data={"object_type": "account", "key": "level", "label": "客户级别", "field_type": "choice",
                                             "choices": "A, B, C"}),
        custom_field_save(actor=alice, data={"object_type": "account", "key": "channels", "label": "渠道", "field_type": "multi_choice",
                                             "choices": ["线上", "线下", "代理"]}),
        custom_field_save(actor=alice, data={"object_type": "account", "key": "signed", "label": "签约日期", "field_type": "date"}),
    ]


def test_only_administrators_define_custom_fields(carol):
    with pytest.raises(PermissionDenied):
        custom_field_save(actor=carol, data={"object_type": "account", "key": "x", "label": "X", "field_type": "text"})


def test_custom_values_are_validated_and_stored_typed(carol, fields):
    account = account_create(actor=carol, data={"name": "客户甲", "custom": {"employees": "1,200", "level": "B",
                                                                               "channels": "代理,线上", "signed": "2026-03-01"}})
    assert account.custom == {"employees": 1200, "level": "B", "channels": ["线上", "代理"], "signed": "2026-03-01"}


def test_bad_custom_values_get_field_errors_and_nothing_is_saved(carol, fields):
    with pytest.raises(ValidationFailed) as exc:
        account_create(actor=carol, data={"name": "客户乙", "custom": {"employees": "很多", "level": "Z", "nope": 1}})
    assert set(exc.value.errors) == {"custom.employees", "custom.level", "custom.nope"}
    assert not Account.objects.filter(name="客户乙").exists()


def test_required_custom_field_is_enforced_on_create(alice, carol):
    custom_field_save(actor=alice, data={"object_type": "account", "key": "region_code", "label": "区域码", "field_type": "text",
                                         "required": True})
    with pytest.raises(ValidationFailed):
        account_create(actor=carol, data={"name": "客户丙"})


def test_update_merges_custom_values_and_clears_with_empty(carol, fields):
    account = account_create(actor=carol, data={"name": "客户丁", "custom": {"employees": 10, "level": "A"}})
    account = account_update(actor=carol, account=account, version=account.version, data={"custom": {"level": ""}})
    assert account.custom == {"employees": 10}


def test_web_form_shows_and_saves_custom_fields(client, carol, fields):
    client.force_login(carol)
    page = client.get("/accounts/new/").content.decode()
    assert "员工人数" in page and "客户级别" in page
    r = client.post("/accounts/new/", {"name": "网页客户", "nature": "ordinary", "kind": "company", "cf_employees": "abc", "cf_level": "A"})
    assert r.status_code == 200
    assert 'class="error"' in r.content.decode().split('id="id_cf_employees"')[1][:300]
    assert not Account.objects.filter(name="网页客户").exists()
    r = client.post("/accounts/new/", {"name": "网页客户", "nature": "ordinary", "kind": "company", "cf_employees": "50", "cf_level": "A"})
    assert r.status_code == 302
    assert Account.objects.get(name="网页客户").custom == {"employees": 50, "level": "A"}


def test_custom_field_admin_pages_are_for_admins_only(client, alice, carol):
    client.force_login(carol)
    assert client.get("/accounts/custom-fields/").status_code == 403
    client.force_login(alice)
    r = client.post("/accounts/custom-fields/new/", {"object_type": "contact", "key": "hobby", "label": "爱好", "field_type": "text",
                                                     "active": "on", "position": "0"})
    assert r.status_code == 302
    assert CustomField.objects.filter(object_type="contact", key="hobby").exists()
