"""The computed classifications of DOMAIN §1 as pure functions over plain values (no database).

- by time (时间序列): 未来 future (no order yet) / 新 new (first order within N months) / 老 old;
- by transaction process (交易过程): 正在 current (an order within N months) / 即将 upcoming (otherwise,
  something open: an open order or opportunity) / 曾经 past (older orders only) / none;
- by value (交易数量和市场地位), the 80/20 rule: accounts ranked by trailing-12-month gross profit.

Rules that the textbook leaves open, decided here (and mirrored by the SQL in ``classify.py``):

- Only positive profit counts. The "total" is the sum of positive profits: loss-making accounts are
  零散 scattered and do not shrink the pie that the others' shares are measured against. With no
  positive profit at all (total ≤ 0) every account is scattered.
- An account is 主力 key when the accounts ranked strictly above it produce less than ``key_share`` of
  the total, i.e. it is needed to reach 80 %; 一般 general likewise up to ``general_share``; the rest
  are scattered. For distinct profits this is exactly "the smallest set producing ≥ 80 %".
- Ties: accounts with equal profit get the same rank and the same tier (the better one). A tier must
  be explainable from the profit, and two equal accounts in different tiers because of their database
  ids could not be; the key set may therefore be slightly larger than the minimum.
"""

from __future__ import annotations

import calendar
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.core.money import Money
from guanxi.customers.models import ProcessClass, TimeClass, ValueTier

K = TypeVar("K", bound=Hashable)

