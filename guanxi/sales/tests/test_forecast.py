from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from guanxi.core.errors import NotFound
from guanxi.sales.forecast import forecast_accuracy, forecast_deals, forecast_for, take_snapshots
from guanxi.sales.models import ForecastSnapshot
from guanxi.sales.targets import target_set
from guanxi.sales.tests import activity_factories as f

pytestmark = pytest.mark.django_db
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def test_forecast_weights_by_stage_probability_unless_overridden(bob, carol, dave):
    f.opportunity(carol, stage="first", amount="1000", expected_close=date(2026, 3, 15))  # stage 10 % → 100
    f.opportunity(carol, stage="quote", amount="2000", expected_close=date(2026, 3, 31))  # stage 50 % → 1000
    f.opportunity(carol, stage="first", amount="1000", probability=80, expected_close=date(2026, 4, 2))  # override → 800
    f.opportunity(carol, stage="quote", amount="500", expected_close=date(2026, 1, 2))  # overdue → first month: 250
    f.opportunity(dave, stage="quote", amount="99999", expected_close=date(2026, 3, 2))  # other team
    target_set(actor=bob, scope="user", user=carol, period="month", period_start=MARCH, value="2000")
    rows = forecast_for(bob, user=carol, months=2, start=MARCH)
    assert [(r.month, r.weighted, r.best_case) for r in rows] == [
        (MARCH, Decimal("1350.00"), Decimal("3500.00")), (APRIL, Decimal("800.00"), Decimal("1000.00"))]
    assert rows[0].target == Decimal("2000.00") and rows[1].target is None
    assert forecast_for(bob, months=1, start=MARCH)[0].weighted == Decimal("1350.00")  # dave's is not visible
    deals = forecast_deals(bob, MARCH, user=carol, first_month=MARCH)
    assert [d.amount for d in deals] == [Decimal("2000"), Decimal("500"), Decimal("1000")]
    with pytest.raises(NotFound):
        forecast_for(carol, user=dave, months=1, start=MARCH)


def test_forecast_actual_is_won_in_the_month(carol):
    f.opportunity(carol, stage="won", amount="700", closed_at=datetime(2026, 3, 31, 17, tzinfo=UTC))  # 1 April in Shanghai
    f.opportunity(carol, stage="won", amount="300", closed_at=datetime(2026, 3, 3, tzinfo=UTC))
    rows = forecast_for(carol, months=2, start=MARCH)
    assert [r.actual for r in rows] == [Decimal("300.00"), Decimal("700.00")]


def test_forecast_accuracy_compares_month_start_snapshot_with_won(bob, carol):
    f.opportunity(carol, stage="quote", amount="2000", expected_close=date(2026, 3, 20))  # weighted 1000
    assert take_snapshots(month=MARCH, now=datetime(2026, 3, 1, tzinfo=UTC)) == 1
    assert take_snapshots(month=MARCH, now=datetime(2026, 3, 1, 1, tzinfo=UTC)) == 0  # idempotent
    assert ForecastSnapshot.objects.get(user=carol, month=MARCH).weighted == Decimal("1000.00")
    f.opportunity(carol, stage="won", amount="800", closed_at=datetime(2026, 3, 20, 2, tzinfo=UTC))
    rows = forecast_accuracy(bob, months=1, end=APRIL)
    assert [(r.month, r.forecast, r.actual, r.accuracy) for r in rows] == [
        (MARCH, Decimal("1000.00"), Decimal("800.00"), Decimal("0.7500"))]
    assert forecast_accuracy(carol, months=1, end=APRIL)[0].forecast == Decimal("1000.00")
