"""Lead pages: list with filters, detail, create / edit, and the conversion page that shows the
archive's duplicate check before anything is created (DOMAIN §1 查重, §2)."""

import pytest
from django.urls import reverse

from guanxi.customers.contacts import contact_create
from guanxi.customers.models import Account, Contact
from guanxi.sales.leads import lead_create
from guanxi.sales.models import Lead, LeadStatus, Opportunity
from guanxi.sales.tests.factories import account_for

pytestmark = pytest.mark.django_db


def _client(client, user, language="en"):
    user.language = language
    user.save()
    client.force_login(user)
    return client


def test_lead_list_filters_by_status_source_and_owner(client, carol, bob):
    lead_create(actor=carol, data={"name": "张三", "company": "展会公司", "source": "展会"})
    contacted = lead_create(actor=carol, data={"name": "李四", "company": "官网公司", "source": "官网", "status": "contacted"})
    lead_create(actor=bob, data={"name": "王五", "company": "经理公司", "source": "展会"})
    c = _client(client, bob)
    html = c.get(reverse("sales:lead_list")).content.decode()
    assert "张三" in html and "李四" in html and "王五" in html  # bob sees his team's leads
    html = c.get(reverse("sales:lead_list"), {"status": "contacted"}).content.decode()
    assert "李四" in html and "张三" not in html
    html = c.get(reverse("sales:lead_list"), {"source": "展会", "owner": carol.pk}).content.decode()
    assert "张三" in html and "王五" not in html and "李四" not in html
    assert c.get(reverse("sales:lead_list"), {"status": "bogus"}).status_code == 400
    assert contacted.status == LeadStatus.CONTACTED


def test_lead_list_empty_state(client, carol):
    assert "No leads yet." in _client(client, carol).get(reverse("sales:lead_list")).content.decode()


def test_create_and_edit_a_lead_showing_errors_next_to_fields(client, carol):
    c = _client(client, carol)
    r = c.post(reverse("sales:lead_create"), {"name": "赵六", "company": "苏州精工", "mobile": "12345", "email": "not-an-email"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Enter a valid email address." in html and 'class="field invalid"' in html and not Lead.objects.exists()
    r = c.post(reverse("sales:lead_create"), {"name": "赵六", "company": "苏州精工", "mobile": "13800138000", "source": "转介绍"})
    lead = Lead.objects.get()
    assert r["Location"] == reverse("sales:lead_detail", args=[lead.pk])
    assert lead.mobile == "+8613800138000" and lead.owner == carol
    r = c.post(reverse("sales:lead_edit", args=[lead.pk]),
               {"name": "赵六", "company": "苏州精工有限公司", "mobile": "13800138000", "status": "contacted", "has_need": "on",
                "version": lead.version})
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.company == "苏州精工有限公司" and lead.status == "contacted" and lead.has_need


def test_dave_gets_404_and_grace_403_on_carols_lead(client, carol, dave, grace):
    lead = lead_create(actor=carol, data={"name": "保密线索"})
    d = _client(client, dave)
    for name in ("sales:lead_detail", "sales:lead_edit", "sales:lead_convert"):
        assert d.get(reverse(name, args=[lead.pk])).status_code == 404, name
    g = _client(client, grace)
    assert g.get(reverse("sales:lead_detail", args=[lead.pk])).status_code == 200
    assert g.get(reverse("sales:lead_convert", args=[lead.pk])).status_code == 403
    assert g.post(reverse("sales:lead_convert", args=[lead.pk]), {"account": "new", "contact": "new", "version": lead.version}).status_code == 403
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_lead_conversion_page_shows_duplicates_before_creating_anything(client, carol, dave):
    mine = account_for(carol, name="杭州明湖科技有限公司")
    contact_create(actor=carol, data={"name": "陈经理", "mobile": "13900139000"}, account_ids=[mine.pk])
    account_for(dave, name="杭州明湖科技有限公司分部", phone="13900139000")  # dave's: carol may not see it
    lead = lead_create(actor=carol, data={"name": "陈经理", "company": "杭州明湖科技有限公司", "mobile": "13900139000"})
    accounts, contacts = Account.objects.count(), Contact.objects.count()
    html = _client(client, carol).get(reverse("sales:lead_convert", args=[lead.pk])).content.decode()
    assert 'data-testid="duplicate-accounts"' in html and "杭州明湖科技有限公司" in html
    assert 'data-testid="duplicate-contacts"' in html and "陈经理" in html
    assert "1 more matching record exists that you may not see." in html
    assert "杭州明湖科技有限公司分部" not in html  # only counted, never shown
    # The matching records are suggested, so converting as offered links instead of copying.
    assert f'value="{mine.pk}"' in html and "checked" in html
    assert (Account.objects.count(), Contact.objects.count()) == (accounts, contacts)
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_converting_with_the_suggested_links_creates_only_the_opportunity(client, carol):
    account = account_for(carol, name="宁波东港贸易有限公司")
    contact = contact_create(actor=carol, data={"name": "周总", "mobile": "13700137000"}, account_ids=[account.pk])
    lead = lead_create(actor=carol, data={"name": "周总", "company": "宁波东港贸易有限公司", "mobile": "13700137000"})
    r = _client(client, carol).post(reverse("sales:lead_convert", args=[lead.pk]), {
        "account": str(account.pk), "contact": str(contact.pk), "create_opportunity": "on", "opportunity_name": "东港仓储系统",
        "amount": "200000", "role": "decision_maker", "version": lead.version})
    opp = Opportunity.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("sales:opportunity_detail", args=[opp.pk])
    assert opp.account == account and opp.name == "东港仓储系统" and opp.lead_id == lead.pk
    assert list(opp.contact_links.values_list("contact_id", "role")) == [(contact.pk, "decision_maker")]
    assert Account.objects.count() == 1 and Contact.objects.count() == 1
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.converted_account == account


def test_converting_without_duplicates_creates_account_and_contact(client, carol):
    lead = lead_create(actor=carol, data={"name": "吴工", "company": "全新客户有限公司", "mobile": "13600136000"})
    html = _client(client, carol).get(reverse("sales:lead_convert", args=[lead.pk])).content.decode()
    assert 'data-testid="no-duplicates"' in html
    r = client.post(reverse("sales:lead_convert", args=[lead.pk]), {"account": "new", "contact": "new", "version": lead.version})
    assert r.status_code == 302
    account = Account.objects.get(name="全新客户有限公司")
    assert r["Location"] == reverse("customers:account_detail", args=[account.pk])
    assert Contact.objects.filter(name="吴工").exists() and not Opportunity.objects.exists()
    # A converted lead cannot be converted twice.
    r = client.get(reverse("sales:lead_convert", args=[lead.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("sales:lead_detail", args=[lead.pk])


def test_conversion_with_a_stale_version_says_so(client, carol):
    lead = lead_create(actor=carol, data={"name": "钱七", "company": "钱氏实业"})
    stale = lead.version
    from guanxi.sales.leads import lead_update
    lead_update(actor=carol, lead=lead, version=stale, data={"title": "经理"})
    r = _client(client, carol).post(reverse("sales:lead_convert", args=[lead.pk]), {"account": "new", "contact": "new", "version": stale})
    assert r.status_code == 200 and "Someone else changed this record" in r.content.decode()
    assert not Account.objects.filter(name="钱氏实业").exists()


def test_lead_pages_in_chinese(client, carol):
    lead = lead_create(actor=carol, data={"name": "孙八"})
    html = _client(client, carol, language="zh-hans").get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert '<html lang="zh-hans">' in html and "孙八" in html and "编辑" in html  # "Edit"
