"""The nightly full rebuild of the service rollups (``rollups``), month by month, and its job.

Each month is recomputed in its own short transaction that first locks the family's rollup tables
(PostgreSQL ``EXCLUSIVE``: readers go on, writers wait), so a concurrent writer's difference lands
either before the month is recomputed (and is recomputed with it) or after (and applies to it).
PostgreSQL sums complaints in SQL with the arithmetic of ``rollups.complaint_part`` (which other
databases run row by row); answers are summed in SQL everywhere. The job saves a checkpoint with
each month, so a worker that dies resumes where it stopped.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.dataio.jobs import JobContext, job_handler
from guanxi.service.models import Complaint, SurveyAnswer, SurveyResponse
from guanxi.service.rollup_models import AnswerRollup, ComplaintResolveHistogram, ComplaintRollup, ResponseRollup, RollupState
from guanxi.service.rollups import (
    A_KEYS,
    A_MEASURES,
    ANSWERS,
    C_KEYS,
    C_MEASURES,
    COMPLAINTS,
    FIELDS,
    H_KEYS,
    H_MEASURES,
    R_KEYS,
    R_MEASURES,
    Rows,
    _add,
    complaint_part,
    month_start,
    rollup_zone,
)

REBUILD_JOB = "service.rollups_rebuild"


FAMILY_TABLES: dict[str, tuple[type[models.Model], ...]] = {
    COMPLAINTS: (ComplaintRollup, ComplaintResolveHistogram),
    ANSWERS: (AnswerRollup, ResponseRollup),
}


def _lock(family: str) -> None:
    """Hold writers of the family's rollups until this transaction ends (readers go on)."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in FAMILY_TABLES[family])
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")


def _bounds(month: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    return datetime.combine(month, time.min, zone), datetime.combine(month_start(month, 1), time.min, zone)


def _months(family: str, zone: zoneinfo.ZoneInfo) -> list[date]:
    if family == COMPLAINTS:
        span = Complaint.objects.aggregate(lo=Min("opened_at"), hi=Max("opened_at"))
    else:
        span = SurveyResponse.objects.aggregate(lo=Min("answered_at"), hi=Max("answered_at"))
    if span["lo"] is None:
        return []
    first, last = span["lo"].astimezone(zone).date().replace(day=1), span["hi"].astimezone(zone).date().replace(day=1)
    months = [first]
    while months[-1] < last:
        months.append(month_start(months[-1], 1))
    return months


def _write(model: type[models.Model], keys: Sequence[str], measures: Sequence[str], days: Rows) -> None:
    """Insert the day rows ``(day, *key) → measures`` and the month rows summed from them: COPY on
    PostgreSQL, executemany elsewhere (tens of thousands of rows a month at a million complaints a year)."""
    rows: Rows = {}
    for day_key, values in days.items():
        if any(values):
            _add(rows, day_key[0], tuple(day_key[1:]), values)
    cols = [str(model._meta.get_field(c).column) for c in (*keys, *measures)]  # type: ignore[union-attr]
    if connection.vendor == "postgresql":
        names = ", ".join(connection.ops.quote_name(c) for c in cols)
        with connection.cursor() as cursor, cursor.cursor.copy(  # type: ignore[attr-defined]
                f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy:
            for key, values in rows.items():
                copy.write_row((*key, *values))
        return
    marks = ", ".join(["%s"] * len(cols))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(cols)}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(grain, connection.ops.adapt_datefield_value(period), *rest, *values)
                                 for (grain, period, *rest), values in rows.items()])


