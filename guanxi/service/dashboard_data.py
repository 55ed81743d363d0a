"""Service dashboard data (issue 6 item 10; DOMAIN §4 留档分析 "keep on file and analyse").

Every figure is an aggregate query over the complaints the actor may see (``visible_to``), opened in
the period (default: the last 12 months), so the number of queries is the same whatever the data:

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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from guanxi.service import analysis
from guanxi.service.models import Complaint
from guanxi.service.satisfaction import GapSummary, KeyExperience
from guanxi.users.visibility import visible_to

CHURN_TOP = 20
PERCENT = Decimal("0.01")


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


def _pct(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def _hours(value: Any) -> Decimal | None:
    if value is None:
        return None
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else float(value) / 1_000_000
    return (Decimal(str(seconds)) / 3600).quantize(PERCENT, rounding=ROUND_HALF_UP)


def complaints(actor: Any, start: date, end: date) -> QuerySet[Complaint]:
    lo, hi = analysis._bounds(actor, analysis.AnalysisFilter(start=start, end=end))
    return visible_to(actor, Complaint.objects.filter(opened_at__gte=lo, opened_at__lt=hi))


def _types(qs: QuerySet[Complaint]) -> list[Bucket]:
    from django.utils.translation import get_language

    zh = (get_language() or "").startswith("zh")
    rows = (qs.values("complaint_type_id", "complaint_type__name_zh", "complaint_type__name_en").annotate(n=Count("id"))
            .order_by("-n", "complaint_type_id"))
    return [Bucket(r["complaint_type_id"], r["complaint_type__name_zh"] if zh else r["complaint_type__name_en"], r["n"]) for r in rows]


def _channels(qs: QuerySet[Complaint]) -> list[Bucket]:
    from guanxi.service.models import Channel

    labels = dict(Channel.choices)
    rows = qs.values("channel").annotate(n=Count("id")).order_by("-n", "channel")
    return [Bucket(r["channel"], str(labels.get(r["channel"], r["channel"])), r["n"]) for r in rows]


def _departments(qs: QuerySet[Complaint]) -> list[Bucket]:
    rows = (qs.values("responsible_department_id", "responsible_department__name").annotate(n=Count("id"))
            .order_by("-n", "responsible_department_id"))
    return [Bucket(r["responsible_department_id"], r["responsible_department__name"] or "", r["n"]) for r in rows]


def _median_hours(qs: QuerySet[Complaint]) -> Decimal | None:
    """Median wall-clock resolution time: percentile_cont on PostgreSQL, the middle rows elsewhere
    (at most two small queries, whatever the data)."""
    resolved = qs.filter(resolved_at__isnull=False)
    duration = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())
    if connection.vendor == "postgresql":
        sql, params = resolved.annotate(d=duration).values("d").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM s.d)) FROM ({sql}) s", params)  # noqa: S608
            value = cursor.fetchone()[0]
        return None if value is None else (Decimal(str(value)) / 3600).quantize(PERCENT, rounding=ROUND_HALF_UP)
    n = resolved.count()
    if not n:
        return None
    middle = list(resolved.annotate(d=duration).order_by("d").values_list("d", flat=True)[(n - 1) // 2: n // 2 + 1])
    seconds = [m.total_seconds() if hasattr(m, "total_seconds") else float(m) / 1_000_000 for m in middle]
    return (Decimal(str(sum(seconds) / len(seconds))) / 3600).quantize(PERCENT, rounding=ROUND_HALF_UP)


def _churn(actor: Any, now: datetime) -> list[ChurnSignal]:
    rows = (visible_to(actor, Complaint.objects.filter(resolved_at__isnull=True, resolve_by__lt=now, account__isnull=False))
            .values("account_id", "account__name").annotate(n=Count("id")).order_by("-n", "account_id")[:CHURN_TOP])
    return [ChurnSignal(r["account_id"], r["account__name"], r["n"]) for r in rows]


def service_dashboard(actor: Any, *, start: date | None = None, end: date | None = None,
                      now: datetime | None = None) -> ServiceDashboard:
    """All dashboard figures for the complaints opened from ``start`` to ``end`` (days in the actor's zone)."""
    now = now or timezone.now()
    if start is None or end is None:
        default = analysis.default_filter(actor)
        start, end = start or default.start, end or default.end
    qs = complaints(actor, start, end)
    duration = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())
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
        mean=Avg(duration, filter=Q(resolved_at__isnull=False)),
    )
    flt = analysis.AnalysisFilter(start=start, end=end)
    return ServiceDashboard(
        start=start, end=end, total=stats["total"],
        by_type=_types(qs), by_channel=_channels(qs), by_department=_departments(qs),
        response_compliance=_pct(stats["resp_ok"], stats["resp_decided"]),
        resolution_compliance=_pct(stats["res_ok"], stats["res_decided"]),
        resolved=stats["resolved"], mean_hours_to_resolve=_hours(stats["mean"]),
        median_hours_to_resolve=_median_hours(qs),
        reopen_rate=_pct(stats["reopened"], stats["once_resolved"]),
        gaps_by_dimension=analysis.gaps(actor, flt, by="dimension"),
        key_experience=analysis.key_experience(actor, flt),
        churn_signals=_churn(actor, now),
    )
