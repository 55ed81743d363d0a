"""Stores the computed classifications (``classification.py``) in the narrow AccountClassification table.

``recompute_all`` is set-based SQL that runs unchanged on PostgreSQL and SQLite: one statement
aggregates the orders per account and ranks the accounts with window functions into a temporary
table; an ``UPDATE … WHERE <some value IS DISTINCT FROM the new one>`` rewrites only the rows that
changed, and an ``INSERT`` adds the accounts classified for the first time. PERF-NOTES: rewriting every row costs ~2 s per million rows even
in a narrow table (and minutes in the wide accounts table), while a nightly run changes a few
percent of them.

``recompute_account`` is the incremental path, run when an order changes: the time and process
classes of one account are exact; its tier depends on everyone's profit, so it is placed against
the profit cut-offs of the last full run (ClassificationRun) and its rank is cleared until the
nightly full run ranks everyone again and fixes any drift.

Profit and revenue count the orders in the default currency (settings.DEFAULT_CURRENCY) only: there
are no exchange rates yet, and adding yen to yuan at face value would rank nonsense.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from guanxi.customers import classification as calc
from guanxi.customers.models import (
    OPEN_ORDER_STATUSES,
    Account,
    AccountClassification,
    ArchiveSettings,
    ClassificationRun,
    Order,
    OrderStatus,
    ValueTier,
)

# Orders that are real transactions: a draft is not yet one, a cancelled one is no longer one.
COUNTED_STATUSES = (OrderStatus.OPEN, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
CENT = Decimal("0.01")
TEMP_TABLE = "gx_classify_tmp"

# Other apps add open deals (e.g. open opportunities) that make an account "about to trade":
# SQL yielding (account_id, n) rows, and the same count for one account.
_OPEN_DEAL_SOURCES: list[tuple[str, Callable[[int], int]]] = []


def register_open_deals(sql: str, count_for_account: Callable[[int], int]) -> None:
    """``sql``: ``SELECT account_id, COUNT(*) AS n FROM … GROUP BY account_id`` of open deals."""
    _OPEN_DEAL_SOURCES.append((sql, count_for_account))


@dataclass(frozen=True)
class RecomputeResult:
    accounts: int
    ranked: int
    rows_changed: int
    seconds: float
    run: ClassificationRun


def _named(sql: str, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """``:name`` placeholders → ``%s`` with positional params (portable across both backends)."""
    params: list[Any] = []

    def repl(match: re.Match[str]) -> str:
        params.append(values[match.group(1)])
        return "%s"

    return re.sub(r"(?<![:\w]):([a-z_]+)\b", repl, sql), params


def _distinct_op() -> str:
    return "IS NOT" if connection.vendor == "sqlite" else "IS DISTINCT FROM"


def _in(values: tuple[str, ...]) -> str:
    # Constants from this module (enum values), never user input.
    return ", ".join(f"'{v}'" for v in values)


def _rank_sql() -> str:
    order = Order._meta.db_table
    account = Account._meta.db_table
    counted = _in(tuple(str(s) for s in COUNTED_STATUSES))
    open_ = _in(tuple(str(s) for s in OPEN_ORDER_STATUSES))
    cancelled = f"'{OrderStatus.CANCELLED.value}'"
    in_ttm = f"o.order_date > :ttm_start AND o.order_date <= :today AND o.status IN ({counted}) AND o.currency = :currency"
    deals_join, deals_n = "", "0"
    if _OPEN_DEAL_SOURCES:
        union = " UNION ALL ".join(f"SELECT account_id, n FROM ({sql}) s{i}" for i, (sql, _c) in enumerate(_OPEN_DEAL_SOURCES))  # noqa: S608
        deals_join = f" LEFT JOIN (SELECT account_id, SUM(n) AS n FROM ({union}) d GROUP BY account_id) deals ON deals.account_id = acc.id"  # noqa: S608
        deals_n = "COALESCE(deals.n, 0)"
    # Money in integer cents: exact on both databases (SQLite would add floats).
    return f"""
