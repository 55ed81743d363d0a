"""Service dashboard data (issue 6 item 10; DOMAIN §4 留档分析 "keep on file and analyse").

Every figure is an aggregate over the complaints the actor may see (``visible_to``), opened in the
period (default: the last 12 months), so the number of queries is the same whatever the data:

* complaints by type, by channel and by responsible department;
* SLA compliance: of the complaints whose target is decided (met, or passed without it), the share
  responded to by ``respond_by`` and resolved by ``resolve_by``;
* time to resolve, mean and median, in WALL-CLOCK hours from opening to resolution: business hours
  per row would need each complaint's calendar in Python, too slow for a million rows; the SLA
  compliance above is the business-hours measure;
* reopen rate: complaints reopened at least once among those resolved at least once;
* satisfaction gaps per dimension and the key experience ranking (``analysis``);
* churn-relevant signals (10 % of lost customers leave after an unresolved complaint, DOMAIN §4):
  accounts with complaints still unresolved past their resolution target, now, whatever the period.

Two paths give the same figures (``tests/test_rollups.py`` compares them): someone who sees every
complaint reads the rollups (``rollups``: per day and month, a few thousand rows for a year of a
million complaints) plus the open complaints, whose "missed its target" depends on the clock; anyone
else reads their (small) share of the raw rows. The median is exact on both: the rollups' hour
histogram says which hour holds the middle complaint, and an index on the resolution time finds it
within that hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language

from guanxi.customers.models import Account
from guanxi.service import analysis, rollups
from guanxi.service.models import Channel, Complaint, ComplaintResolveHistogram, ComplaintRollup, ComplaintType
from guanxi.service.satisfaction import GapSummary, KeyExperience
from guanxi.users.models import Department
from guanxi.users.visibility import visible_to

CHURN_TOP = 20
PERCENT = Decimal("0.01")
US_PER_HOUR = Decimal(3_600_000_000)
DURATION = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())


@dataclass(frozen=True)
class Bucket:
    key: Any
    label: str
    count: int


@dataclass(frozen=True)
class ChurnSignal:
    account_id: int
    account_name: str
    overdue_complaints: int


@dataclass(frozen=True)
class ServiceDashboard:
    start: date
    end: date
    total: int
    by_type: list[Bucket]
    by_channel: list[Bucket]
    by_department: list[Bucket]
    response_compliance: Decimal | None  # % of decided complaints responded to in time
    resolution_compliance: Decimal | None  # % of decided complaints resolved in time
    resolved: int
    mean_hours_to_resolve: Decimal | None  # wall-clock hours
    median_hours_to_resolve: Decimal | None  # wall-clock hours
    reopen_rate: Decimal | None  # % of complaints resolved at least once that were reopened
    gaps_by_dimension: dict[Any, GapSummary]
    key_experience: list[KeyExperience]
    churn_signals: list[ChurnSignal]


@dataclass
class _Figures:
    """The complaint figures of a period, however they were read."""

    total: int = 0
    by_type: list[Bucket] | None = None
    by_channel: list[Bucket] | None = None
    by_department: list[Bucket] | None = None
    resp_decided: int = 0
    resp_ok: int = 0
    res_decided: int = 0
    res_ok: int = 0
    resolved: int = 0
    once_resolved: int = 0
    reopened: int = 0
    resolve_us: int = 0
    middle_us: list[int] | None = None  # the one or two middle resolution times


def _pct(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def _hours(total_us: int, n: int) -> Decimal | None:
    """Mean of ``n`` durations summing to ``total_us`` microseconds, in hours (exact, then rounded)."""
    if not n:
        return None
    return (Decimal(total_us) / Decimal(n) / US_PER_HOUR).quantize(PERCENT, rounding=ROUND_HALF_UP)


def _us(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return value // rollups.ONE_US
    return int(value)  # SQLite without a converter: microseconds already


def complaints(actor: Any, start: date, end: date) -> QuerySet[Complaint]:
    lo, hi = analysis._bounds(actor, analysis.AnalysisFilter(start=start, end=end))
    return visible_to(actor, Complaint.objects.filter(opened_at__gte=lo, opened_at__lt=hi))


def sees_every_complaint(actor: Any) -> bool:
    return not visible_to(actor, Complaint._base_manager.all()).query.has_filters()


def _buckets(counts: dict[Any, int], labels: dict[Any, str]) -> list[Bucket]:
    """Largest first; ties by key, "none" last (the same order on every database)."""
    order = sorted(counts, key=lambda k: (-counts[k], k is None, k if k is not None else 0))
    return [Bucket(k, labels.get(k, ""), counts[k]) for k in order if counts[k]]


def _middle(resolved: QuerySet[Complaint], offset: int, count: int, *, at_least_us: int | None = None) -> list[int]:
    qs = resolved.annotate(d=DURATION)
    if at_least_us is not None:
        qs = qs.filter(d__gte=timedelta(microseconds=at_least_us))
    return [_us(v) for v in qs.order_by("d").values_list("d", flat=True)[offset: offset + count]]


# --- the raw rows (restricted scopes, or rollups not available) ------------------------------------

def _raw_figures(qs: QuerySet[Complaint], now: datetime) -> _Figures:
    resp_decided = Q(respond_by__isnull=False) & (Q(responded_at__isnull=False) | Q(respond_by__lt=now))
    resp_ok = Q(respond_by__isnull=False, responded_at__isnull=False, responded_at__lte=F("respond_by"))
    res_decided = Q(resolve_by__isnull=False) & (Q(resolved_at__isnull=False) | Q(resolve_by__lt=now))
    res_ok = Q(resolve_by__isnull=False, resolved_at__isnull=False, resolved_at__lte=F("resolve_by"))
    once_resolved = Q(resolved_at__isnull=False) | Q(reopen_count__gt=0)
    stats = qs.aggregate(
        total=Count("id"), resp_decided=Count("id", filter=resp_decided), resp_ok=Count("id", filter=resp_ok),
        res_decided=Count("id", filter=res_decided), res_ok=Count("id", filter=res_ok),
        resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        once_resolved=Count("id", filter=once_resolved), reopened=Count("id", filter=Q(reopen_count__gt=0)),
        time=Sum(DURATION, filter=Q(resolved_at__isnull=False)),
    )
    zh = (get_language() or "").startswith("zh")
    types = {r["complaint_type_id"]: r for r in qs.values("complaint_type_id", "complaint_type__name_zh", "complaint_type__name_en")
             .annotate(n=Count("id")).order_by()}
    channels = dict(qs.values_list("channel").annotate(n=Count("id")).order_by())
    departments = {r["responsible_department_id"]: r for r in qs.values("responsible_department_id", "responsible_department__name")
                   .annotate(n=Count("id")).order_by()}
    n = stats["resolved"]
    middle = _middle(qs.filter(resolved_at__isnull=False), (n - 1) // 2, 2 - n % 2) if n else []
    return _Figures(
        total=stats["total"],
        by_type=_buckets({k: r["n"] for k, r in types.items()},
                         {k: r["complaint_type__name_zh"] if zh else r["complaint_type__name_en"] for k, r in types.items()}),
        by_channel=_buckets(channels, {k: str(v) for k, v in Channel.choices}),
        by_department=_buckets({k: r["n"] for k, r in departments.items()},
                               {k: r["responsible_department__name"] or "" for k, r in departments.items()}),
        resp_decided=stats["resp_decided"], resp_ok=stats["resp_ok"], res_decided=stats["res_decided"], res_ok=stats["res_ok"],
        resolved=n, once_resolved=stats["once_resolved"], reopened=stats["reopened"], resolve_us=_us(stats["time"]),
        middle_us=middle)


# --- the rollups (whoever sees every complaint) ------------------------------------------------------

def _rollup_figures(qs: QuerySet[Complaint], zone: Any, start: date, end: date, now: datetime) -> _Figures | None:
    q = connection.ops.quote_name
    rows = rollups.read(
        rollups.COMPLAINTS, zone, table=ComplaintRollup, start=start, end=end,
        select="r.complaint_type_id, t.name_zh, t.name_en, r.channel, d.id, d.name, "
               + ", ".join(f"SUM(r.{m})" for m in rollups.C_MEASURES),
        joins=f"LEFT JOIN {q(ComplaintType._meta.db_table)} t ON t.id = r.complaint_type_id "
              f"LEFT JOIN {q(Department._meta.db_table)} d ON d.id = r.department_id",
        group="r.complaint_type_id, t.name_zh, t.name_en, r.channel, d.id, d.name")
    if rows is None:
        return None
    zh = (get_language() or "").startswith("zh")
    f = _Figures()
    types: dict[Any, int] = {}
    type_names: dict[Any, str] = {}
    channels: dict[Any, int] = {}
    departments: dict[Any, int] = {}
    department_names: dict[Any, str] = {}
    for type_id, name_zh, name_en, channel, dept_id, dept_name, *sums in rows:
        if not sums[0]:
            continue
        n, resp_done, resp_ok, res_done, res_ok, resolved, once, reopened, us = (int(v or 0) for v in sums)
        f.total += n
        f.resp_decided, f.resp_ok, f.res_decided, f.res_ok = f.resp_decided + resp_done, f.resp_ok + resp_ok, \
            f.res_decided + res_done, f.res_ok + res_ok
        f.resolved, f.once_resolved, f.reopened, f.resolve_us = f.resolved + resolved, f.once_resolved + once, \
            f.reopened + reopened, f.resolve_us + us
        types[type_id] = types.get(type_id, 0) + n
        type_names[type_id] = (name_zh if zh else name_en) or ""
        channels[channel] = channels.get(channel, 0) + n
        departments[dept_id] = departments.get(dept_id, 0) + n
        department_names[dept_id] = dept_name or ""
    f.by_type, f.by_department = _buckets(types, type_names), _buckets(departments, department_names)
    f.by_channel = _buckets(channels, {k: str(v) for k, v in Channel.choices})
    # Unanswered (unresolved) complaints count as decided once their target has passed: the clock's
    # part, read from the partial indexes of unanswered and unresolved complaints by deadline.
    f.resp_decided += qs.filter(responded_at__isnull=True, respond_by__isnull=False, respond_by__lt=now).count()
    f.res_decided += qs.filter(resolved_at__isnull=True, resolve_by__isnull=False, resolve_by__lt=now).count()
    f.middle_us = _rollup_middle(qs, zone, start, end, f.resolved)
    return f


def _rollup_middle(qs: QuerySet[Complaint], zone: Any, start: date, end: date, n: int) -> list[int]:
    """The one or two middle resolution times: the histogram locates the first one's hour, an index
    range scan from that hour reads them (thousands of index entries, not the year's million)."""
    if not n:
        return []
    resolved = qs.filter(resolved_at__isnull=False)
    first, count = (n - 1) // 2, 2 - n % 2
    hist = rollups.read(rollups.COMPLAINTS, zone, table=ComplaintResolveHistogram, start=start, end=end,
                        select="r.bucket, SUM(r.n)", group="r.bucket")
    buckets = sorted((int(b), int(c)) for b, c in hist or [] if b is not None and c)
    if sum(c for _, c in buckets) != n:  # not built (or rebuilding): the whole ordered list
        return _middle(resolved, first, count)
    below = 0
    for bucket, c in buckets:
        if below + c > first:
            return _middle(resolved, first - below, count, at_least_us=rollups.bucket_start_us(bucket))
        below += c
    return _middle(resolved, first, count)


# --- churn signals and the dashboard -----------------------------------------------------------------

def _churn(actor: Any, now: datetime) -> list[ChurnSignal]:
    """Top accounts by complaints past their resolution target, in one query: grouped and cut to the
    top first, then joined to the accounts' names (not the other way round)."""
    top = (visible_to(actor, Complaint.objects.filter(resolved_at__isnull=True, resolve_by__lt=now, account__isnull=False))
           .values("account_id").annotate(n=Count("*")).order_by("-n", "account_id")[:CHURN_TOP])
    sql, params = top.query.sql_with_params()
    account = connection.ops.quote_name(Account._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT x.account_id, a.name, x.n FROM ({sql}) x JOIN {account} a ON a.id = x.account_id "  # noqa: S608
                       "ORDER BY x.n DESC, x.account_id", params)
        return [ChurnSignal(account_id, name, n) for account_id, name, n in cursor.fetchall()]


def service_dashboard(actor: Any, *, start: date | None = None, end: date | None = None,
                      now: datetime | None = None) -> ServiceDashboard:
    """All dashboard figures for the complaints opened from ``start`` to ``end`` (days in the actor's zone)."""
    now = now or timezone.now()
    if start is None or end is None:
        default = analysis.default_filter(actor)
        start, end = start or default.start, end or default.end
    qs = complaints(actor, start, end)
    f = _rollup_figures(qs, analysis.zone_of(actor), start, end, now) if sees_every_complaint(actor) else None
    f = f or _raw_figures(qs, now)
    flt = analysis.AnalysisFilter(start=start, end=end)
    middle = f.middle_us or []
    return ServiceDashboard(
        start=start, end=end, total=f.total,
        by_type=f.by_type or [], by_channel=f.by_channel or [], by_department=f.by_department or [],
        response_compliance=_pct(f.resp_ok, f.resp_decided),
        resolution_compliance=_pct(f.res_ok, f.res_decided),
        resolved=f.resolved, mean_hours_to_resolve=_hours(f.resolve_us, f.resolved),
        median_hours_to_resolve=_hours(sum(middle), len(middle)),
        reopen_rate=_pct(f.reopened, f.once_resolved),
        gaps_by_dimension=analysis.gaps(actor, flt, by="dimension"),
        key_experience=analysis.key_experience(actor, flt),
        churn_signals=_churn(actor, now),
    )
