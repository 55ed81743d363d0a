from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from guanxi.audit.models import AuditEntry
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.customers.contacts import contact_create
from guanxi.customers.models import AccountClassification, Order, ProcessClass
from guanxi.sales import opportunities as svc
from guanxi.sales.catalogue import price_list_create, price_set, product_create
from guanxi.sales.models import LossReason, PriceList, StageChange
from guanxi.sales.selectors import stage_durations
from guanxi.sales.tests.factories import account_for, opportunity_for, stage

pytestmark = pytest.mark.django_db


def test_new_opportunity_starts_in_the_first_stage_with_its_probability(carol):
    opp = opportunity_for(carol)
    assert opp.stage.code == "initial"
    assert opp.is_open and opp.effective_probability == 10
    assert opp.owner == carol and opp.team.name == "East"
    assert StageChange.objects.filter(opportunity=opp, from_stage=None).count() == 1


def test_probability_override_wins_over_the_stage(carol):
    opp = opportunity_for(carol, probability=60)
    assert opp.effective_probability == 60
    with pytest.raises(ValidationFailed) as exc:
        opportunity_for(carol, probability=101)
    assert "probability" in exc.value.errors


def test_amount_must_be_money_not_negative_and_currency_iso(carol):
    for bad in ({"amount": "-1"}, {"amount": "1.001"}, {"currency": "XXQ"}):
        with pytest.raises(ValidationFailed):
            opportunity_for(carol, **bad)


def test_lines_take_the_price_list_price_unless_overridden(alice, carol):
    product = product_create(actor=alice, data={"code": "CRM-STD", "name": "CRM 标准版", "unit": "套"})
    price_set(actor=alice, price_list=PriceList.objects.get(is_default=True), product=product, unit_price="5000.00")
    account = account_for(carol)
    opp = svc.opportunity_create(actor=carol, account=account, data={"name": "十套"}, lines=[
        {"product_id": product.pk, "quantity": Decimal("10")},
        {"product_id": product.pk, "quantity": Decimal("2"), "unit_price": Decimal("4000"), "discount_pct": Decimal("50")},
    ])
    prices = sorted(ln.unit_price for ln in opp.lines.all())
    assert prices == [Decimal("4000.00"), Decimal("5000.00")]
    assert opp.amount == Decimal("54000.00")  # 10 × 5000 + 2 × 4000 × 50 %


def test_a_product_without_a_price_needs_a_unit_price(alice, carol):
    product = product_create(actor=alice, data={"code": "NOPRICE", "name": "无价产品"})
    with pytest.raises(ValidationFailed) as exc:
        svc.opportunity_create(actor=carol, account=account_for(carol), data={"name": "x"}, lines=[{"product_id": product.pk}])
    assert "lines.0.unit_price" in exc.value.errors
    other = price_list_create(actor=alice, data={"name": "美元价", "currency": "USD"})
    price_set(actor=alice, price_list=other, product=product, unit_price="10")
    opp = svc.opportunity_create(actor=carol, account=account_for(carol), data={"name": "x", "currency": "USD"},
                                 lines=[{"product_id": product.pk, "quantity": 3}], price_list=other)
    assert opp.amount == Decimal("30.00")


def test_buying_group_contacts_must_belong_to_the_account(carol):
    account = account_for(carol)
    inside = contact_create(actor=carol, data={"name": "决策人"}, account_ids=[account.pk])
    outside = contact_create(actor=carol, data={"name": "外人"}, account_ids=[account_for(carol).pk])
    opp = svc.opportunity_create(actor=carol, account=account, data={"name": "x"}, contacts=[(inside.pk, "decision_maker")])
    assert list(opp.contact_links.values_list("role", flat=True)) == ["decision_maker"]
    with pytest.raises(ValidationFailed) as exc:
        svc.opportunity_set_contacts(actor=carol, opportunity=opp, version=opp.version, contacts=[{"contact_id": outside.pk, "role": "user"}])
    assert "contacts.0.contact_id" in exc.value.errors


def test_dave_cannot_change_carols_opportunity_and_grace_only_reads(carol, dave, grace):
    opp = opportunity_for(carol)
    with pytest.raises(NotFound):
        svc.opportunity_update(actor=dave, opportunity=opp, version=opp.version, data={"name": "偷改"})
    with pytest.raises(PermissionDenied):
        svc.opportunity_move(actor=grace, opportunity=opp, stage=stage("needs"), version=opp.version)