CREATE TEMP TABLE {TEMP_TABLE} AS
WITH per_account AS (
  SELECT o.account_id,
    SUM(CASE WHEN {in_ttm} THEN CAST(ROUND(o.gross_profit * 100) AS BIGINT) ELSE 0 END) AS profit_c,
    SUM(CASE WHEN {in_ttm} THEN CAST(ROUND(o.amount * 100) AS BIGINT) ELSE 0 END) AS revenue_c,
    MIN(CASE WHEN o.status IN ({counted}) THEN o.order_date END) AS first_d,
    MAX(CASE WHEN o.status IN ({counted}) AND o.order_date <= :today THEN o.order_date END) AS last_d,
    SUM(CASE WHEN o.status IN ({open_}) OR (o.status <> {cancelled} AND o.order_date > :today) THEN 1 ELSE 0 END) AS open_n
  FROM {order} o
  WHERE o.deleted_at IS NULL
  GROUP BY o.account_id
),
accounts AS (
  SELECT acc.id AS account_id, COALESCE(pa.profit_c, 0) AS profit_c, COALESCE(pa.revenue_c, 0) AS revenue_c,
    pa.first_d, pa.last_d, COALESCE(pa.open_n, 0) + {deals_n} AS open_n
  FROM {account} acc LEFT JOIN per_account pa ON pa.account_id = acc.id{deals_join}
  WHERE acc.deleted_at IS NULL
),
ranked AS (
  SELECT accounts.*,
    RANK() OVER by_profit AS rk,
    COUNT(*) OVER by_profit AS upto_n,
    SUM(CASE WHEN profit_c > 0 THEN profit_c ELSE 0 END) OVER by_profit AS upto_c,
    SUM(CASE WHEN profit_c > 0 THEN profit_c ELSE 0 END) OVER () AS total_c
  FROM accounts
  WINDOW by_profit AS (ORDER BY profit_c DESC)
),
placed AS (
  -- The default frame includes an account's ties (peers): subtract the whole tie group to get the
  -- profit of the accounts strictly above it, so equal profits share rank and tier.
  SELECT ranked.*, upto_c - profit_c * (upto_n - rk + 1) AS before_c FROM ranked
)
SELECT account_id, profit_c, total_c,
  profit_c / 100.0 AS ttm_profit, revenue_c / 100.0 AS ttm_revenue,
  first_d AS first_order_date, last_d AS last_order_date, open_n AS open_orders,
  CASE WHEN profit_c > 0 THEN rk END AS profit_rank,
  CASE WHEN profit_c > 0 AND total_c > 0 THEN ROUND(1.0 * before_c / total_c, 6) ELSE 0 END AS profit_share,
  CASE WHEN first_d IS NULL THEN 'future' WHEN first_d > :new_start THEN 'new' ELSE 'old' END AS time_class,
  CASE WHEN last_d IS NOT NULL AND last_d > :current_start THEN 'current'
       WHEN open_n > 0 THEN 'upcoming'
       WHEN last_d IS NOT NULL THEN 'past'
       ELSE 'none' END AS process_class,
  CASE WHEN profit_c <= 0 THEN 'scattered'
       WHEN before_c * 1000 < :key_pm * total_c THEN 'key'
       WHEN before_c * 1000 < :general_pm * total_c THEN 'general'
       ELSE 'scattered' END AS value_tier
FROM placed
"""  # noqa: S608 - table names from model meta and module constants; values are parameters


COLUMNS = (
    "time_class",
    "process_class",
    "value_tier",
    "ttm_profit",
    "ttm_revenue",
    "profit_share",
    "profit_rank",
    "first_order_date",
    "last_order_date",
    "open_orders",
)


def _update_sql() -> str:
    """Rewrite only the rows whose values changed. (An ``INSERT … ON CONFLICT DO UPDATE … WHERE``
    would do it in one statement, but PostgreSQL locks every conflicting row even when the WHERE
    is false: a run with nothing to change then still dirtied all 1M rows — 60 s in the benchmark.)
    ``computed_at < :started``: a row the incremental path rewrote during this run is newer than
    this run's snapshot of the orders; leave it (the next run sees its orders)."""
    table = AccountClassification._meta.db_table
    distinct = _distinct_op()
    changed = " OR ".join(f"{table}.{c} {distinct} t.{c}" for c in COLUMNS)
    updates = ", ".join(f"{c} = t.{c}" for c in COLUMNS)
    return f"""
UPDATE {table} SET {updates}, computed_at = :now
FROM {TEMP_TABLE} t
WHERE {table}.account_id = t.account_id AND {table}.computed_at < :started AND ({changed})
"""  # noqa: S608


