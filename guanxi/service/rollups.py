"""Keeping the service rollups (``rollup_models``) equal to the raw rows, and reading them.

Design (issue 6 item 12; a production CRM's answer to "a year of a million complaints in 300 ms"):

* **What is stored.** Per local day and per local month: complaints by type × channel × responsible
  department with counts, SLA met/decided, resolved, reopened and the sum of resolution times; a
  histogram of resolution hours (to find the median); survey answers by item × segment with the
  sums and counts every analysis needs (experience, expectation, shortfall, importance, adequate,
  desired); survey responses by survey × segment with CSAT and NPS counts. Only what does not
  depend on the clock is stored: whether an unanswered complaint has missed its target is asked of
  the few open complaints at read time (``dashboard_data``).
* **Kept incrementally, in the writer's transaction.** A complaint is written by many paths — the
  complaint services, the approval callbacks, the public form, the SLA job, the generic trash
  (delete, restore, purge) — so its rollup rows follow the row itself: ``pre_save`` reads the row as
  stored (locked), ``post_save``/``post_delete`` add the difference between its new and old
  contribution with one upsert per table. A survey response and its answers are written in one
  place (``surveys.answer``) and never change; that service calls :func:`response_added`. Either
  way the rollup changes commit or roll back with the data.
* **Rebuilt in full every night** (job ``service.rollups_rebuild``) month by month, each month in
  its own short transaction that locks the rollup tables, so a concurrent writer's difference lands
  either before the month is recomputed (and is recomputed) or after (and applies to it). The bulk
  loaders (demo and benchmark data) write raw rows and then call ``rollup_rebuild.rebuild``.
* **Read** by ``dashboard_data`` and ``analysis`` when the reader may see every complaint (every
  account, for answers) and reads in the zone the rollups were built in; a reader with a narrower
  scope gets the raw path (shares make any per-owner rollup inexact, and their subset is small).
  Each read joins ``RollupState``, so a family that was never built (or was built in another zone)
  reads as "not available" in the same single query, and the caller falls back to the raw rows.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from guanxi.service.models import Complaint, SurveyAnswer, SurveyResponse
from guanxi.service.rollup_models import (
    DAY,
    MONTH,
    AnswerRollup,
    ComplaintResolveHistogram,
    ComplaintRollup,
    ResponseRollup,
    RollupState,
)

COMPLAINTS, ANSWERS = "complaints", "answers"
HOUR_US = 3_600_000_000
WEEK_HOURS = 168  # hour buckets up to a week, day buckets beyond (few complaints take that long)
ONE_US = timedelta(microseconds=1)

# The complaint fields a contribution depends on (attribute names) and the names ``update_fields`` may use.
FIELDS = ("opened_at", "complaint_type_id", "channel", "responsible_department_id", "respond_by", "responded_at",
          "resolve_by", "resolved_at", "reopen_count", "deleted_at")
_TOUCHING = frozenset({*FIELDS, "complaint_type", "responsible_department"})
C_KEYS = ("grain", "period", "complaint_type_id", "channel", "department_id")
C_MEASURES = ("n", "resp_done", "resp_ok", "res_done", "res_ok", "resolved", "once_resolved", "reopened", "resolve_us")
H_KEYS, H_MEASURES = ("grain", "period", "bucket"), ("n",)
A_KEYS = ("grain", "period", "item_id", "segment")
A_MEASURES = ("total", "n", "s_exp", "s_expect", "s_short", "n_importance", "s_importance", "n_adequate", "s_adequate",
              "n_desired", "s_desired", "n_experience", "s_experience")
R_KEYS = ("grain", "period", "survey_id", "segment")
R_MEASURES = ("responses", "csat_n", "csat_ok", "nps_n", "promoters", "detractors")
_SKIP = object()


def rollup_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _aware(value: Any, field: str) -> Any:
    """The value Django would store for a datetime field assigned as text (tests, fixtures)."""
    if value is None or (value.__class__ is datetime and value.tzinfo is not None):
        return value
    if isinstance(value, str):
        model_field = Complaint._meta.get_field(field)
        assert isinstance(model_field, models.Field)
        value = model_field.to_python(value)
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


# --- contributions (pure) ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ComplaintPart:
    """What one complaint adds to its day: key (day, type, channel, department or 0), measures, hour bucket."""

    day: date
    key: tuple[int, str, int]
    measures: tuple[int, ...]
    bucket: int | None


def complaint_part(values: Mapping[str, Any] | Sequence[Any], zone: zoneinfo.ZoneInfo) -> ComplaintPart | None:
    """The complaint's contribution to the rollups (``None`` when it is in the trash); ``values``
    by field name or in the order of ``FIELDS``."""
    if isinstance(values, Mapping):
        values = [values[f] for f in FIELDS]
    opened, type_id, channel, department_id, respond_by, responded, resolve_by, resolved, reopen_count, deleted = values
    if deleted is not None or opened is None:
        return None
    opened = _aware(opened, "opened_at")
    respond_by, responded = _aware(respond_by, "respond_by"), _aware(responded, "responded_at")
    resolve_by, resolved = _aware(resolve_by, "resolve_by"), _aware(resolved, "resolved_at")
    resp_done = respond_by is not None and responded is not None
    res_done = resolve_by is not None and resolved is not None
    reopened = (reopen_count or 0) > 0
    us = (resolved - opened) // ONE_US if resolved is not None else 0
    measures = (1, int(resp_done), int(resp_done and responded <= respond_by), int(res_done),
                int(res_done and resolved <= resolve_by), int(resolved is not None), int(resolved is not None or reopened),
                int(reopened), us)
    key = (int(type_id), str(channel), int(department_id or 0))
    return ComplaintPart(opened.astimezone(zone).date(), key, measures, hour_bucket(us) if resolved is not None else None)


def hour_bucket(us: int) -> int:
    """The histogram bucket of a resolution time: whole hours up to a week, whole days beyond."""
    hours = us // HOUR_US
    return hours if hours < WEEK_HOURS else WEEK_HOURS + (hours - WEEK_HOURS) // 24


def bucket_start_us(bucket: int) -> int:
    """The shortest resolution time in ``bucket`` (``hour_bucket`` is monotonic)."""
    return (bucket if bucket < WEEK_HOURS else WEEK_HOURS + (bucket - WEEK_HOURS) * 24) * HOUR_US


def _d(value: Any) -> Decimal:
    return Decimal(value)


def answer_measures(a: Any) -> tuple[Any, ...]:
    """One answer's measures (``A_MEASURES``); the same arithmetic as ``analysis``' SQL sums."""
    both = a.experience is not None and a.expectation is not None
    exp, expect = (_d(a.experience), _d(a.expectation)) if both else (Decimal(0), Decimal(0))
    return (1, int(both), exp, expect, max(Decimal(0), expect - exp),
            int(a.importance is not None), _d(a.importance or 0), int(a.adequate is not None), _d(a.adequate or 0),
            int(a.desired is not None), _d(a.desired or 0), int(a.experience is not None), _d(a.experience or 0))


def response_measures(r: Any) -> tuple[int, ...]:
    return (1, int(r.csat is not None), int(r.csat is not None and r.csat >= 4), int(r.nps is not None),
            int(r.nps is not None and r.nps >= 9), int(r.nps is not None and r.nps <= 6))


# --- writing differences -----------------------------------------------------------------------------

Rows = dict[tuple[Any, ...], list[Any]]


def _add(rows: Rows, day: date, key: tuple[Any, ...], measures: Sequence[Any], sign: int = 1) -> None:
    for grain, period in ((DAY, day), (MONTH, day.replace(day=1))):
        acc = rows.setdefault((grain, period, *key), [0] * len(measures))
        for i, value in enumerate(measures):
            acc[i] += sign * value


def _upsert(model: type[models.Model], keys: Sequence[str], measures: Sequence[str], rows: Rows) -> None:
    """Add ``rows`` (key → measure deltas) to ``model``'s table: one INSERT … ON CONFLICT DO UPDATE,
    keys in a fixed order so that concurrent writers lock rows in the same order."""
    rows = {k: v for k, v in rows.items() if any(v)}
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    cols = [*keys, *measures]
    marks = "(" + ", ".join(["%s"] * len(cols)) + ")"
    sets = ", ".join(f"{q(m)} = {table}.{q(m)} + excluded.{q(m)}" for m in measures)
    params: list[Any] = []
    for key in sorted(rows):
        grain, period, *rest = key
        params.extend([grain, connection.ops.adapt_datefield_value(period), *rest, *rows[key]])
    sql = (f"INSERT INTO {table} ({', '.join(q(c) for c in cols)}) VALUES {', '.join([marks] * len(rows))} "  # noqa: S608
           f"ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {sets}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def apply_complaint_change(old: ComplaintPart | None, new: ComplaintPart | None) -> None:
    """Move one complaint's contribution from ``old`` to ``new`` (either may be None)."""
    if old == new:
        return
    rows: Rows = {}
    hist: Rows = {}
    for part, sign in ((old, -1), (new, 1)):
        if part is None:
            continue
        _add(rows, part.day, part.key, part.measures, sign)
        if part.bucket is not None:
            _add(hist, part.day, (part.bucket,), (1,), sign)
    _upsert(ComplaintRollup, C_KEYS, C_MEASURES, rows)
    _upsert(ComplaintResolveHistogram, H_KEYS, H_MEASURES, hist)


