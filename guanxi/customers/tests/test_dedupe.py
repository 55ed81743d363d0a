from decimal import Decimal

import pytest

from guanxi.audit import lifecycle
from guanxi.audit.models import Action, AuditEntry
from guanxi.customers.contacts import contact_create
from guanxi.customers.dedupe import account_merge, find_duplicates, name_key, scan_duplicates
from guanxi.customers.errors import DuplicateAccount
from guanxi.customers.models import Account, DuplicateCandidate, DuplicateStatus, Order
from guanxi.customers.services import account_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("华为技术有限公司", "华为技术（深圳）有限公司"),
        ("北京字节跳动科技有限公司", "北京字节跳动科技股份有限公司"),
        ("ＡＢＣ贸易有限公司", "abc贸易公司"),
        ("Huawei Technology Co., Ltd.", "HUAWEI TECHNOLOGY LIMITED"),
    ],
)
def test_name_key_ignores_legal_form_region_width_and_case(a, b):
    assert name_key(a) == name_key(b)


def test_name_key_keeps_different_companies_apart():
    assert name_key("华为技术有限公司") != name_key("中兴通讯有限公司")
    assert name_key("华为技术有限公司") == "huaweijishu"


def test_creating_a_copy_of_someone_elses_customer_is_refused_naming_only_the_owner(carol, dave):
    account_create(actor=dave, data={"name": "杭州阿里云计算有限公司", "notes": "秘密备注"})
    with pytest.raises(DuplicateAccount) as exc:
        account_create(actor=carol, data={"name": "杭州阿里云计算（杭州）有限公司"})
    assert exc.value.extra["owner"] == str(dave)
    assert "秘密备注" not in str(exc.value.extra)


def test_api_duplicate_answer_is_409_with_the_owner_only(client, carol, dave):
    account_create(actor=dave, data={"name": "成都天府软件有限公司"})
    client.force_login(carol)
    r = client.post("/api/v1/accounts/", {"name": "成都天府软件股份有限公司"}, content_type="application/json")
    assert r.status_code == 409
    assert r.json()["code"] == "account.duplicate" and r.json()["owner"] == str(dave)


def test_scan_fills_the_queue_by_name_phone_and_contact_email(carol):
    a = account_create(actor=carol, data={"name": "南京钢铁有限公司", "phone": "025-8888 1234"})
    b = account_create(actor=carol, data={"name": "南京钢铁股份有限公司"})
    c = account_create(actor=carol, data={"name": "苏州物流公司", "phone": "+86 25 8888 1234"})
    d = account_create(actor=carol, data={"name": "无锡机械厂"})
    contact_create(actor=carol, data={"name": "赵雷", "email": "zhao@example.cn"}, account_ids=[d.pk])
    contact_create(actor=carol, data={"name": "赵雷", "email": "zhao@example.cn"}, account_ids=[b.pk])
    scan_duplicates()
    pairs = {(p.first_id, p.second_id): set(p.reasons) for p in DuplicateCandidate.objects.all()}
    assert pairs[(a.pk, b.pk)] == {"name"}
    assert pairs[(a.pk, c.pk)] == {"phone"}
    assert pairs[(b.pk, d.pk)] == {"email"}
    assert set().union(*(reasons for _other, reasons in find_duplicates(a))) == {"name", "phone"}


def test_merge_moves_contacts_orders_and_history_and_keeps_the_other_in_the_trash(client, carol):
    keep = account_create(actor=carol, data={"name": "重庆长安贸易有限公司", "city": "重庆"})
    other = account_create(actor=carol, data={"name": "重庆长安贸易公司", "industry": "汽车", "phone": "023-6666 8888"})
    contact_create(actor=carol, data={"name": "钱明"}, account_ids=[other.pk])
    Order.objects.create(account=other, order_date="2026-01-05", amount=Decimal("5000"), gross_profit=Decimal("900"))
    scan_duplicates()
    survivor = account_merge(actor=carol, survivor=keep, merged=other, choices={"industry": "merged", "phone": "merged"})
    assert survivor.industry == "汽车" and survivor.city == "重庆" and survivor.phone == "+862366668888"
    assert survivor.contacts.filter(name="钱明").exists()
    assert Order.objects.filter(account=survivor).count() == 1
    gone = Account.all_objects.get(pk=other.pk)
    assert gone.deleted_at is not None and gone.merged_into_id == survivor.pk
    assert AuditEntry.objects.filter(object_id=survivor.pk, action=Action.MERGE).exists()
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.MERGED
    assert gone in lifecycle.trash_for(carol, Account)
    client.force_login(carol)
    history = client.get(f"/accounts/{survivor.pk}/history/").content.decode()
    assert history.count("<li>") >= 3  # survivor's create + merge, and the merged record's create/merge


def test_merge_needs_edit_rights_on_both_records(carol, dave):
    mine = account_create(actor=carol, data={"name": "我的客户甲"})
    theirs = account_create(actor=dave, data={"name": "他的客户乙"})
    from guanxi.core.errors import NotFound

    with pytest.raises(NotFound):
        account_merge(actor=carol, survivor=mine, merged=theirs, choices={})
    assert Account.objects.filter(pk=theirs.pk).exists()


def test_merge_screen_posts_choices(client, carol):
    keep = account_create(actor=carol, data={"name": "西安秦川机床有限公司"})
    other = account_create(actor=carol, data={"name": "西安秦川机床公司", "industry": "机床"})
    client.force_login(carol)
    assert client.get(f"/accounts/{keep.pk}/merge/{other.pk}/").status_code == 200
    r = client.post(f"/accounts/{keep.pk}/merge/{other.pk}/", {"choice_industry": "merged"})
    assert r.status_code == 302
    assert Account.objects.get(pk=keep.pk).industry == "机床"