def _insert_sql() -> str:
    """Accounts classified for the first time. DO NOTHING: the incremental path may have inserted
    the row meanwhile, and its values are newer."""
    table = AccountClassification._meta.db_table
    return f"""
INSERT INTO {table} (account_id, {", ".join(COLUMNS)}, computed_at)
SELECT t.account_id, {", ".join(f"t.{c}" for c in COLUMNS)}, :now
FROM {TEMP_TABLE} t
WHERE NOT EXISTS (SELECT 1 FROM {table} c WHERE c.account_id = t.account_id)
ON CONFLICT (account_id) DO NOTHING
"""  # noqa: S608


STATS_SQL = f"""
SELECT COUNT(*), COALESCE(SUM(CASE WHEN profit_c > 0 THEN 1 ELSE 0 END), 0), COALESCE(MAX(total_c), 0),
  MIN(CASE WHEN value_tier = 'key' AND profit_c > 0 THEN profit_c END),
  MIN(CASE WHEN value_tier IN ('key', 'general') AND profit_c > 0 THEN profit_c END)
FROM {TEMP_TABLE}
"""  # noqa: S608


def _cents(value: Any) -> Decimal | None:
    return None if value is None else (Decimal(int(value)) * CENT)


def recompute_all(today: date | None = None, *, progress: Callable[[float, str], None] | None = None) -> RecomputeResult:
    """Classify every live account from its orders; returns how many rows actually changed."""
    today = today or timezone.localdate()
    archive = ArchiveSettings.current()
    calc.check_shares(archive.key_share, archive.general_share)
    started = timezone.now()
    t0 = time.perf_counter()
    values = {
        "today": today.isoformat(),
        "ttm_start": calc.ttm_start(today).isoformat(),
        "new_start": calc.add_months(today, -archive.new_customer_months).isoformat(),
        "current_start": calc.add_months(today, -archive.past_trade_months).isoformat(),
        "currency": settings.DEFAULT_CURRENCY,
        "key_pm": int(archive.key_share * 1000),
        "general_pm": int(archive.general_share * 1000),
        "now": connection.ops.adapt_datetimefield_value(started),
        "started": connection.ops.adapt_datetimefield_value(started),
    }
    report = progress or (lambda pct, msg: None)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLE}")
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # One full run at a time; enough memory to aggregate 10M orders without spilling.
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtext('guanxi.customers.recompute_all'))")
                    cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute(*_named(_rank_sql(), values))
            report(50, "ranked")
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    cursor.execute(f"ANALYZE {TEMP_TABLE}")  # autovacuum never analyses temporary tables
                cursor.execute(*_named(_update_sql(), values))
                changed = max(cursor.rowcount, 0)
                cursor.execute(*_named(_insert_sql(), values))
                changed += max(cursor.rowcount, 0)
                cursor.execute(STATS_SQL)
                accounts, ranked, total_c, key_min_c, general_min_c = cursor.fetchone()
                run = ClassificationRun.objects.create(
                    as_of=today,
                    started_at=started,
                    accounts=accounts,
                    ranked=ranked,
                    total_profit=_cents(total_c) or 0,
                    key_share=archive.key_share,
                    general_share=archive.general_share,
                    new_customer_months=archive.new_customer_months,
                    past_trade_months=archive.past_trade_months,
                    key_min_profit=_cents(key_min_c),
                    general_min_profit=_cents(general_min_c),
                    rows_changed=changed,
                    seconds=time.perf_counter() - t0,
                )
            report(95, "stored")
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {TEMP_TABLE}")
        if connection.vendor == "postgresql" and changed > max(10_000, accounts // 10):
            # A big change of tiers (a first run, a new cut-off) leaves the planner believing the old
            # distribution until autovacuum gets there: a list filtered by tier then joined from the
            # wrong side (measured at 1M accounts: 0.5 s instead of 10 ms). Refresh it now.
            cursor.execute(f"ANALYZE {AccountClassification._meta.db_table}")
    seconds = time.perf_counter() - t0
    ClassificationRun.objects.filter(pk=run.pk).update(seconds=seconds)
    return RecomputeResult(accounts=accounts, ranked=ranked, rows_changed=changed, seconds=seconds, run=run)


def latest_run() -> ClassificationRun | None:
    return ClassificationRun.objects.order_by("-started_at", "-id").first()


def _account_facts(account_id: int, today: date) -> dict[str, Any]:
    in_ttm = Q(order_date__gt=calc.ttm_start(today), order_date__lte=today, status__in=COUNTED_STATUSES, currency=settings.DEFAULT_CURRENCY)
    counted = Q(status__in=COUNTED_STATUSES)
    facts = Order.objects.filter(account_id=account_id).aggregate(
        profit=Sum("gross_profit", filter=in_ttm),
        revenue=Sum("amount", filter=in_ttm),
        first=Min("order_date", filter=counted),
        last=Max("order_date", filter=counted & Q(order_date__lte=today)),
        open=Count("id", filter=Q(status__in=OPEN_ORDER_STATUSES) | (~Q(status=OrderStatus.CANCELLED) & Q(order_date__gt=today))),
    )
    facts["open"] += sum(count(account_id) for _sql, count in _OPEN_DEAL_SOURCES)
    # SQLite sums decimals as floats: round to cents like the SQL path does.
    facts["profit"] = Decimal(str(facts["profit"] or 0)).quantize(CENT)
    facts["revenue"] = Decimal(str(facts["revenue"] or 0)).quantize(CENT)
    return facts


def recompute_account(account_id: int, today: date | None = None) -> AccountClassification | None:
    """Reclassify one account after its orders changed (see the module docstring)."""
    today = today or timezone.localdate()
    run = latest_run()
    if run is None or run.ranked == 0:
        # No cut-offs to place it against (a new installation): rank everyone once.
        recompute_all(today)
        return AccountClassification.objects.filter(account_id=account_id).first()
    if not Account.objects.filter(pk=account_id).exists():
        return None
    archive = ArchiveSettings.current()
    facts = _account_facts(account_id, today)
    new = {
        "time_class": calc.time_class(facts["first"], today, archive.new_customer_months),
        "process_class": calc.process_class(facts["last"], facts["open"] > 0, today, archive.past_trade_months),
        "value_tier": calc.tier_from_cutoffs(facts["profit"], run.key_min_profit, run.general_min_profit),
        "ttm_profit": facts["profit"],
        "ttm_revenue": facts["revenue"],
        "first_order_date": facts["first"],
        "last_order_date": facts["last"],
        "open_orders": facts["open"],
    }
    with transaction.atomic():
        current, created = AccountClassification.objects.select_for_update().get_or_create(account_id=account_id, defaults=new)
        if created:
            return current
        if current.ttm_profit != new["ttm_profit"] or current.value_tier != new["value_tier"]:
            # The rank of the last full run no longer describes this profit; the tooltip then
            # explains the tier by the cut-offs instead.
            new.update(profit_rank=None, profit_share=Decimal(0))
        changed = {k: v for k, v in new.items() if getattr(current, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(current, k, v)
            current.computed_at = timezone.now()
            current.save(update_fields=[*changed, "computed_at"])
    return current


def explanations(classification: AccountClassification | None, run: ClassificationRun | None) -> dict[str, str]:
    """Tooltip texts for the three badges of one account."""
    if classification is None:
        return {}
    archive = run or ArchiveSettings.current()
    key_share = archive.key_share
    general_share = archive.general_share
    return {
        "time_class": calc.explain_time_class(classification.time_class, classification.first_order_date, archive.new_customer_months),
        "process_class": calc.explain_process_class(
            classification.process_class, classification.last_order_date, classification.open_orders, archive.past_trade_months
        ),
        "value_tier": calc.explain_value_tier(
            tier=classification.value_tier or ValueTier.SCATTERED,
            profit=classification.ttm_profit,
            currency=settings.DEFAULT_CURRENCY,
            rank=classification.profit_rank,
            ranked=run.ranked if run else 0,
            share_before=classification.profit_share,
            key_share=key_share,
            general_share=general_share,
            key_min_profit=run.key_min_profit if run else None,
            general_min_profit=run.general_min_profit if run else None,
            as_of=run.as_of if run else None,
        ),
    }