def test_moving_writes_stage_history_with_time_in_the_previous_stage(carol):
    with freeze_time("2026-03-01 09:00:00"):
        opp = opportunity_for(carol)
    with freeze_time("2026-03-03 09:00:00"):
        opp = svc.opportunity_move(actor=carol, opportunity=opp, stage=stage("needs"), version=opp.version)
    change = StageChange.objects.filter(opportunity=opp, from_stage__isnull=False).get()
    assert change.seconds_in_previous == 2 * 24 * 3600
    assert opp.stage_entered_at == change.changed_at
    with freeze_time("2026-03-04 09:00:00"):
        durations = {d.stage.code: d.seconds for d in stage_durations(opp)}
    assert durations == {"initial": 2 * 86400, "needs": 86400}
    assert AuditEntry.objects.filter(object_id=opp.pk, action="update").exists()


def test_stale_move_is_refused_with_a_version_conflict(carol, bob):
    opp = opportunity_for(carol)
    svc.opportunity_move(actor=bob, opportunity=opp, stage=stage("needs"), version=opp.version)
    with pytest.raises(VersionConflict):
        svc.opportunity_move(actor=carol, opportunity=opp, stage=stage("proposal"), version=opp.version)


def test_moving_to_lost_requires_a_reason(carol):
    opp = opportunity_for(carol)
    with pytest.raises(ValidationFailed) as exc:
        svc.opportunity_move(actor=carol, opportunity=opp, stage=stage("lost"), version=opp.version)
    assert exc.value.code == "opportunity.loss_reason_required"
    with pytest.raises(ValidationFailed):
        svc.opportunity_lose(actor=carol, opportunity=opp, loss_reason=None, version=opp.version)
    price = LossReason.objects.get(name_en="Price")
    lost = svc.opportunity_lose(actor=carol, opportunity=opp, loss_reason=price, note="贵了 20%", version=opp.version)
    assert lost.stage.code == "lost" and not lost.is_open and lost.closed_at is not None
    assert lost.loss_reason == price and lost.loss_note == "贵了 20%"


def test_winning_creates_the_order_in_the_archive(carol):
    opp = opportunity_for(carol, amount=Decimal("88000.00"))
    won = svc.opportunity_win(actor=carol, opportunity=opp, version=opp.version, create_order=True,
                              order_date=date(2026, 3, 15), gross_profit=Decimal("20000"))
    order = Order.objects.get(pk=won.won_order_id)
    assert (order.account_id, order.amount, order.gross_profit, order.order_date) == (
        opp.account_id, Decimal("88000.00"), Decimal("20000.00"), date(2026, 3, 15))
    assert won.stage.code == "won" and won.closed_at is not None and not won.is_open


def test_reopening_a_closed_deal_clears_closed_at_and_the_loss_reason(carol):
    opp = opportunity_for(carol)
    opp = svc.opportunity_lose(actor=carol, opportunity=opp, loss_reason=LossReason.objects.first(), version=opp.version)
    opp = svc.opportunity_move(actor=carol, opportunity=opp, stage=stage("negotiation"), version=opp.version)
    assert opp.is_open and opp.closed_at is None and opp.loss_reason is None


def test_open_opportunity_makes_account_about_to_trade(carol, django_capture_on_commit_callbacks):
    account = account_for(carol)
    with django_capture_on_commit_callbacks(execute=True):
        opp = opportunity_for(carol, account=account)
    assert AccountClassification.objects.get(account=account).process_class == ProcessClass.UPCOMING
    with django_capture_on_commit_callbacks(execute=True):
        svc.opportunity_lose(actor=carol, opportunity=opp, loss_reason=LossReason.objects.first(), version=opp.version)
    assert AccountClassification.objects.get(account=account).process_class == ProcessClass.NONE


def test_full_reclassification_counts_open_opportunities(carol):
    from guanxi.customers.classify import recompute_all

    account = account_for(carol)
    opportunity_for(carol, account=account)
    recompute_all()
    assert AccountClassification.objects.get(account=account).process_class == ProcessClass.UPCOMING


def test_deleting_an_opportunity_puts_it_in_the_trash(carol):
    opp = opportunity_for(carol)
    svc.opportunity_delete(actor=carol, opportunity=opp, version=opp.version)
    from guanxi.sales.selectors import opportunities_visible

    assert not opportunities_visible(carol).filter(pk=opp.pk).exists()


def test_stage_time_counts_until_now_while_open(carol):
    opp = opportunity_for(carol)
    later = timezone.now() + timedelta(hours=5)
    [initial] = stage_durations(opp, now=later)
    assert initial.current and 5 * 3600 - 5 <= initial.seconds <= 5 * 3600 + 5