def _stored(pk: Any) -> dict[str, Any] | None:
    qs = Complaint._base_manager.filter(pk=pk)
    if connection.in_atomic_block and connection.features.has_select_for_update:
        qs = qs.select_for_update()
    return qs.values(*FIELDS).first()


def _before_save(sender: Any, instance: Complaint, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and not (set(update_fields) & _TOUCHING):
        instance.__dict__["_gx_rollup_old"] = _SKIP  # e.g. the SLA job's reassignment: nothing counted changes
        return
    instance.__dict__["_gx_rollup_old"] = _stored(instance.pk) if instance.pk is not None else None


def _after_save(sender: Any, instance: Complaint, update_fields: Any = None, **kwargs: Any) -> None:
    old = instance.__dict__.pop("_gx_rollup_old", _SKIP)
    if old is _SKIP:
        return
    current = {f: getattr(instance, f) for f in FIELDS}
    if update_fields is not None and old is not None:  # only these fields were written; the rest is as stored
        written = {f for f in FIELDS if f in update_fields or f.removesuffix("_id") in update_fields}
        current = {f: current[f] if f in written else old[f] for f in FIELDS}
    zone = rollup_zone()
    apply_complaint_change(complaint_part(old, zone) if old else None, complaint_part(current, zone))


def _before_delete(sender: Any, instance: Complaint, **kwargs: Any) -> None:
    instance.__dict__["_gx_rollup_old"] = _stored(instance.pk)


def _after_delete(sender: Any, instance: Complaint, **kwargs: Any) -> None:
    old = instance.__dict__.pop("_gx_rollup_old", None)
    if old:
        apply_complaint_change(complaint_part(old, rollup_zone()), None)


pre_save.connect(_before_save, sender=Complaint, dispatch_uid="service_rollups_pre_save")
post_save.connect(_after_save, sender=Complaint, dispatch_uid="service_rollups_post_save")
pre_delete.connect(_before_delete, sender=Complaint, dispatch_uid="service_rollups_pre_delete")
post_delete.connect(_after_delete, sender=Complaint, dispatch_uid="service_rollups_post_delete")


def response_added(response: SurveyResponse, answers: Iterable[SurveyAnswer]) -> None:
    """Count a new survey response and its answers (called by ``surveys.answer``, in its transaction)."""
    day = response.answered_at.astimezone(rollup_zone()).date()
    segment = response.segment or ""
    r_rows: Rows = {}
    _add(r_rows, day, (response.survey_id, segment), response_measures(response))
    a_rows: Rows = {}
    for a in answers:
        _add(a_rows, day, (a.item_id, segment), answer_measures(a))
    _upsert(ResponseRollup, R_KEYS, R_MEASURES, r_rows)
    _upsert(AnswerRollup, A_KEYS, A_MEASURES, a_rows)


# --- reading -------------------------------------------------------------------------------------------

def split_period(start: date, end: date) -> list[tuple[str, date, date, int]]:
    """The rollup rows that add up to ``start``–``end`` (both days included): ``(grain, from,
    to (excluded), sign)``. Whole months read their month row; a partial month reads its days, or
    — when fewer — its month row minus the days it leaves out (this month up to today is the month
    row minus the days still to come, which have no rows)."""
    after = end + timedelta(days=1)
    parts: list[tuple[str, date, date, int]] = []
    month = start.replace(day=1)
    while month < after:
        following = month_start(month, 1)
        lo, hi = max(start, month), min(after, following)
        inside, outside = (hi - lo).days, (following - month).days - (hi - lo).days
        if lo == month and hi == following:
            parts.append((MONTH, month, following, 1))
        elif outside + 1 < inside:
            parts.append((MONTH, month, following, 1))
            parts += [(DAY, a, b, -1) for a, b in ((month, lo), (hi, following)) if a < b]
        else:
            parts.append((DAY, lo, hi, 1))
        month = following
    return parts


def period_sql(alias: str, start: date, end: date) -> tuple[str, list[Any], str, list[Any]]:
    """The rollup rows of the period (a condition on ``alias``) and each row's sign (an expression)."""
    rows, row_params, minus, minus_params = [], [], [], []
    for grain, lo, hi, sign in split_period(start, end):
        condition = f"({alias}.grain = %s AND {alias}.period >= %s AND {alias}.period < %s)"
        values = [grain, connection.ops.adapt_datefield_value(lo), connection.ops.adapt_datefield_value(hi)]
        rows.append(condition)
        row_params += values
        if sign < 0:
            minus.append(condition)
            minus_params += values
    sign_sql = f"(CASE WHEN {' OR '.join(minus)} THEN -1 ELSE 1 END)" if minus else ""
    return "(" + " OR ".join(rows) + ")", row_params, sign_sql, minus_params


def read(family: str, zone: zoneinfo.ZoneInfo, *, select: str, table: type[models.Model], start: date, end: date,
         joins: str = "", on: str = "", on_params: Sequence[Any] = (), group: str = "") -> list[tuple[Any, ...]] | None:
    """Aggregate ``table`` (alias ``r``) over the period in one query; ``None`` when the family is
    not built in ``zone`` (then read the raw rows). Rows whose aggregates are all NULL (no data) are
    the caller's to skip: the state row is always joined once."""
    q = connection.ops.quote_name
    period, params, sign, sign_params = period_sql("r", start, end)
    if sign:  # month rows minus some of their days: every SUM(r.…) becomes a signed sum
        select = select.replace("SUM(r.", f"SUM({sign} * r.")
        sign_params = sign_params * select.count(f"SUM({sign} * r.")
    extra = f" AND {on}" if on else ""
    sql = (f"SELECT s.id, {select} FROM {q(RollupState._meta.db_table)} s "  # noqa: S608 - table names and fixed SQL only
           f"LEFT JOIN {q(table._meta.db_table)} r ON {period}{extra} {joins} "
           f"WHERE s.name = %s AND s.zone = %s GROUP BY s.id{', ' + group if group else ''}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(sign_params if sign else []), *params, *on_params, family, str(zone.key)])
        rows = cursor.fetchall()
    return [row[1:] for row in rows] if rows else None
