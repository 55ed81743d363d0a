"""The 360° account page (一站式, DOMAIN §0): everything about one customer in a constant number
of queries, whatever the number of contacts, orders or history entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q, Sum, Window
from django.db.models.functions import TruncMonth
from django.utils import timezone

from guanxi.core.errors import NotFound
from guanxi.core.money import Money
from guanxi.customers.models import Account, Contact, Order, OrderStatus
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

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
    """The account with everything its header needs (owner, team, classification; tags in a second
    query), read through the visibility function like ``lifecycle.get_visible``: not visible → NotFound."""
    qs = Account.objects.select_related("owner", "team", "classification").prefetch_related("tags")
    try:
        return visible_to(actor, qs).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def account_contacts(account: Account, *, limit: int = CONTACTS_SHOWN) -> tuple[list[Contact], int]:
    # One query whatever the number of contacts: the total rides along on every row (COUNT(*) OVER ()).
    qs = Contact.objects.filter(account_links__account_id=account.pk).order_by("name_sort", "id")
    rows: list[Contact] = list(qs.annotate(total_linked=Window(Count("id")))[:limit])
    return rows, (getattr(rows[0], "total_linked") if rows else 0)  # noqa: B009 - an annotation mypy cannot see


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