_PG_COMPLAINT_DAYS = """
SELECT (opened_at AT TIME ZONE %(zone)s)::date, complaint_type_id, channel, COALESCE(responsible_department_id, 0), COUNT(*),
       COUNT(*) FILTER (WHERE respond_by IS NOT NULL AND responded_at IS NOT NULL),
       COUNT(*) FILTER (WHERE respond_by IS NOT NULL AND responded_at IS NOT NULL AND responded_at <= respond_by),
       COUNT(*) FILTER (WHERE resolve_by IS NOT NULL AND resolved_at IS NOT NULL),
       COUNT(*) FILTER (WHERE resolve_by IS NOT NULL AND resolved_at IS NOT NULL AND resolved_at <= resolve_by),
       COUNT(resolved_at), COUNT(*) FILTER (WHERE resolved_at IS NOT NULL OR reopen_count > 0),
       COUNT(*) FILTER (WHERE reopen_count > 0),
       COALESCE(SUM((EXTRACT(EPOCH FROM resolved_at - opened_at) * 1000000)::bigint), 0)
FROM service_complaint WHERE deleted_at IS NULL AND opened_at >= %(lo)s AND opened_at < %(hi)s GROUP BY 1, 2, 3, 4
"""
_PG_HISTOGRAM_DAYS = """
SELECT day, CASE WHEN hours < 168 THEN hours ELSE 168 + (hours - 168) / 24 END, COUNT(*) FROM (
  SELECT (opened_at AT TIME ZONE %(zone)s)::date AS day, FLOOR(EXTRACT(EPOCH FROM resolved_at - opened_at) / 3600)::int AS hours
  FROM service_complaint WHERE deleted_at IS NULL AND resolved_at IS NOT NULL AND opened_at >= %(lo)s AND opened_at < %(hi)s
) t GROUP BY 1, 2
"""


def _rebuild_complaint_month(month: date, zone: zoneinfo.ZoneInfo) -> int:
    """PostgreSQL sums a month in two GROUP BYs (the same arithmetic as :func:`complaint_part`, which
    ``tests/test_rollups.py`` checks on PostgreSQL); elsewhere the rows go through ``complaint_part``."""
    lo, hi = _bounds(month, zone)
    days: dict[tuple[Any, ...], list[int]] = {}
    hist: dict[tuple[Any, ...], list[int]] = {}
    if connection.vendor == "postgresql":
        params: dict[str, Any] = {"zone": zone.key, "lo": lo, "hi": hi}
        with connection.cursor() as cursor:
            cursor.execute(_PG_COMPLAINT_DAYS, params)
            days = {tuple(row[:4]): [int(v) for v in row[4:]] for row in cursor.fetchall()}
            cursor.execute(_PG_HISTOGRAM_DAYS, params)
            hist = {tuple(row[:2]): [int(row[2])] for row in cursor.fetchall()}
    else:
        for values in Complaint.objects.filter(opened_at__gte=lo, opened_at__lt=hi).values_list(*FIELDS).iterator(chunk_size=20_000):
            part = complaint_part(values, zone)
            if part is None:
                continue
            acc = days.get((part.day, *part.key))
            if acc is None:
                days[(part.day, *part.key)] = list(part.measures)
            else:
                for i, v in enumerate(part.measures):
                    acc[i] += v
            if part.bucket is not None:
                hist.setdefault((part.day, part.bucket), [0])[0] += 1
    _write(ComplaintRollup, C_KEYS, C_MEASURES, days)
    _write(ComplaintResolveHistogram, H_KEYS, H_MEASURES, hist)
    return sum(v[0] for v in days.values())


def _sum(field: str, condition: Q | None = None) -> Sum:
    return Sum(field, filter=condition, output_field=models.DecimalField(max_digits=20, decimal_places=1))


def _rebuild_answer_month(month: date, zone: zoneinfo.ZoneInfo) -> int:
    """In SQL: a month holds up to millions of answers."""
    lo, hi = _bounds(month, zone)
    both = Q(experience__isnull=False, expectation__isnull=False)
    short = Q(both, expectation__gt=models.F("experience"))
    answers: Any = (SurveyAnswer.objects.filter(response__answered_at__gte=lo, response__answered_at__lt=hi)
               .annotate(day=TruncDate("response__answered_at", tzinfo=zone))
               .values("day", "item_id", "response__segment")
               .annotate(total=Count("id"), n=Count("id", filter=both), s_exp=_sum("experience", both),
                         s_expect=_sum("expectation", both),
                         s_short=Sum(models.F("expectation") - models.F("experience"), filter=short,
                                     output_field=models.DecimalField(max_digits=20, decimal_places=1)),
                         n_importance=Count("importance"), s_importance=_sum("importance"),
                         n_adequate=Count("adequate"), s_adequate=_sum("adequate"), n_desired=Count("desired"),
                         s_desired=_sum("desired"), n_experience=Count("experience"), s_experience=_sum("experience"))
               .order_by())
    days: Rows = {}
    count = 0
    for r in answers:
        count += r["total"]
        values = [r[m] if r[m] is not None else 0 for m in A_MEASURES]
        values = [Decimal(v).quantize(Decimal("0.1")) if m.startswith("s_") else v for m, v in zip(A_MEASURES, values, strict=True)]
        acc = days.setdefault((r["day"], r["item_id"], r["response__segment"] or ""), [0] * len(A_MEASURES))
        for i, v in enumerate(values):
            acc[i] += v
    _write(AnswerRollup, A_KEYS, A_MEASURES, days)
    responses: Any = (SurveyResponse.objects.filter(answered_at__gte=lo, answered_at__lt=hi)
                 .annotate(day=TruncDate("answered_at", tzinfo=zone)).values("day", "survey_id", "segment")
                 .annotate(responses=Count("id"), csat_n=Count("csat"), csat_ok=Count("id", filter=Q(csat__gte=4)),
                           nps_n=Count("nps"), promoters=Count("id", filter=Q(nps__gte=9)),
                           detractors=Count("id", filter=Q(nps__lte=6)))
                 .order_by())
    r_days: Rows = {}
    for row in responses:
        acc = r_days.setdefault((row["day"], row["survey_id"], row["segment"] or ""), [0] * len(R_MEASURES))
        for i, m in enumerate(R_MEASURES):
            acc[i] += row[m]
    _write(ResponseRollup, R_KEYS, R_MEASURES, r_days)
    return count