TTM_MONTHS = 12
ZERO = Decimal(0)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day (31 Mar - 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def ttm_start(today: date) -> date:
    """Orders dated after this day (and on or before ``today``) make the trailing-12-month profit."""
    return add_months(today, -TTM_MONTHS)


# ---------------------------------------------------------------- by value (80/20)


@dataclass(frozen=True)
class ParetoPlace:
    tier: str
    profit: Decimal
    rank: int | None  # 1 = most profitable; None when the profit is not positive
    ranked: int  # accounts with a positive profit
    share_before: Decimal  # share of the total produced by the accounts ranked strictly above
    total: Decimal  # sum of the positive profits


def check_shares(key_share: Decimal, general_share: Decimal) -> None:
    if not (ZERO < Decimal(key_share) <= Decimal(general_share) <= 1):
        raise ValueError("Cut-offs must satisfy 0 < key share ≤ general share ≤ 1.")


def pareto_places(
    profits: Mapping[K, Decimal], key_share: Decimal = Decimal("0.8"), general_share: Decimal = Decimal("0.95")
) -> dict[K, ParetoPlace]:
    """Rank, share of the accounts above, and tier of every account (see the module docstring)."""
    key_share, general_share = Decimal(key_share), Decimal(general_share)
    check_shares(key_share, general_share)
    positive = sorted((p for p in profits.values() if p > 0), reverse=True)
    total = sum(positive, ZERO)
    ranked = len(positive)
    # For each distinct positive profit: (rank, profit of everyone strictly above).
    above: dict[Decimal, tuple[int, Decimal]] = {}
    running = ZERO
    for index, p in enumerate(positive):
        if p not in above:
            above[p] = (index + 1, running)
        running += p
    places: dict[K, ParetoPlace] = {}
    for account, p in profits.items():
        if p <= 0:
            places[account] = ParetoPlace(ValueTier.SCATTERED, p, None, ranked, ZERO, total)
            continue
        rank, before = above[p]
        # Compare exactly (no division): before < share × total.
        if before < key_share * total:
            tier = ValueTier.KEY
        elif before < general_share * total:
            tier = ValueTier.GENERAL
        else:
            tier = ValueTier.SCATTERED
        places[account] = ParetoPlace(tier, p, rank, ranked, before / total, total)
    return places


def pareto_tiers(
    profits: Mapping[K, Decimal], key_share: Decimal = Decimal("0.8"), general_share: Decimal = Decimal("0.95")
) -> dict[K, str]:
    """主力 / 一般 / 零散 for each account from its trailing-12-month gross profit."""
    return {k: place.tier for k, place in pareto_places(profits, key_share, general_share).items()}


def tier_from_cutoffs(profit: Decimal, key_min: Decimal | None, general_min: Decimal | None) -> str:
    """Place one account against the cut-offs of the last full ranking (the incremental path):
    ``key_min`` is the smallest profit that was key, ``general_min`` the smallest that was general."""
    if profit <= 0:
        return ValueTier.SCATTERED
    if key_min is not None and profit >= key_min:
        return ValueTier.KEY
    if general_min is not None and profit >= general_min:
        return ValueTier.GENERAL
    return ValueTier.SCATTERED


# ---------------------------------------------------------------- by time and by process


def time_class(first_order_date: date | None, today: date, new_months: int = 12) -> str:
    """未来 without any order; 新 when the first order is within the last ``new_months`` months
    (after the same day ``new_months`` months ago); 老 otherwise."""
    if first_order_date is None:
        return TimeClass.FUTURE
    if first_order_date > add_months(today, -new_months):
        return TimeClass.NEW
    return TimeClass.OLD


def process_class(last_order_date: date | None, has_open_orders_or_opportunities: bool, today: date, current_months: int = 3) -> str:
    """正在 when the latest order (dated on or before ``today``) is within ``current_months``; else
    即将 when an order or opportunity is open; else 曾经 when there were orders; else none.

    Trading now wins over about-to-trade: a customer who ordered last month and has another order
    open is trading now."""
    if last_order_date is not None and last_order_date > add_months(today, -current_months):
        return ProcessClass.CURRENT
    if has_open_orders_or_opportunities:
        return ProcessClass.UPCOMING
    if last_order_date is not None:
        return ProcessClass.PAST
    return ProcessClass.NONE


# ---------------------------------------------------------------- tooltips


def _pct(share: Decimal) -> str:
    return f"{Decimal(share) * 100:.1f} %"


def _money(amount: Decimal, currency: str) -> str:
    return Money(Decimal(amount), currency).format()


def _months(n: int) -> str:
    return ngettext("%(n)d month", "%(n)d months", n) % {"n": n}


def explain_time_class(time_class: str, first_order_date: date | None, new_months: int = 12) -> str:
    label = str(TimeClass(time_class).label)
    if time_class == TimeClass.FUTURE or first_order_date is None:
        return _("No order yet → %(label)s") % {"label": label}
    values = {"date": first_order_date.isoformat(), "months": _months(new_months), "label": label}
    if time_class == TimeClass.NEW:
        return _("First order on %(date)s, within the last %(months)s → %(label)s") % values
    return _("First order on %(date)s, more than %(months)s ago → %(label)s") % values


def explain_process_class(process_class: str, last_order_date: date | None, open_count: int, current_months: int = 3) -> str:
    label = str(ProcessClass(process_class).label)
    values = {
        "date": last_order_date.isoformat() if last_order_date else "—",
        "months": _months(current_months),
        "label": label,
        "n": open_count,
    }
    if process_class == ProcessClass.CURRENT:
        return _("Last order on %(date)s, within the last %(months)s → %(label)s") % values
    if process_class == ProcessClass.UPCOMING:
        return (
            ngettext(
                "%(n)d open order or opportunity, and no order in the last %(months)s → %(label)s",
                "%(n)d open orders or opportunities, and no order in the last %(months)s → %(label)s",
                open_count,
            )
            % values
        )
    if process_class == ProcessClass.PAST:
        return _("Last order on %(date)s, more than %(months)s ago, and nothing open → %(label)s") % values
    return _("No orders and nothing open → %(label)s") % values


def explain_value_tier(
    *,
    tier: str,
    profit: Decimal,
    currency: str,
    rank: int | None,
    ranked: int,
    share_before: Decimal,
    key_share: Decimal,
    general_share: Decimal,
    key_min_profit: Decimal | None = None,
    general_min_profit: Decimal | None = None,
    as_of: date | None = None,
) -> str:
    """Why an account is 主力 / 一般 / 零散. ``rank`` None means the account was placed by the
    incremental path against the cut-offs of the last full ranking (``as_of``)."""
    label = str(ValueTier(tier).label)
    values = {
        "label": label,
        "profit": _money(profit, currency),
        "rank": rank,
        "ranked": ranked,
        "share": _pct(share_before),
        "key": _pct(key_share),
        "general": _pct(general_share),
        "date": as_of.isoformat() if as_of else "—",
    }
    if profit <= 0:
        return _("No positive gross profit in the last 12 months (%(profit)s) → %(label)s") % values
    if rank is None:
        if key_min_profit is None and general_min_profit is None:
            return (
                _("Gross profit in the last 12 months: %(profit)s; not ranked yet, the next full recompute ranks it → %(label)s") % values
            )
        values["key_min"] = _money(key_min_profit, currency) if key_min_profit is not None else "—"
        values["general_min"] = _money(general_min_profit, currency) if general_min_profit is not None else "—"
        return (
            _(
                "Gross profit in the last 12 months: %(profit)s. At the last full ranking (%(date)s) key customers made at least "
                "%(key_min)s and general customers at least %(general_min)s → %(label)s"
            )
            % values
        )
    head = (
        _(
            "Ranked %(rank)d of %(ranked)d by gross profit in the last 12 months (%(profit)s); "
            "the accounts ranked above it produce %(share)s of the total."
        )
        % values
    )
    if tier == ValueTier.KEY:
        reason = _("That is less than the %(key)s that key customers make together → %(label)s") % values
    elif tier == ValueTier.GENERAL:
        reason = _("The %(key)s of key customers is reached without it, the %(general)s of general customers is not → %(label)s") % values
    else:
        reason = _("The %(general)s of key and general customers is reached without it → %(label)s") % values
    return f"{head} {reason}"
