from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.orders import order_create
from guanxi.sales.targets import get_target, target_delete, target_overview, target_set
from guanxi.sales.tests import activity_factories as f

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)


def _team_target(alice, org, value):
    return target_set(actor=alice, scope="team", team=org.team_east, period="month", period_start=MARCH, value=value)


def test_reps_targets_may_not_exceed_team_target(alice, bob, carol, org):
    _team_target(alice, org, "100000")
    target_set(actor=bob, scope="user", user=carol, period="month", period_start=date(2026, 3, 15), value="60000")
    with pytest.raises(PermissionDenied):  # a manager does not set his own target
        target_set(actor=bob, scope="user", user=bob, period="month", period_start=MARCH, value="50000")
    # alice may, but bob's 50,000 + carol's 60,000 would exceed the team's 100,000
    with pytest.raises(ValidationFailed) as exc:
        target_set(actor=alice, scope="user", user=bob, period="month", period_start=MARCH, value="50000")
    assert exc.value.code == "target.over_allocated"
    with pytest.raises(ValidationFailed):
        _team_target(alice, org, "50000")  # lowering the team below its reps' sum


def test_under_allocation_is_reported_as_a_warning_in_the_overview(alice, bob, carol, org):
    _team_target(alice, org, "100000")
    target_set(actor=bob, scope="user", user=carol, period="month", period_start=MARCH, value="60000")
    rows = {r.target.scope: r for r in target_overview(bob, period="month", period_start=MARCH)}
    assert rows["team"].under_allocated and rows["team"].layering.difference == Decimal("-40000")
    assert not rows["user"].under_allocated


def test_who_may_set_and_see_targets(alice, bob, carol, dave, org):
    with pytest.raises(PermissionDenied):
        target_set(actor=bob, scope="company", period="year", period_start=MARCH, value="1")
    with pytest.raises(PermissionDenied):
        target_set(actor=carol, scope="user", user=carol, period="month", period_start=MARCH, value="1")
    with pytest.raises(PermissionDenied):
        target_set(actor=bob, scope="user", user=dave, period="month", period_start=MARCH, value="1")
    mine = target_set(actor=bob, scope="user", user=carol, period="month", period_start=MARCH, value="10")
    assert get_target(carol, mine.pk) == mine
    with pytest.raises(NotFound):
        get_target(dave, mine.pk)
    with pytest.raises(PermissionDenied):
        target_delete(actor=carol, target=mine)
    target_delete(actor=bob, target=mine, version=mine.version)


def test_attainment_counts_won_deals_and_orders_not_made_from_a_deal(alice, bob, carol, org):
    target_set(actor=bob, scope="user", user=carol, period="month", period_start=MARCH, value="10000")
    f.opportunity(carol, stage="won", amount="3000", closed_at=datetime(2026, 3, 10, 2, tzinfo=UTC))
    f.opportunity(carol, stage="won", amount="9999", closed_at=datetime(2026, 4, 1, 2, tzinfo=UTC))  # April
    f.opportunity(carol, stage="quote", amount="5000", expected_close=date(2026, 3, 20))  # still open
    order_create(actor=carol, account=f.account(carol), data={"order_date": date(2026, 3, 5), "amount": "2000"})
    row = next(r for r in target_overview(carol, period="month", period_start=MARCH))
    assert row.actual == Decimal("5000") and row.attainment == Decimal("50.00")
    count = target_set(actor=bob, scope="user", user=carol, period="month", period_start=MARCH, measure="count", value="4")
    row = next(r for r in target_overview(carol, period="month", period_start=MARCH, measure="count") if r.target == count)
    assert row.actual == 1