def _clear(family: str, month: date | None = None, *, outside: tuple[date, date] | None = None) -> None:
    for model in FAMILY_TABLES[family]:
        qs = model._default_manager.all()
        if month is not None:
            qs = qs.filter(period__gte=month, period__lt=month_start(month, 1))
        elif outside is not None:
            qs = qs.filter(Q(period__lt=outside[0]) | Q(period__gte=outside[1]))
        qs.delete()


def rebuild(families: Sequence[str] = (COMPLAINTS, ANSWERS), *, resume: tuple[str, str] | None = None,
            step: Callable[[str, date, int, int], None] | None = None) -> dict[str, int]:
    """Recompute the families' rollups from the raw rows, month by month, each month in its own
    transaction (``step(family, month, index, months)`` is called inside it, e.g. to save a job
    checkpoint). ``resume=(family, "YYYY-MM-01")`` skips what was done before that month."""
    zone = rollup_zone()
    counted: dict[str, int] = {}
    for family in families:
        if resume and families.index(family) < families.index(resume[0]):
            continue
        state = RollupState.objects.filter(name=family).first()
        if state is not None and state.zone != settings.TIME_ZONE:
            state.delete()  # built in another zone: readers take the raw path until this run ends
        months = _months(family, zone)
        with transaction.atomic():
            _lock(family)
            if months:
                _clear(family, outside=(months[0], month_start(months[-1], 1)))
            else:
                _clear(family)
        counted[family] = 0
        for index, month in enumerate(months):
            if resume and family == resume[0] and month.isoformat() <= resume[1]:
                continue
            with transaction.atomic():
                _lock(family)
                _clear(family, month)
                counted[family] += (_rebuild_complaint_month if family == COMPLAINTS else _rebuild_answer_month)(month, zone)
                if step is not None:
                    step(family, month, index, len(months))
        RollupState.objects.update_or_create(name=family, defaults={"zone": settings.TIME_ZONE, "built_at": timezone.now()})
    return counted


@job_handler(REBUILD_JOB, every=timedelta(days=1))
def rollups_rebuild_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    """Nightly: rebuild every rollup from the raw rows (resumable month by month)."""
    families = (COMPLAINTS, ANSWERS)
    resume = tuple(ctx.checkpoint) if ctx.checkpoint else None

    labels = {COMPLAINTS: _("Complaint rollups rebuilt up to %(month)s."), ANSWERS: _("Survey answer rollups rebuilt up to %(month)s.")}

    def step(family: str, month: date, index: int, months: int) -> None:
        share = (families.index(family) + (index + 1) / max(1, months)) / len(families)
        ctx.save_checkpoint([family, month.isoformat()], percent=100 * share, message=labels[family] % {"month": f"{month:%Y-%m}"})

    counted = {COMPLAINTS: 0, ANSWERS: 0, **rebuild(families, resume=resume, step=step)}  # type: ignore[arg-type]
    return {**counted, "message": _("Rollups rebuilt: %(complaints)d complaints, %(answers)d survey answers.") % counted}
