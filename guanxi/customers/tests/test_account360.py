from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.customers.account360 import monthly_series
from guanxi.customers.contacts import contact_create
from guanxi.customers.models import Order, OrderStatus
from guanxi.customers.services import account_create, account_update

pytestmark = pytest.mark.django_db

PAGES = ["", "tab/overview/", "tab/contacts/", "tab/orders/", "tab/timeline/", "history/"]


def grow(account, carol, *, contacts: int, orders: int):
    for i in range(contacts):
        contact_create(actor=carol, data={"name": f"联系人{i}", "mobile": f"1380013{i:04d}"}, account_ids=[account.pk])
    Order.objects.bulk_create(
        Order(account=account, order_date=date(2026, 11, 1) - timedelta(days=7 * i), amount=Decimal("1000.00") + i,
              gross_profit=Decimal("200.00"), status=OrderStatus.COMPLETED, number=f"SO-{account.pk}-{i}")
        for i in range(orders)
    )
    for i in range(orders // 10):
        account = account_update(actor=carol, account=account, version=account.version, data={"industry": f"行业{i}"})
    return account


def query_counts(client, account):
    counts = {}
    for page in PAGES:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/accounts/{account.pk}/{page}")
        assert response.status_code == 200, page
        counts[page] = len(ctx.captured_queries)
    return counts


def test_360_page_and_tabs_stay_within_15_queries_whatever_the_number_of_related_rows(client, carol):
    small = grow(account_create(actor=carol, data={"name": "小客户"}), carol, contacts=1, orders=2)
    big = grow(account_create(actor=carol, data={"name": "大客户"}), carol, contacts=60, orders=150)
    client.force_login(carol)
    query_counts(client, small)  # warm the process-wide caches (content types) that the first request fills
    small_counts, big_counts = query_counts(client, small), query_counts(client, big)
    assert max(big_counts.values()) <= 15, big_counts
    assert big_counts == small_counts, (small_counts, big_counts)


def test_overview_shows_totals_contacts_and_a_24_month_series(client, carol):
    account = grow(account_create(actor=carol, data={"name": "华东客户"}), carol, contacts=3, orders=4)
    client.force_login(carol)
    html = client.get(f"/accounts/{account.pk}/tab/overview/").content.decode()
    assert 'data-testid="order-count">4<' in html
    assert "联系人0" in html
    assert "account-series" in html


def test_monthly_series_is_zero_filled_and_sums_per_month(carol):
    account = account_create(actor=carol, data={"name": "月度客户"})
    Order.objects.create(account=account, order_date=date(2026, 10, 3), amount=Decimal("100"), gross_profit=Decimal("10"))
    Order.objects.create(account=account, order_date=date(2026, 10, 20), amount=Decimal("50.5"), gross_profit=Decimal("5"))
    Order.objects.create(account=account, order_date=date(2026, 10, 21), amount=Decimal("999"), status=OrderStatus.CANCELLED)
    series = monthly_series(account, today=date(2026, 11, 26))
    assert len(series["labels"]) == 24 and series["labels"][-1] == "2026-11" and series["labels"][0] == "2024-12"
    assert series["amount"][-2] == "150.50" and series["profit"][-2] == "15.00"
    assert series["amount"][-1] == "0.00"


def test_timeline_merges_history_and_orders_newest_first(client, carol):
    account = account_create(actor=carol, data={"name": "时间线客户"})
    Order.objects.create(account=account, order_date=date(2020, 1, 1), amount=Decimal("1"), number="OLD-1")
    client.force_login(carol)
    html = client.get(f"/accounts/{account.pk}/tab/timeline/").content.decode()
    assert "OLD-1" in html
    assert html.index("OLD-1") > html.index("timeline-audit")


def test_other_team_cannot_open_any_tab(client, carol, dave):
    account = account_create(actor=carol, data={"name": "保密客户"})
    client.force_login(dave)
    for page in PAGES:
        assert client.get(f"/accounts/{account.pk}/{page}").status_code == 404, page
