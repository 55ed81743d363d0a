import pytest

from guanxi.customers.bulk import BULK_INLINE_LIMIT, bulk_start
from guanxi.customers.models import Account, AccountClassification, CustomField, SavedView, Tag, ValueTier
from guanxi.customers.services import account_create
from guanxi.dataio.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(carol, dave):
    a = account_create(actor=carol, data={"name": "北京华为科技有限公司", "province": "北京", "nature": "ordinary"})
    b = account_create(actor=carol, data={"name": "上海市政府采购中心", "province": "上海", "nature": "government"})
    c = account_create(actor=dave, data={"name": "广州白云贸易有限公司", "province": "广东"})
    AccountClassification.objects.create(account=a, value_tier=ValueTier.KEY)
    AccountClassification.objects.create(account=b, value_tier=ValueTier.SCATTERED)
    return a, b, c


def names(response):
    return [item["name"] for item in response.json()["items"]]


def test_list_filters_by_classification_and_nature(client, carol, book):
    client.force_login(carol)
    assert names(client.get("/api/v1/accounts/?value_tier=key")) == ["北京华为科技有限公司"]
    assert names(client.get("/api/v1/accounts/?nature=government")) == ["上海市政府采购中心"]
    assert set(names(client.get("/api/v1/accounts/?province=北京&province=上海"))) == {"北京华为科技有限公司", "上海市政府采购中心"}


def test_list_never_shows_other_reps_accounts_whatever_the_filter(client, carol, book):
    client.force_login(carol)
    assert "广州白云贸易有限公司" not in names(client.get("/api/v1/accounts/?province=广东&owner=" + str(book[2].owner_id)))


def test_unknown_filter_sort_or_relation_lookup_is_refused_with_400(client, carol, book):
    client.force_login(carol)
    for query in ("owner__password=x", "sort=owner__password", "value_tier=platinum", "created__from=yesterday"):
        r = client.get(f"/api/v1/accounts/?{query}")
        assert r.status_code == 400, query
        assert r.json()["code"].startswith("list."), query


def test_filter_by_tag_and_custom_field(client, carol, book):
    tag = Tag.objects.create(name="重点")
    book[0].tags.add(tag)
    CustomField.objects.create(object_type="account", key="employees", label="员工数", field_type="number")
    Account.objects.filter(pk=book[1].pk).update(custom={"employees": 500})
    Account.objects.filter(pk=book[0].pk).update(custom={"employees": 20})
    client.force_login(carol)
    assert names(client.get("/api/v1/accounts/?tag=重点")) == ["北京华为科技有限公司"]
    assert names(client.get("/api/v1/accounts/?cf_employees__min=100")) == ["上海市政府采购中心"]


def test_web_list_shows_only_the_chosen_columns(client, carol, book):
    client.force_login(carol)
    page = client.get("/accounts/?columns=name,province").content.decode()
    headers = page.split("<thead>")[1].split("</thead>")[0]
    assert "省份" in headers or "Province" in headers
    assert "负责人" not in headers and "Owner" not in headers
    assert "上海" in page and "北京" in page


def test_saved_view_is_personal_unless_shared(client, carol, bob, book):
    client.force_login(carol)
    client.post("/accounts/views/save/", {"view_name": "我的政府客户", "nature": "government"})
    view = SavedView.objects.get(name="我的政府客户")
    assert view.params == {"nature": "government", "sort": "name"}
    client.force_login(bob)
    assert client.get(f"/accounts/?view={view.pk}").status_code == 404
    assert client.post(f"/accounts/views/{view.pk}/delete/").status_code == 404
    view.shared = True
    view.save()
    assert client.get(f"/accounts/?view={view.pk}").status_code == 200
    assert client.post(f"/accounts/views/{view.pk}/delete/").status_code == 403
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_bulk_tag_changes_only_what_the_user_may_edit(carol, book):
    outcome = bulk_start(actor=carol, ids=[a.pk for a in book], action="add_tag", args={"tag": "华东重点"})
    assert outcome["result"] == {"done": 2, "skipped": 1, "total": 3}
    assert not book[2].tags.exists()
    assert book[0].tags.filter(name="华东重点").exists()


def test_bulk_over_the_inline_limit_runs_as_a_job(carol, book, django_capture_on_commit_callbacks):
    ids = [book[0].pk, *range(10**9, 10**9 + BULK_INLINE_LIMIT)]
    with django_capture_on_commit_callbacks(execute=False):
        outcome = bulk_start(actor=carol, ids=ids, action="move_to_pool", args={})
    job = Job.objects.get(pk=outcome["job_id"])
    assert job.kind == "customers.bulk" and job.owner == carol


def test_bulk_endpoint_with_foreign_ids_changes_nothing_of_them(client, carol, book):
    client.force_login(carol)
    r = client.post("/api/v1/accounts/bulk", {"action": "delete", "ids": [book[2].pk]}, content_type="application/json")
    assert r.status_code == 200 and r.json()["result"]["skipped"] == 1
    assert Account.objects.filter(pk=book[2].pk).exists()
