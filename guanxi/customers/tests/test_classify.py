"""Stored classifications: the set-based full recompute (same results on SQLite and PostgreSQL),
the incremental path when an order changes, the nightly job, the badges and the list filters."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from guanxi.customers.classification import pareto_tiers
from guanxi.customers.classify import recompute_account, recompute_all
from guanxi.customers.models import Account, AccountClassification, ArchiveSettings, Order, OrderStatus
from guanxi.customers.orders import order_create, order_delete
from guanxi.customers.services import account_create
from guanxi.dataio import jobs
from guanxi.dataio.models import Job, JobState

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)


def order(account, day, profit, *, amount=None, status=OrderStatus.COMPLETED, currency="CNY"):
    return Order.objects.create(
        account=account,
        order_date=day,
        gross_profit=D(profit),
        amount=D(amount if amount is not None else max(D(profit), D(0)) * 3),
        status=status,
        currency=currency,
    )


@pytest.fixture
def book(carol):
    """Trailing-12-month profits (orders after 2025-06-30) of 50k, 30k, 10k, 6k, 4k, plus orders that
    must not count: outside the window, cancelled, in another currency, drafts, a deleted account."""
    acc = {key: Account.objects.create(name=f"客户{key}", owner=carol) for key in "abcdefgh"}
    order(acc["a"], date(2024, 3, 1), 99_999)  # first order, outside the window
    order(acc["a"], date(2025, 10, 1), 30_000)
    order(acc["a"], date(2026, 6, 1), "20000.00")
    order(acc["b"], date(2025, 9, 1), 30_000)
    order(acc["b"], date(2026, 8, 1), 7_000, status=OrderStatus.OPEN)  # dated ahead: open, not yet profit
    order(acc["c"], date(2025, 7, 15), 10_000)
    order(acc["c"], date(2025, 8, 1), 50_000, status=OrderStatus.CANCELLED)
    order(acc["d"], date(2025, 12, 1), 6_000)
    order(acc["d"], date(2026, 1, 1), 90_000, currency="USD")
    order(acc["e"], date(2026, 5, 10), "4000.00")
    # f: no orders at all.
    order(acc["g"], date(2023, 2, 1), 8_000)
    order(acc["h"], date(2026, 6, 20), 5_000, status=OrderStatus.DRAFT)
    gone = Account.objects.create(name="已删除", owner=carol, deleted_at=timezone.now())
    order(gone, date(2026, 6, 1), 1_000_000)
    return acc


def classes(acc):
    rows = {c.account_id: c for c in AccountClassification.objects.all()}
    return {key: (rows[a.pk].time_class, rows[a.pk].process_class, rows[a.pk].value_tier) for key, a in acc.items()}


def test_full_recompute_gives_the_hand_computed_classes(book):
    result = recompute_all(TODAY)

    assert result.accounts == 8 and result.ranked == 5 and result.rows_changed == 8
    assert classes(book) == {
        "a": ("old", "current", "key"),  # first order 2024; ordered 2026-06-01; above it: 0 of 100k
        "b": ("new", "upcoming", "key"),  # last order 10 months ago, an open order ahead; above: 50 %
        "c": ("new", "past", "general"),  # above: 80 % (the cancelled 50k does not count)
        "d": ("new", "past", "general"),  # above: 90 % (the USD order is not added to yuan)
        "e": ("new", "current", "scattered"),  # above: 96 % ≥ 95 %
        "f": ("future", "none", "scattered"),
        "g": ("old", "past", "scattered"),  # only an order from 2023: no profit in the window
        "h": ("future", "upcoming", "scattered"),  # a draft is not an order yet, but it is open
    }
    # The SQL agrees with the pure function on the same profits.
    rows = {c.account_id: c for c in AccountClassification.objects.all()}
    profits = {key: rows[a.pk].ttm_profit for key, a in book.items()}
    assert profits == {"a": D(50_000), "b": D(30_000), "c": D(10_000), "d": D(6_000), "e": D(4_000), "f": 0, "g": 0, "h": 0}
    assert {k: str(v) for k, v in pareto_tiers(profits).items()} == {k: v[2] for k, v in classes(book).items()}
    a, e = rows[book["a"].pk], rows[book["e"].pk]
    assert (a.profit_rank, a.profit_share, a.first_order_date, a.last_order_date) == (1, D(0), date(2024, 3, 1), date(2026, 6, 1))
    assert (e.profit_rank, e.profit_share) == (5, D("0.96"))
    assert result.run.key_min_profit == D(30_000) and result.run.general_min_profit == D(6_000)
    assert result.run.total_profit == D(100_000)


def test_a_second_run_with_nothing_changed_writes_no_row(book):
    recompute_all(TODAY)
    before = {c.account_id: c.computed_at for c in AccountClassification.objects.all()}

    assert recompute_all(TODAY).rows_changed == 0
    assert {c.account_id: c.computed_at for c in AccountClassification.objects.all()} == before


def test_a_run_rewrites_only_the_accounts_whose_values_changed(book):
    recompute_all(TODAY)
    # d 6k → 5k and e 4k → 5k: they tie at rank 4 with 90k above them (total still 100k) → both
    # general. a, b and c keep profit, rank and share; f, g, h still have nothing.
    Order.objects.filter(account=book["d"], currency="CNY").update(gross_profit=D(5_000))
    Order.objects.filter(account=book["e"]).update(gross_profit=D(5_000))

    result = recompute_all(TODAY)

    assert result.rows_changed == 2
    e = AccountClassification.objects.get(account=book["e"])
    assert (e.value_tier, e.profit_rank, e.profit_share) == ("general", 4, D("0.9"))


def test_thresholds_come_from_the_archive_settings(book):
    ArchiveSettings.objects.create(key_share=D("0.5"), general_share=D("0.9"), new_customer_months=30, past_trade_months=12)

    recompute_all(TODAY)

    got = classes(book)
    assert [got[k][2] for k in "abcde"] == ["key", "general", "general", "scattered", "scattered"]
    assert got["a"][0] == "new"  # first order 2024-03-01 is within 30 months
    assert got["c"][1] == "current"  # 2025-07-15 is within 12 months


def test_ordering_for_a_future_customer_makes_it_new_and_trading_now(carol, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    prospect = account_create(actor=carol, data={"name": "未来科技有限公司"})
    buyer = account_create(actor=carol, data={"name": "老主顾贸易有限公司"})
    order(buyer, today - timedelta(days=400), 1_000)
    order(buyer, today - timedelta(days=10), 1_000)
    recompute_all()
    assert classes({"p": prospect})["p"] == ("future", "none", "scattered")

    with django_capture_on_commit_callbacks(execute=True):
        created = order_create(actor=carol, account=prospect, data={"order_date": today, "amount": "5000", "gross_profit": "2000"})

    assert classes({"p": prospect})["p"] == ("new", "current", "key")  # 2,000 ≥ the 1,000 key cut-off
    row = AccountClassification.objects.get(account=prospect)
    assert row.profit_rank is None, "placed against the cut-offs; the nightly run ranks it"
    prospect.refresh_from_db()
    assert prospect.last_activity_at is not None

    # The nightly run ranks it and agrees with the incremental classes.
    recompute_all()
    row.refresh_from_db()
    assert (row.time_class, row.process_class, row.value_tier, row.profit_rank) == ("new", "current", "key", 1)

    with django_capture_on_commit_callbacks(execute=True):
        order_delete(actor=carol, order=created)
    assert classes({"p": prospect})["p"] == ("future", "none", "scattered")


def test_the_incremental_path_matches_the_full_run_for_time_and_process(book):
    recompute_all(TODAY)
    full = classes(book)
    AccountClassification.objects.all().delete()
    for account in book.values():
        recompute_account(account.pk, TODAY)
    incremental = classes(book)
    assert {k: v[:2] for k, v in incremental.items()} == {k: v[:2] for k, v in full.items()}
    assert {k: v[2] for k, v in incremental.items()} == {k: v[2] for k, v in full.items()}


def test_the_scheduler_starts_the_nightly_classification_job(book):
    call_command("scheduler", "--once", stdout=StringIO())
    job = Job.objects.get(kind="customers.classify_all")

    jobs.run(str(job.pk))

    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.message
    assert job.result["accounts"] == 8 and job.result["rows_changed"] == 8
    assert AccountClassification.objects.get(account=book["a"]).value_tier == "key"


def test_badges_explain_themselves_on_the_account_page(client, carol):
    today = timezone.localdate()
    top = account_create(actor=carol, data={"name": "华东重工有限公司"})
    small = account_create(actor=carol, data={"name": "小本生意商行"})
    order(top, today - timedelta(days=20), "9000")
    order(small, today - timedelta(days=200), "1000")
    recompute_all()
    carol.language = "en"
    carol.save(update_fields=["language"])
    client.force_login(carol)

    html = client.get(f"/accounts/{small.pk}/").content.decode()

    assert "Ranked 2 of 2 by gross profit in the last 12 months" in html
    assert "the accounts ranked above it produce 90.0 % of the total" in html
    assert "→ General customer" in html
    assert "within the last 12 months → New customer" in html
    assert "more than 3 months ago, and nothing open → Traded in the past" in html


def test_account_lists_filter_by_the_computed_classes(client, carol):
    today = timezone.localdate()
    top = account_create(actor=carol, data={"name": "华东重工有限公司"})
    account_create(actor=carol, data={"name": "还没下单的公司"})
    order(top, today - timedelta(days=20), "9000")
    recompute_all()
    client.force_login(carol)

    def names(url):
        return [a["name"] for a in client.get(url).json()["items"]]

    assert names("/api/v1/accounts/?value_tier=key") == ["华东重工有限公司"]
    assert names("/api/v1/accounts/?time_class=future") == ["还没下单的公司"]
    assert names("/api/v1/accounts/?process_class=current&value_tier=key") == ["华东重工有限公司"]
    with translation.override("en"):
        assert client.get("/api/v1/accounts/?value_tier=platinum").status_code == 400
