"""The 360° account page (一站式, DOMAIN §0): everything about one customer in a constant number
of queries, whatever the number of contacts, orders or history entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from guanxi.audit import lifecycle
from guanxi.core.money import Money
from guanxi.customers.models import Account, Contact, Order, OrderStatus
from guanxi.users.models import User

CONTACTS_SHOWN = 20
ORDERS_SHOWN = 20
CHART_MONTHS = 24
CENT = Decimal("0.01")


@dataclass
class OrderSummary:
    count: int = 0
    amount: Money | None = None
    gross_profit: Money | None = None
    open_count: int = 0
    currencies: list[str] = field(default_factory=list)


def get_account_for_360(actor: User, pk: Any) -> Account:
    """The account with everything its header needs, in one query."""
    account = lifecycle.get_visible(actor, Account, pk)
    # One more query for header relations rather than lazy loads scattered through the template.
    return (
        Account.objects.select_related("owner", "team", "department", "classification")
        .prefetch_related("tags")
        .get(pk=account.pk)
    )


def account_contacts(account: Account, *, limit: int = CONTACTS_SHOWN) -> tuple[list[Contact], int]:
    qs = Contact.objects.filter(account_links__account_id=account.pk).select_related("owner").order_by("name_sort", "id")
    # Always one count query, so the page's query count does not depend on how many contacts exist.
    return list(qs[:limit]), qs.count()


def account_orders(account: Account, *, limit: int = ORDERS_SHOWN) -> list[Order]:
    return list(Order.objects.filter(account_id=account.pk).order_by("-order_date", "-id")[:limit])


def order_summary(account: Account) -> OrderSummary:
    """Totals per currency in one query; the first (main) currency is shown as the headline."""
    rows = list(
        Order.objects.filter(account_id=account.pk)
        .exclude(status=OrderStatus.CANCELLED)
        .values("currency")
        .annotate(
            n=Count("id"),
            amount=Sum("amount"),
            profit=Sum("gross_profit"),
            open_n=Count("id", filter=Q(status__in=[OrderStatus.DRAFT, OrderStatus.OPEN])),
        )
        .order_by("-amount")
    )
    if not rows:
        return OrderSummary()
    main = rows[0]
    return OrderSummary(
        count=sum(r["n"] for r in rows),
        amount=Money(main["amount"] or Decimal(0), main["currency"]),
        gross_profit=Money(main["profit"] or Decimal(0), main["currency"]),
        open_count=sum(r["open_n"] for r in rows),
        currencies=[r["currency"] for r in rows],
    )


def _month_start(d: date, back: int) -> date:
    index = d.year * 12 + d.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def monthly_series(account: Account, *, months: int = CHART_MONTHS, today: date | None = None) -> dict[str, list[Any]]:
    """Amount and gross profit per month for the last ``months`` months (zero-filled), one query."""
    today = today or timezone.localdate()
    start = _month_start(today, months - 1)
    rows = (
        Order.objects.filter(account_id=account.pk, order_date__gte=start)
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(month=TruncMonth("order_date"))
        .values("month")
        .annotate(amount=Sum("amount"), profit=Sum("gross_profit"))
        .order_by("month")
    )
    by_month = {}
    for r in rows:
        m = r["month"]
        key = (m.year, m.month)
        by_month[key] = (r["amount"] or Decimal(0), r["profit"] or Decimal(0))
    labels, amounts, profits = [], [], []
    for back in range(months - 1, -1, -1):
        m = _month_start(today, back)
        labels.append(f"{m.year}-{m.month:02d}")
        amount, profit = by_month.get((m.year, m.month), (Decimal(0), Decimal(0)))
        # SQLite sums decimals as floats-with-scale-lost; quantize so both databases say "150.50".
        amounts.append(str(Decimal(amount).quantize(CENT)))
        profits.append(str(Decimal(profit).quantize(CENT)))
    return {"labels": labels, "amount": amounts, "profit": profits}
