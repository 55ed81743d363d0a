"""The 360° timeline shows an account's deals and activities only to those who may see them: a
shared account does not share its owner's pipeline."""

import pytest

from guanxi.audit.sharing import share_create
from guanxi.customers.timeline import account_timeline
from guanxi.sales.activities import activity_create
from guanxi.sales.tests.factories import account_for, opportunity_for

pytestmark = pytest.mark.django_db


def test_a_shared_account_does_not_show_its_owners_deals_and_activities_to_others(carol, dave):
    account = account_for(carol, name="共享客户有限公司")
    opportunity_for(carol, account, name="卡罗的大单")
    activity_create(actor=carol, data={"kind": "call", "subject": "卡罗的电话", "account_id": account.pk})
    share_create(actor=carol, obj=account, user=dave, can_edit=False)

    for_carol = {i.title for i in account_timeline(account, actor=carol)}
    for_dave = {i.title for i in account_timeline(account, actor=dave)}

    assert any("卡罗的大单" in t for t in for_carol) and any("卡罗的电话" in t for t in for_carol)
    assert not any("卡罗的大单" in t or "卡罗的电话" in t for t in for_dave)
