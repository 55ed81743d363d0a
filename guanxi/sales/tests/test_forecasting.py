"""Weighted pipeline and forecast vs actual (DOMAIN §2, 销售预估 / 销售实绩). No database."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.sales.forecasting import (
    ClosedAmount,
    ForecastRow,
    OpenDeal,
    best_case_by_month,
    forecast_accuracy,
    forecast_table,
    months_between,
    weighted_by_month,
)

D = Decimal
JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


def test_months_between_crosses_december_into_january():
    assert months_between(date(2024, 11, 20), date(2025, 2, 1)) == [date(2024, 11, 1), date(2024, 12, 1), JAN, FEB]


def test_months_between_is_empty_when_end_precedes_start_month():
    assert months_between(date(2025, 3, 1), date(2025, 2, 28)) == []
    assert months_between(date(2025, 3, 31), date(2025, 3, 1)) == [MAR]  # same month, any days


def test_weighted_pipeline_sums_amount_times_probability_per_close_month():
    deals = [
        OpenDeal(1, D("100000.00"), 50, date(2025, 1, 15)),  # Jan: 100 000 × 50 % = 50 000
        OpenDeal(2, D("20000.00"), 25, date(2025, 1, 31)),  # Jan:  20 000 × 25 % =  5 000
        OpenDeal(3, D("8000.00"), 90, date(2025, 3, 1)),  # Mar:   8 000 × 90 % =  7 200
    ]
    # Feb has no deal but is still in the result, as 0.00.
    assert weighted_by_month(deals, [JAN, FEB, MAR]) == {JAN: D("55000.00"), FEB: D("0.00"), MAR: D("7200.00")}


def test_overdue_deals_count_in_the_first_month_and_deals_beyond_the_horizon_not_at_all():
    deals = [
        OpenDeal(1, D("1000"), 40, date(2024, 11, 30)),  # overdue (expected Nov) → Jan: 400
        OpenDeal(2, D("1000"), 10, date(2025, 1, 2)),  # Jan: 100
        OpenDeal(3, D("1000"), 100, date(2025, 4, 1)),  # April: after the last month → left out
    ]
    assert weighted_by_month(deals, [JAN, FEB, MAR]) == {JAN: D("500.00"), FEB: D("0.00"), MAR: D("0.00")}
    assert best_case_by_month(deals, [JAN, FEB, MAR]) == {JAN: D("2000.00"), FEB: D("0.00"), MAR: D("0.00")}


def test_weighted_sum_is_rounded_once_per_month_half_up():
    # Three deals of 0.05 at 50 %: each 0.025 (would round to 0.03 each → 0.09),
    # summed exactly 0.075 → 0.08.
    deals = [OpenDeal(i, D("0.05"), 50, JAN) for i in range(3)]
    assert weighted_by_month(deals, [JAN]) == {JAN: D("0.08")}
    # A single 0.025 rounds half-up to 0.03 (banker's rounding would give 0.02).
    assert weighted_by_month([OpenDeal(9, D("0.05"), 50, JAN)], [JAN]) == {JAN: D("0.03")}


def test_no_months_gives_empty_result():
    assert weighted_by_month([OpenDeal(1, D("1"), 50, JAN)], []) == {}


def test_months_must_be_consecutive_month_starts():
    with pytest.raises(ValueError, match="first day"):
        weighted_by_month([], [date(2025, 1, 15)])
    with pytest.raises(ValueError, match="consecutive"):
        weighted_by_month([], [JAN, MAR])


def test_probability_outside_0_to_100_is_refused():
    with pytest.raises(ValueError):
        OpenDeal(1, D("1"), 101, JAN)
    with pytest.raises(ValueError):
        OpenDeal(1, D("1"), -1, JAN)


def test_forecast_table_puts_forecast_actual_and_target_side_by_side():
    deals = [OpenDeal(1, D("10000"), 60, date(2025, 2, 10)), OpenDeal(2, D("5000"), 20, date(2025, 2, 20))]
    actuals = [
        ClosedAmount(date(2025, 1, 5), D("30000.00")),
        ClosedAmount(date(2025, 1, 31), D("12500.50")),
        ClosedAmount(date(2024, 12, 31), D("99999")),  # before the range: ignored
    ]
    targets = {JAN: D("50000"), FEB: D("0")}
    rows = forecast_table([JAN, FEB, MAR], deals, actuals, targets)
    assert rows == [
        # Jan: actual 30 000 + 12 500.50 = 42 500.50; gap 50 000 − 42 500.50 = 7 499.50;
        #      attainment 42 500.50 / 50 000 × 100 = 85.001 → 85.00
        ForecastRow(JAN, D("0.00"), D("0.00"), D("42500.50"), D("50000.00"), D("7499.50"), D("85.00")),
        # Feb: weighted 10 000 × 60 % + 5 000 × 20 % = 6 000 + 1 000 = 7 000; best case 15 000;
        #      target 0 → gap 0 − 0 = 0, attainment undefined (None)
        ForecastRow(FEB, D("7000.00"), D("15000.00"), D("0.00"), D("0.00"), D("0.00"), None),
        # Mar: no target at all → target, gap and attainment None
        ForecastRow(MAR, D("0.00"), D("0.00"), D("0.00"), None, None, None),
    ]


def test_gap_to_target_turns_negative_when_target_is_exceeded():
    (row,) = forecast_table([JAN], [], [ClosedAmount(date(2025, 1, 9), D("120"))], {JAN: D("100")})
    # 100 − 120 = −20; 120 / 100 = 120 %
    assert row.gap_to_target == D("-20.00")
    assert row.attainment == D("120.00")


def test_forecast_accuracy_hand_worked():
    # forecast 90, actual 100: 1 − |90 − 100| / 100 = 1 − 0.1 = 0.9
    assert forecast_accuracy(D("90"), D("100")) == D("0.9000")
    # over-forecast symmetric: 110 vs 100 → 0.9
    assert forecast_accuracy(D("110"), D("100")) == D("0.9000")
    # forecast 1, actual 3: 1 − 2/3 = 0.3333…
    assert forecast_accuracy(D("1"), D("3")) == D("0.3333")
    # forecast 350 vs actual 100: 1 − 2.5 = −1.5 → clipped to 0
    assert forecast_accuracy(D("350"), D("100")) == D("0.0000")


def test_forecast_accuracy_with_zero_actual_takes_the_limit():
    assert forecast_accuracy(D("0"), D("0")) == D("1")  # nothing forecast, nothing sold: exact
    assert forecast_accuracy(D("500"), D("0")) == D("0")  # something forecast, nothing sold: wrong


def test_forecast_accuracy_is_undefined_for_negative_amounts():
    assert forecast_accuracy(D("-1"), D("10")) is None
    assert forecast_accuracy(D("10"), D("-1")) is None


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
deal_strategy = st.builds(
    OpenDeal,
    id=st.integers(min_value=1),
    amount=money,
    probability=st.integers(min_value=0, max_value=100),
    expected_close=st.dates(min_value=date(2024, 6, 1), max_value=date(2025, 9, 30)),
)


@given(deals=st.lists(deal_strategy, max_size=20))
def test_weighted_never_exceeds_best_case(deals):
    months = months_between(date(2025, 1, 1), date(2025, 6, 30))
    weighted = weighted_by_month(deals, months)
    best = best_case_by_month(deals, months)
    assert list(weighted) == months
    for month in months:
        assert D("0.00") <= weighted[month] <= best[month]


@given(forecast=money, actual=money)
def test_forecast_accuracy_stays_between_0_and_1(forecast, actual):
    accuracy = forecast_accuracy(forecast, actual)
    assert accuracy is not None
    assert D(0) <= accuracy <= D(1)
    if forecast == actual:
        assert accuracy == 1
