import pytest

from guanxi.core.errors import ValidationFailed
from guanxi.customers.contacts import contact_create, contact_set_accounts, contact_update
from guanxi.customers.services import account_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol_account(carol):
    return account_create(actor=carol, data={"name": "上海明远贸易有限公司"})


@pytest.fixture
def dave_account(dave):
    return account_create(actor=dave, data={"name": "北京远航科技有限公司"})


def test_mobile_typed_in_any_format_is_stored_as_e164(carol, carol_account):
    contact = contact_create(actor=carol, data={"name": "王伟", "mobile": "138-0013-8000", "other_phones": "(010) 6552 9988"},
                             account_ids=[carol_account.pk])
    assert contact.mobile == "+8613800138000"
    assert contact.other_phones == ["+861065529988"]


def test_invalid_mobile_and_email_are_refused_with_field_errors(carol):
    with pytest.raises(ValidationFailed) as exc:
        contact_create(actor=carol, data={"name": "李娜", "mobile": "12345", "email": "not-an-email"})
    assert set(exc.value.errors) == {"mobile", "email"}


def test_contact_cannot_be_linked_to_an_account_the_user_cannot_see(carol, dave_account):
    with pytest.raises(ValidationFailed) as exc:
        contact_create(actor=carol, data={"name": "张敏"}, account_ids=[dave_account.pk])
    assert "account_ids" in exc.value.errors


def test_contact_belongs_to_several_accounts(carol, carol_account):
    second = account_create(actor=carol, data={"name": "杭州云栖网络有限公司"})
    contact = contact_create(actor=carol, data={"name": "刘洋"}, account_ids=[carol_account.pk])
    contact_set_accounts(actor=carol, contact=contact, account_ids=[carol_account.pk, second.pk])
    assert set(contact.accounts.values_list("pk", flat=True)) == {carol_account.pk, second.pk}


def test_contact_update_bumps_version_and_normalises_phone(carol):
    contact = contact_create(actor=carol, data={"name": "陈静"})
    updated = contact_update(actor=carol, contact=contact, version=contact.version, data={"mobile": "+86 139 1234 5678"})
    assert updated.mobile == "+8613912345678"
    assert updated.version == contact.version + 1


def test_contacts_api_creates_and_lists_only_visible_contacts(client, carol, dave, carol_account):
    client.force_login(carol)
    r = client.post("/api/v1/contacts/", {"name": "周杰", "mobile": "13800138000", "account_ids": [carol_account.pk]},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["account_ids"] == [carol_account.pk]
    client.force_login(dave)
    assert client.get("/api/v1/contacts/").json()["items"] == []
    assert client.get(f"/api/v1/contacts/{r.json()['id']}").status_code == 404


def test_contact_web_pages_create_edit_and_list(client, carol, dave, carol_account):
    client.force_login(carol)
    r = client.post(f"/accounts/contacts/new/?account={carol_account.pk}",
                    {"name": "孙丽", "mobile": "139 1234 5678", "other_phones_text": "010-6552 9988", "account": carol_account.pk})
    assert r.status_code == 302
    contact = carol_account.contacts.get(name="孙丽")
    assert contact.mobile == "+8613912345678" and contact.other_phones == ["+861065529988"]
    assert "孙丽" in client.get("/accounts/contacts/").content.decode()
    assert "孙丽" in client.get(f"/accounts/{carol_account.pk}/tab/contacts/").content.decode()
    r = client.post(f"/accounts/contacts/{contact.pk}/edit/", {"name": "孙丽", "mobile": "bad", "version": contact.version})
    assert r.status_code == 200 and 'class="error"' in r.content.decode()
    client.force_login(dave)
    assert client.get(f"/accounts/contacts/{contact.pk}/").status_code == 404
    assert "孙丽" not in client.get("/accounts/contacts/").content.decode()


def test_stale_contact_edit_is_refused_without_overwriting(client, carol):
    contact = contact_create(actor=carol, data={"name": "吴刚", "title": "经理"})
    contact_update(actor=carol, contact=contact, version=contact.version, data={"title": "总监"})
    client.force_login(carol)
    r = client.post(f"/accounts/contacts/{contact.pk}/edit/", {"name": "吴刚", "title": "主管", "version": contact.version})
    assert r.status_code == 200
    contact.refresh_from_db()
    assert contact.title == "总监"
