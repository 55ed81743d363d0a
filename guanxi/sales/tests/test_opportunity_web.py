"""Opportunity pages: detail (header, lines, buying group, time in each stage, activities), the
list with the archive's list engine, create / edit with optimistic locking, win and lose."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.contacts import contact_create
from guanxi.customers.models import Order, SavedView
from guanxi.sales import opportunities as svc
from guanxi.sales.catalogue import product_create
from guanxi.sales.models import LossReason, Opportunity, StageChange
from guanxi.sales.tests.factories import account_for, opportunity_for, stage

pytestmark = pytest.mark.django_db


def _client(client, user, language="en"):
    user.language = language
    user.save()
    client.force_login(user)
    return client


def test_detail_shows_header_lines_buying_group_and_time_in_each_stage(client, alice, carol):
    account = account_for(carol, name="杭州明湖科技有限公司")
    contact = contact_create(actor=carol, data={"name": "王经理"}, account_ids=[account.pk])
    product = product_create(actor=alice, data={"code": "SRV-1", "name": "巡检服务", "unit": "次"})
    opp = svc.opportunity_create(
        actor=carol, account=account, data={"name": "明湖巡检", "decision_type": "consensus", "expected_close": "2026-09-30"},
        lines=[{"product_id": product.pk, "quantity": "3", "unit_price": "1000.00"}], contacts=[(contact.pk, "decision_maker")])
    # Two days in the first stage, then moved.
    Opportunity.objects.filter(pk=opp.pk).update(stage_entered_at=timezone.now() - timedelta(days=2))
    opp.refresh_from_db()
    svc.opportunity_move(actor=carol, opportunity=opp, stage=stage("needs"), version=opp.version)
    html = _client(client, carol).get(reverse("sales:opportunity_detail", args=[opp.pk])).content.decode()
    assert "明湖巡检" in html and "杭州明湖科技有限公司" in html
    assert reverse("customers:account_detail", args=[account.pk]) in html
    assert "Consensus (集体决策)" in html
    assert "巡检服务" in html and "3,000.00" in html  # the line total
    assert "王经理" in html and "Decision maker" in html
    assert "2 days" in html  # time spent in 初步接触 / Initial contact
    assert 'aria-current="step" data-testid="current-stage">Needs' in html or 'data-testid="current-stage"' in html
    assert StageChange.objects.filter(opportunity=opp).count() == 2


def test_detail_page_query_count_does_not_grow_with_lines_and_history(client, alice, carol, django_assert_max_num_queries):
    account = account_for(carol)
    products = [product_create(actor=alice, data={"code": f"P-{i}", "name": f"产品{i}"}) for i in range(12)]
    opp = svc.opportunity_create(actor=carol, account=account, data={"name": "多行商机"},
                                 lines=[{"product_id": p.pk, "unit_price": "10.00"} for p in products])
    for code in ("needs", "proposal", "negotiation", "needs"):
        opp = svc.opportunity_move(actor=carol, opportunity=opp, stage=stage(code), version=opp.version)
    c = _client(client, carol)
    c.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    with django_assert_max_num_queries(25):
        assert c.get(reverse("sales:opportunity_detail", args=[opp.pk])).status_code == 200


def test_dave_gets_404_on_carols_opportunity_page(client, carol, dave):
    opp = opportunity_for(carol)
    c = _client(client, dave)
    for name in ("sales:opportunity_detail", "sales:opportunity_edit", "sales:opportunity_win", "sales:opportunity_lose"):
        assert c.get(reverse(name, args=[opp.pk])).status_code == 404, name


def test_grace_reads_but_gets_403_on_the_edit_win_and_lose_forms(client, carol, grace):
    opp = opportunity_for(carol, name="只读可见")
    c = _client(client, grace)
    r = c.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    assert r.status_code == 200 and "只读可见" in r.content.decode()
    assert reverse("sales:opportunity_edit", args=[opp.pk]) not in r.content.decode()
    for name in ("sales:opportunity_edit", "sales:opportunity_win", "sales:opportunity_lose"):
        assert c.post(reverse(name, args=[opp.pk]), {"version": opp.version}).status_code == 403, name


def test_lose_form_requires_a_reason_and_then_closes_the_deal(client, carol):
    opp = opportunity_for(carol)
    c = _client(client, carol)
    r = c.post(reverse("sales:opportunity_lose", args=[opp.pk]), {"version": opp.version, "note": "价格"})
    assert r.status_code == 200 and "Choose a loss reason." in r.content.decode()
    reason = LossReason.objects.order_by("pk").first()
    r = c.post(reverse("sales:opportunity_lose", args=[opp.pk]),
               {"version": opp.version, "loss_reason": reason.pk, "note": "价格太高", "next": reverse("sales:board")})
    assert r.status_code == 302 and r["Location"] == reverse("sales:board")
    opp.refresh_from_db()
    assert opp.stage == stage("lost") and opp.loss_reason == reason and opp.loss_note == "价格太高"


def test_lose_form_does_not_follow_a_next_url_to_another_site(client, carol):
    opp = opportunity_for(carol)
    reason = LossReason.objects.order_by("pk").first()
    r = _client(client, carol).post(reverse("sales:opportunity_lose", args=[opp.pk]),
                                    {"version": opp.version, "loss_reason": reason.pk, "next": "https://evil.example.com/"})
    assert r["Location"] == reverse("sales:opportunity_detail", args=[opp.pk])


def test_win_form_can_create_the_order_in_the_archive(client, carol):
    opp = opportunity_for(carol, amount=Decimal("88000.00"))
    r = _client(client, carol).post(reverse("sales:opportunity_win", args=[opp.pk]),
                                    {"version": opp.version, "create_order": "on"}, follow=True)
    assert r.status_code == 200
    opp.refresh_from_db()
    assert opp.stage == stage("won") and opp.won_order is not None
    assert Order.objects.get(pk=opp.won_order_id).amount == Decimal("88000.00")
    assert "Order" in r.content.decode()


def test_win_with_a_stale_version_saves_nothing_and_says_why(client, carol, bob):
    opp = opportunity_for(carol)
    stale = opp.version
    svc.opportunity_update(actor=bob, opportunity=opp, version=stale, data={"name": "鲍勃改名"})
    r = _client(client, carol).post(reverse("sales:opportunity_win", args=[opp.pk]), {"version": stale, "create_order": "on"})
    assert r.status_code == 200
    assert "Someone else changed this record" in r.content.decode()
    opp.refresh_from_db()
    assert opp.stage == stage("initial") and not Order.objects.exists()


def test_create_and_edit_an_opportunity_through_the_forms(client, carol):
    account = account_for(carol, name="宁波东港贸易有限公司")
    c = _client(client, carol)
    r = c.get(reverse("sales:opportunity_create"), {"account": account.pk})
    assert r.status_code == 200 and "宁波东港贸易有限公司" in r.content.decode()
    r = c.post(reverse("sales:opportunity_create"), {"name": "", "account": account.pk, "amount": "abc", "currency": "CNY"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "This field is required." in html or "An opportunity needs a name." in html
    r = c.post(reverse("sales:opportunity_create"), {"name": "东港仓储", "account": account.pk, "amount": "50000", "currency": "CNY",
                                                     "expected_close": "2026-12-01", "decision_type": "authoritative"})
    opp = Opportunity.objects.get(name="东港仓储")
    assert r.status_code == 302 and r["Location"] == reverse("sales:opportunity_detail", args=[opp.pk])
    assert opp.owner == carol and opp.amount == Decimal("50000") and opp.stage == stage("initial")
    r = c.post(reverse("sales:opportunity_edit", args=[opp.pk]),
               {"name": "东港仓储二期", "amount": "60000", "currency": "CNY", "version": opp.version})
    assert r.status_code == 302
    opp.refresh_from_db()
    assert opp.name == "东港仓储二期" and opp.amount == Decimal("60000")


def test_cannot_create_an_opportunity_on_an_account_one_cannot_see(client, carol, dave):
    hidden = account_for(dave, name="西区客户")
    r = _client(client, carol).post(reverse("sales:opportunity_create"), {"name": "越权商机", "account": hidden.pk, "currency": "CNY"})
    assert r.status_code == 200
    assert not Opportunity.objects.filter(name="越权商机").exists()
    assert "西区客户" not in r.content.decode()


def test_list_filters_sorts_and_saves_views(client, carol, bob):
    opportunity_for(carol, name="大单", amount=Decimal("900000"))
    opportunity_for(carol, name="小单", amount=Decimal("100"))
    opportunity_for(bob, name="经理的单")
    c = _client(client, carol)
    html = c.get(reverse("sales:opportunity_list"), {"sort": "-amount"}).content.decode()
    assert html.index("大单") < html.index("小单") and "经理的单" not in html  # carol sees her own only
    html = c.get(reverse("sales:opportunity_list"), {"amount__min": "1000"}).content.decode()
    assert "大单" in html and "小单" not in html
    r = c.get(reverse("sales:opportunity_list"), {"colour": "red"})
    assert r.status_code == 400
    r = c.post(reverse("sales:opportunity_view_save"), {"view_name": "大额", "amount__min": "1000", "sort": "-amount"})
    view = SavedView.objects.get(name="大额")
    assert view.object_type == "opportunity" and r["Location"].endswith(f"?view={view.pk}")
    html = c.get(r["Location"]).content.decode()
    assert "大单" in html and "小单" not in html


def test_list_shows_an_empty_state(client, carol):
    html = _client(client, carol).get(reverse("sales:opportunity_list")).content.decode()
    assert "No opportunities yet." in html


def test_bulk_assign_changes_only_what_the_user_may_change(client, carol, bob, dave):
    mine = opportunity_for(carol)
    theirs = opportunity_for(dave)
    r = _client(client, carol).post(reverse("sales:opportunity_bulk"),
                                    {"action": "assign_owner", "owner_id": bob.pk, "ids": [mine.pk, theirs.pk]}, follow=True)
    assert "1 changed, 1 skipped" in r.content.decode()
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.owner == bob and theirs.owner == dave


def test_pages_speak_chinese(client, carol):
    opp = opportunity_for(carol)
    c = _client(client, carol, language="zh-hans")
    html = c.get(reverse("sales:opportunity_detail", args=[opp.pk])).content.decode()
    assert "初步接触" in html
