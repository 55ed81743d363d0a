"""Weighted pipeline and forecast vs actual (销售预估 / 销售实绩, DOMAIN §2).

Pure: services query open opportunities, won deals / orders and monthly targets, turn them into
the dataclasses below and call these functions; no ORM here.

Rules (chosen here, documented so reports can say what a number means):

* Months are identified by their first day. ``months_between`` builds such a list.
* Weighted value of an open deal = ``amount × probability / 100``. Sums are computed exactly and
  quantised once per month to 0.01 with ROUND_HALF_UP (not deal by deal, so no fen drifts).
* A deal is counted in the month of its ``expected_close``. An open deal whose expected close lies
  before the first month is **overdue**: it is still open, so it is still expected, and it is counted
  in the first month (the earliest month it can still close in). Deals expected after the last month
  are outside the horizon and not counted.
* Best case = the same open deals unweighted (every open deal closes, 0 % deals included).
* Actual = sum of closed (won) amounts whose day falls in the month; days outside are ignored.
* ``gap_to_target = target - actual`` (positive: still to sell; negative: target exceeded);
  ``attainment`` is ``actual / target`` in percent (see ``targets_math.attainment``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from guanxi.sales.targets_math import attainment, is_period_start, next_period_start, period_start, periods_covering

CENT = Decimal("0.01")
_ACCURACY = Decimal("0.0001")


def money(value: Decimal) -> Decimal:
    """``value`` quantised to 0.01 with ROUND_HALF_UP."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class OpenDeal:
    """An open opportunity: amount, win probability in percent (0..100) and expected close date."""

    id: int
    amount: Decimal
    probability: int
    expected_close: date

    def __post_init__(self) -> None:
        if not 0 <= self.probability <= 100:
            raise ValueError(f"Deal {self.id}: probability must be between 0 and 100, not {self.probability}.")

    @property
    def weighted(self) -> Decimal:
        """Unrounded ``amount × probability / 100``."""
        return self.amount * self.probability / 100


@dataclass(frozen=True, slots=True)
class ClosedAmount:
    """A realised sale (won deal or order) on a day (销售实绩)."""

    day: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ForecastRow:
    """One month of the forecast vs actual table (DOMAIN §2). Money fields are quantised to 0.01.

    ``target``, ``gap_to_target`` and ``attainment`` are ``None`` when the month has no target;
    ``attainment`` is also ``None`` when the target is 0.
    """

    month: date
    weighted: Decimal
    best_case: Decimal
    actual: Decimal
    target: Decimal | None
    gap_to_target: Decimal | None
    attainment: Decimal | None


def months_between(start: date, end: date) -> list[date]:
    """First days of every month from ``start``'s month to ``end``'s month, inclusive.

    ``months_between(date(2024, 11, 20), date(2025, 2, 1))`` → Nov, Dec 2024, Jan, Feb 2025.
    ``end`` before ``start``'s month gives ``[]``.
    """
    return periods_covering(start, end, "month")


def _check_months(months: Sequence[date]) -> None:
    """Months must be month starts, consecutive and ascending (as ``months_between`` returns)."""
    for month in months:
        if not is_period_start(month, "month"):
            raise ValueError(f"{month.isoformat()} is not the first day of a month.")
    for earlier, later in pairwise(months):
        if next_period_start(earlier, "month") != later:
            raise ValueError("months must be consecutive and ascending (use months_between).")


def _deal_month(deal: OpenDeal, months: Sequence[date]) -> date | None:
    """The month a deal is counted in: its close month, overdue deals in the first month, else None."""
    month = max(period_start(deal.expected_close, "month"), months[0])
    return month if month <= months[-1] else None


def _bucket_deals(deals: Iterable[OpenDeal], months: Sequence[date], *, weighted: bool) -> dict[date, Decimal]:
    _check_months(months)
    totals = dict.fromkeys(months, Decimal(0))
    if not months:
        return totals
    for deal in deals:
        month = _deal_month(deal, months)
        if month is not None:
            totals[month] += deal.weighted if weighted else deal.amount
    return {month: money(total) for month, total in totals.items()}


def weighted_by_month(deals: Iterable[OpenDeal], months: Sequence[date]) -> dict[date, Decimal]:
    """Weighted pipeline (销售预估) per month: Σ amount × probability / 100, every month present.

    Overdue deals (expected close before ``months[0]``) count in the first month; deals beyond the
    last month are left out.
    """
    return _bucket_deals(deals, months, weighted=True)


def best_case_by_month(deals: Iterable[OpenDeal], months: Sequence[date]) -> dict[date, Decimal]:
    """Unweighted open pipeline per month, bucketed exactly like ``weighted_by_month``."""
    return _bucket_deals(deals, months, weighted=False)


def actual_by_month(actuals: Iterable[ClosedAmount], months: Sequence[date]) -> dict[date, Decimal]:
    """Realised sales (销售实绩) per month; amounts on days outside ``months`` are ignored."""
    _check_months(months)
    totals = dict.fromkeys(months, Decimal(0))
    for closed in actuals:
        month = period_start(closed.day, "month")
        if month in totals:
            totals[month] += closed.amount
    return {month: money(total) for month, total in totals.items()}


def _row(month: date, weighted: Decimal, best_case: Decimal, actual: Decimal, target: Decimal | None) -> ForecastRow:
    if target is None:
        return ForecastRow(month, weighted, best_case, actual, None, None, None)
    target = money(target)
    return ForecastRow(month, weighted, best_case, actual, target, target - actual, attainment(actual, target))


def forecast_table(
    months: Sequence[date],
    deals: Iterable[OpenDeal],
    actuals: Iterable[ClosedAmount],
    targets: Mapping[date, Decimal],
) -> list[ForecastRow]:
    """Forecast vs actual vs target, one row per month in ``months`` (DOMAIN §2, 销售预估 / 销售实绩).

    ``targets`` is keyed by month start; months without a key have no target (``None`` fields).
    """
    deal_list = list(deals)
    weighted = weighted_by_month(deal_list, months)
    best_case = best_case_by_month(deal_list, months)
    actual = actual_by_month(actuals, months)
    return [_row(month, weighted[month], best_case[month], actual[month], targets.get(month)) for month in months]


def forecast_accuracy(snapshot_forecast: Decimal, actual: Decimal) -> Decimal | None:
    """How close a past forecast came to what was actually sold: ``max(0, 1 - |f - a| / a)``.

    A fraction in [0, 1] quantised to 0.0001 (``Decimal("0.9500")`` = 95 % accurate) — unlike
    ``attainment`` this is not a percentage. When the actual is 0 the formula divides by zero; we take
    its limit instead: forecasting 0 and selling 0 is a perfect forecast (``1``), forecasting anything
    and selling nothing is entirely wrong (``0``). Returns ``None`` only for negative inputs
    (refund-heavy months), where the measure means nothing.
    """
    if snapshot_forecast < 0 or actual < 0:
        return None
    if actual == 0:
        return Decimal(1 if snapshot_forecast == 0 else 0).quantize(_ACCURACY)
    accuracy = max(Decimal(0), 1 - abs(snapshot_forecast - actual) / actual)
    return accuracy.quantize(_ACCURACY, rounding=ROUND_HALF_UP)
