"""Target periods, layering and attainment (DOMAIN §2, 目标管理 / 目标分层). No database."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.sales.targets_math import (
    add_months,
    attainment,
    check_calendar_layering,
    check_layering,
    period_end,
    period_start,
    periods_covering,
    sub_periods,
)

D = Decimal


@pytest.mark.parametrize(
    ("day", "kind", "start", "end"),
    [
        (date(2024, 2, 10), "month", date(2024, 2, 1), date(2024, 2, 29)),  # leap year February
        (date(2023, 2, 10), "month", date(2023, 2, 1), date(2023, 2, 28)),
        (date(2024, 12, 31), "month", date(2024, 12, 1), date(2024, 12, 31)),  # Dec: end does not overflow to Jan
        (date(2024, 3, 31), "quarter", date(2024, 1, 1), date(2024, 3, 31)),  # last day of Q1
        (date(2024, 4, 1), "quarter", date(2024, 4, 1), date(2024, 6, 30)),  # first day of Q2
        (date(2024, 11, 5), "quarter", date(2024, 10, 1), date(2024, 12, 31)),  # Q4 ends at year end
        (date(2024, 7, 4), "year", date(2024, 1, 1), date(2024, 12, 31)),
    ],
)
def test_period_start_and_end_bound_the_period_containing_the_day(day, kind, start, end):
    assert period_start(day, kind) == start
    assert period_end(day, kind) == end


def test_unknown_period_kind_is_refused():
    with pytest.raises(ValueError, match="week"):
        period_start(date(2024, 1, 1), "week")  # type: ignore[arg-type]


def test_add_months_clamps_to_month_length_and_crosses_years():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)  # leap year
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)  # Dec → Jan
    assert add_months(date(2025, 1, 15), -1) == date(2024, 12, 15)


def test_periods_covering_lists_every_overlapping_period_start():
    # 15 Feb → 1 Apr touches Q1 (by its tail) and Q2 (by its first day).
    assert periods_covering(date(2024, 2, 15), date(2024, 4, 1), "quarter") == [date(2024, 1, 1), date(2024, 4, 1)]
    # Nov 2024 → Feb 2025 crosses the year: 4 months.
    assert periods_covering(date(2024, 11, 30), date(2025, 2, 1), "month") == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    assert periods_covering(date(2024, 5, 5), date(2024, 5, 5), "year") == [date(2024, 1, 1)]


def test_periods_covering_is_empty_when_end_is_before_start():
    assert periods_covering(date(2024, 5, 1), date(2024, 4, 30), "month") == []


def test_sub_periods_of_a_quarter_are_its_three_months_and_a_year_has_four_quarters():
    assert sub_periods(date(2024, 10, 1), "quarter", "month") == [date(2024, 10, 1), date(2024, 11, 1), date(2024, 12, 1)]
    assert len(sub_periods(date(2024, 1, 1), "year", "quarter")) == 4
    with pytest.raises(ValueError):
        sub_periods(date(2024, 1, 1), "month", "year")


def test_layering_ok_when_children_add_up_exactly():
    # Team East 300 000.00 = carol 120 000.00 + dave 100 000.00 + erin 80 000.00
    result = check_layering(D("300000.00"), {"carol": D("120000.00"), "dave": D("100000.00"), "erin": D("80000.00")})
    assert result.ok
    assert result.children_total == D("300000.00")
    assert result.difference == 0


def test_layering_reports_unallocated_part_as_negative_difference():
    # 100 000 − (30 000 + 30 000 + 33 333.33) = 6 666.67 not allocated → difference −6 666.67
    result = check_layering(D("100000"), {"a": D("30000"), "b": D("30000"), "c": D("33333.33")})
    assert not result.ok
    assert result.difference == D("-6666.67")


def test_layering_tolerance_absorbs_a_rounding_fen_but_not_more():
    # 100.00 split three ways: 33.33 × 3 = 99.99 → difference −0.01
    thirds = {"a": D("33.33"), "b": D("33.33"), "c": D("33.33")}
    assert not check_layering(D("100.00"), thirds).ok  # exact by default
    assert check_layering(D("100.00"), thirds, tolerance=D("0.01")).ok
    assert not check_layering(D("100.00"), {"a": D("99.98")}, tolerance=D("0.01")).ok


def test_layering_without_children_is_ok_only_for_a_zero_parent():
    assert check_layering(D("0"), {}).ok
    assert not check_layering(D("5"), {}).ok


def test_negative_tolerance_is_refused():
    with pytest.raises(ValueError):
        check_layering(D("1"), {"a": D("1")}, tolerance=D("-0.01"))


amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(parent=amounts, children=st.lists(amounts, max_size=8), tolerance=st.decimals(min_value=0, max_value=100, places=2))
def test_layering_check_is_symmetric_and_order_free(parent, children, tolerance):
    forward = check_layering(parent, {str(i): v for i, v in enumerate(children)}, tolerance=tolerance)
    backward = check_layering(parent, {str(i): v for i, v in enumerate(reversed(children))}, tolerance=tolerance)
    # Child order does not matter.
    assert forward == backward
    # Over- and under-allocation by the same amount are judged alike: negate everything → same verdict.
    mirrored = check_layering(-parent, {str(i): -v for i, v in enumerate(children)}, tolerance=tolerance)
    assert mirrored.ok == forward.ok
    assert mirrored.difference == -forward.difference
    assert forward.ok == (abs(sum(children, D(0)) - parent) <= tolerance)


@given(parts=st.lists(amounts, min_size=1, max_size=12))
def test_children_that_were_split_from_the_parent_always_pass(parts):
    parent = sum(parts, D(0))
    assert check_layering(parent, {str(i): v for i, v in enumerate(parts)}).ok


def test_calendar_layering_checks_months_against_quarter_and_year():
    # Q1 = 30 000; Jan 10 000 + Feb 10 000 + Mar 10 000 = 30 000 → ok.
    # Q2 = 30 000; Apr 10 000 + May 10 000 + Jun 5 000 = 25 000 → short by 5 000.
    months = {date(2024, m, 1): D("10000") for m in range(1, 6)} | {date(2024, 6, 1): D("5000")}
    quarters = {date(2024, 1, 1): D("30000"), date(2024, 4, 1): D("30000")}
    years = {date(2024, 1, 1): D("60000")}
    results = check_calendar_layering(monthly=months, quarterly=quarters, yearly=years)
    summary = [(r.parent_kind, r.parent_start, r.child_kind, r.check.difference, r.missing, r.ok) for r in results]
    assert summary == [
        ("quarter", date(2024, 1, 1), "month", D("0"), (), True),
        ("quarter", date(2024, 4, 1), "month", D("-5000"), (), False),
        # year ← months: only Jan–Jun have targets (55 000); Jul–Dec are missing → not ok.
        ("year", date(2024, 1, 1), "month", D("-5000"), tuple(date(2024, m, 1) for m in range(7, 13)), False),
        # year ← quarters: 30 000 + 30 000 = 60 000, but Q3 and Q4 are missing → not ok.
        ("year", date(2024, 1, 1), "quarter", D("0"), (date(2024, 7, 1), date(2024, 10, 1)), False),
    ]


def test_calendar_layering_skips_levels_that_do_not_both_exist():
    # A quarter target with no month targets under it is not a layering problem.
    assert check_calendar_layering(monthly={date(2024, 7, 1): D("1")}, quarterly={date(2024, 1, 1): D("9")}, yearly={}) == []


def test_calendar_layering_refuses_keys_that_are_not_period_starts():
    with pytest.raises(ValueError, match="quarter"):
        check_calendar_layering(monthly={}, quarterly={date(2024, 2, 1): D("1")}, yearly={})


def test_attainment_is_a_percentage_rounded_half_up():
    # 85 500 / 100 000 × 100 = 85.5 → 85.50
    assert attainment(D("85500"), D("100000")) == D("85.50")
    # 1 / 3 × 100 = 33.333… → 33.33 ; 2 / 3 × 100 = 66.666… → 66.67
    assert attainment(D("1"), D("3")) == D("33.33")
    assert attainment(D("2"), D("3")) == D("66.67")
    # half-up at the second decimal: 1.005 / 100 × 100 = 1.005 → 1.01 (banker's rounding would give 1.00)
    assert attainment(D("1.005"), D("100")) == D("1.01")
    # exceeding the target
    assert attainment(D("150"), D("100")) == D("150.00")


def test_attainment_without_target_is_none():
    assert attainment(D("500"), D("0")) is None
    assert attainment(D("0"), D("0.00")) is None
