"""Target periods, layering and attainment — goal management (目标管理 / 目标分层, DOMAIN §2).

Pure: plain dates and Decimals in, plain dataclasses out; no ORM. Services load targets from the
database and call these functions; nothing here knows about users, teams or translations.

Conventions:

* A period is identified by its first day (``period_start``); ``period_end`` is its last day,
  inclusive. Kinds are ``"month"``, ``"quarter"`` (Jan/Apr/Jul/Oct) and ``"year"``.
* Layering (目标分层): a parent target (company, team, quarter, year) is split into children
  (teams, reps, months, quarters). The children must add up to the parent. The comparison is
  exact Decimal arithmetic; ``tolerance`` (default 0) allows, e.g., a one-fen rounding slack.
* ``attainment`` is a percentage (``Decimal("85.50")`` means 85.5 %), quantised to 0.01.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, get_args

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[str, ...] = get_args(PeriodKind)

_MONTHS_IN: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
_PERCENT = Decimal("0.01")


def _months(kind: str) -> int:
    try:
        return _MONTHS_IN[kind]
    except KeyError:
        raise ValueError(f"Unknown period kind {kind!r}; expected one of {PERIOD_KINDS}.") from None


def period_start(day: date, kind: PeriodKind) -> date:
    """First day of the month / quarter / year containing ``day`` (DOMAIN §2, targets per period)."""
    size = _months(kind)
    first_month = (day.month - 1) // size * size + 1
    return date(day.year, first_month, 1)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, the day clamped to the target month's length.

    ``add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)`` (leap year).
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def next_period_start(day: date, kind: PeriodKind) -> date:
    """First day of the period after the one containing ``day``."""
    return add_months(period_start(day, kind), _months(kind))


def period_end(day: date, kind: PeriodKind) -> date:
    """Last day (inclusive) of the month / quarter / year containing ``day``."""
    return next_period_start(day, kind) - timedelta(days=1)


def is_period_start(day: date, kind: PeriodKind) -> bool:
    """True when ``day`` is the first day of a period of ``kind``."""
    return period_start(day, kind) == day


def periods_covering(start: date, end: date, kind: PeriodKind) -> list[date]:
    """Starts of every period of ``kind`` overlapping ``[start, end]`` (both inclusive), in order.

    ``end < start`` gives ``[]``. ``periods_covering(date(2024, 2, 15), date(2024, 4, 1), "quarter")``
    is ``[date(2024, 1, 1), date(2024, 4, 1)]``.
    """
    result: list[date] = []
    current = period_start(start, kind)
    while current <= end:
        result.append(current)
        current = next_period_start(current, kind)
    return result


def sub_periods(parent_start: date, parent_kind: PeriodKind, child_kind: PeriodKind) -> list[date]:
    """Starts of the ``child_kind`` periods making up the parent period (e.g. the 3 months of a quarter)."""
    if _months(child_kind) > _months(parent_kind):
        raise ValueError(f"A {child_kind} does not fit inside a {parent_kind}.")
    return periods_covering(parent_start, period_end(parent_start, parent_kind), child_kind)


@dataclass(frozen=True, slots=True)
class LayeringCheck:
    """Whether children add up to their parent (目标分层, DOMAIN §2).

    ``difference = children_total - parent``: positive means the children were given more than the
    parent target (over-allocated), negative means part of the parent is not allocated to anyone.
    """

    parent: Decimal
    children_total: Decimal
    difference: Decimal
    tolerance: Decimal
    ok: bool


def check_layering(parent_value: Decimal, child_values: Mapping[str, Decimal], *, tolerance: Decimal = Decimal(0)) -> LayeringCheck:
    """Check that the children's targets add up to the parent target, exactly or within ``tolerance``.

    Keys of ``child_values`` are whatever identifies a child (rep id, team code, month ISO date); only
    the values matter. No children at all is ``ok`` only when the parent is 0 (within tolerance).
    """
    if tolerance < 0:
        raise ValueError("tolerance must not be negative.")
    total = sum(child_values.values(), Decimal(0))
    difference = total - parent_value
    return LayeringCheck(
        parent=parent_value, children_total=total, difference=difference, tolerance=tolerance, ok=abs(difference) <= tolerance
    )


@dataclass(frozen=True, slots=True)
class PeriodLayering:
    """One calendar layering check: the sub-period targets under one quarter or year target.

    ``missing`` lists sub-periods that have no target although some siblings do; such a layering is
    never ``ok`` (a quarter with targets for only two of its months is incomplete).
    """

    parent_kind: PeriodKind
    parent_start: date
    child_kind: PeriodKind
    check: LayeringCheck
    missing: tuple[date, ...]

    @property
    def ok(self) -> bool:
        return self.check.ok and not self.missing


def _require_period_starts(values: Mapping[date, Decimal], kind: PeriodKind) -> None:
    for day in values:
        if not is_period_start(day, kind):
            raise ValueError(f"{day.isoformat()} is not the first day of a {kind}.")


def _layer(
    parents: Mapping[date, Decimal], parent_kind: PeriodKind, children: Mapping[date, Decimal], child_kind: PeriodKind, tolerance: Decimal
) -> Iterable[PeriodLayering]:
    for start in sorted(parents):
        subs = sub_periods(start, parent_kind, child_kind)
        present = {sub.isoformat(): children[sub] for sub in subs if sub in children}
        if not present:
            continue  # no sub-period targets under this parent: nothing to compare
        missing = tuple(sub for sub in subs if sub not in children)
        check = check_layering(parents[start], present, tolerance=tolerance)
        yield PeriodLayering(parent_kind=parent_kind, parent_start=start, child_kind=child_kind, check=check, missing=missing)


def check_calendar_layering(
    *,
    monthly: Mapping[date, Decimal],
    quarterly: Mapping[date, Decimal],
    yearly: Mapping[date, Decimal],
    tolerance: Decimal = Decimal(0),
) -> list[PeriodLayering]:
    """Check month targets against their quarter and year targets, and quarters against the year.

    Input: the targets of ONE subject (a rep, a team, the company) keyed by period start. A check is
    produced only where both levels exist (a quarter target and at least one of its month targets);
    results are ordered quarter←months, year←months, year←quarters, each by period. Use
    ``[r for r in results if not r.ok]`` to list the problems (DOMAIN §2, 目标分层).
    """
    _require_period_starts(monthly, "month")
    _require_period_starts(quarterly, "quarter")
    _require_period_starts(yearly, "year")
    return [
        *_layer(quarterly, "quarter", monthly, "month", tolerance),
        *_layer(yearly, "year", monthly, "month", tolerance),
        *_layer(yearly, "year", quarterly, "quarter", tolerance),
    ]


def attainment(actual: Decimal, target: Decimal) -> Decimal | None:
    """Target attainment (目标达成率) as a percentage: ``actual / target × 100``, 0.01 ROUND_HALF_UP.

    ``None`` when the target is 0 (no target means no attainment, not infinite attainment).
    """
    if target == 0:
        return None
    return (actual * 100 / target).quantize(_PERCENT, rounding=ROUND_HALF_UP)
