"""Satisfaction analysis selectors (DOMAIN §4 "Satisfaction"; issue 6 item 6).

Two paths that agree (``tests/test_analysis.py`` checks them against each other):

* ``load_ratings`` reads the answers of a period into ``satisfaction.Rating`` objects in ONE query,
  for the pure functions (small data, exports, tests);
* the aggregate selectors (``gaps``, ``key_experience``, ``tolerance_zone``, ``scores``, ``trend``)
  push the per-group sums and counts into SQL (GROUP BY over answers joined to their items and
  responses) and finish with the count-based helpers below, which reproduce the pure functions'
  means, rounding, ranking and zone positions exactly. Sums are exact (numeric on PostgreSQL; on
  SQLite the float sum of one-decimal ratings is re-quantised to one decimal) so means divide the
  same numbers as the pure code does.
* For someone who sees every account (and reads in the rollups' zone) the same sums come from the
  answer and response rollups (``rollups``: per day and month, item and segment), a few thousand
  rows for a year of millions of answers; the rest read the raw answers of their accounts. Both
  feed the same count-based helpers, so both give the same results (``tests/test_rollups.py``).

Visibility: answers follow their account (``visible_to`` on Account): a rep sees the answers of the
accounts they see; answers without an account are seen only by those who see every account.
The period is in the actor's time zone; months are calendar months of that zone.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from guanxi.customers.models import Account
from guanxi.service import rollups
from guanxi.service import satisfaction as sat
from guanxi.service.models import AnswerRollup, ResponseRollup, SurveyAnswer, SurveyItem, SurveyResponse
from guanxi.service.satisfaction import GapSummary, KeyExperience, Rating, TrendPoint, ZoneItem
from guanxi.users.visibility import visible_to

ONE_DECIMAL = Decimal("0.1")
SUM = DecimalField(max_digits=20, decimal_places=1)
BOTH = Q(experience__isnull=False, expectation__isnull=False)
GROUP_FIELDS = {"item": "item__code", "dimension": "item__dimension", "account": "response__account_id",
                "segment": "response__segment", "month": "month"}


@dataclass(frozen=True)
class AnalysisFilter:
    """The answers to analyse: answered from ``start`` to ``end`` (both days included, in the actor's
    zone), optionally of one survey, one segment (value tier at answer time) or one account."""

    start: date
    end: date
    survey_id: int | None = None
    segment: str | None = None
    account_id: int | None = None


@dataclass(frozen=True)
class Scores:
    """CSAT (% of 4–5 on 1–5) and NPS (% promoters − % detractors) of the period's responses."""

    csat: Decimal | None
    csat_answers: int
    nps: Decimal | None
    nps_answers: int
    promoters: int
    passives: int
    detractors: int


def default_filter(actor: Any = None, *, months: int = 12, today: date | None = None) -> AnalysisFilter:
    """The last ``months`` calendar months up to today (the current month included)."""
    today = today or timezone.now().astimezone(zone_of(actor)).date()
    start = today.replace(day=1)
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return AnalysisFilter(start=start, end=today)


def zone_of(actor: Any) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(actor, "timezone", "") or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


# --- the answers a person may analyse --------------------------------------------------------------

def _account_q(actor: Any, prefix: str) -> Q | None:
    """None when the actor sees every account (no filter); else "account among the visible ones"."""
    accounts = visible_to(actor, Account._base_manager.all())
    if not accounts.query.has_filters():
        return None
    return Q(**{f"{prefix}account_id__in": accounts.values("pk")})


def _bounds(actor: Any, flt: AnalysisFilter) -> tuple[datetime, datetime]:
    zone = zone_of(actor)
    return (datetime.combine(flt.start, time.min, zone), datetime.combine(flt.end + timedelta(days=1), time.min, zone))


def responses(actor: Any, flt: AnalysisFilter) -> QuerySet[SurveyResponse]:
    start, end = _bounds(actor, flt)
    qs = SurveyResponse.objects.filter(answered_at__gte=start, answered_at__lt=end)
    if flt.survey_id is not None:
        qs = qs.filter(survey_id=flt.survey_id)
    if flt.segment is not None:
        qs = qs.filter(segment=flt.segment)
    if flt.account_id is not None:
        qs = qs.filter(account_id=flt.account_id)
    q = _account_q(actor, "")
    return qs if q is None else qs.filter(q)


def answers(actor: Any, flt: AnalysisFilter, *, dimension: str | None = None, item: str | None = None) -> QuerySet[SurveyAnswer]:
    start, end = _bounds(actor, flt)
    qs = SurveyAnswer.objects.filter(response__answered_at__gte=start, response__answered_at__lt=end)
    if flt.survey_id is not None:
        qs = qs.filter(response__survey_id=flt.survey_id)
    if flt.segment is not None:
        qs = qs.filter(response__segment=flt.segment)
    if flt.account_id is not None:
        qs = qs.filter(response__account_id=flt.account_id)
    if dimension is not None:
        qs = qs.filter(item__dimension=dimension)
    if item is not None:
        qs = qs.filter(item__code=item)
    q = _account_q(actor, "response__")
    return qs if q is None else qs.filter(q)


def load_ratings(actor: Any, flt: AnalysisFilter) -> list[Rating]:
    """The period's answers as ``Rating`` objects, in ONE query (for the pure functions)."""
    zone = zone_of(actor)
    rows = answers(actor, flt).values_list(
        "item__code", "item__dimension", "expectation", "desired", "adequate", "experience", "importance",
        "response__account_id", "response__contact_id", "response__segment", "response__answered_at")
    return [Rating(item=code, dimension=dim, expectation=ex, desired=de, adequate=ad, experience=xp, importance=im,
                   account_id=acc, contact_id=con, segment=seg or None, day=at.astimezone(zone).date())
            for code, dim, ex, de, ad, xp, im, acc, con, seg, at in rows]


# --- count-based helpers (the pure functions' arithmetic over SQL sums) ---------------------------

def _exact(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(value).quantize(ONE_DECIMAL)


def _mean(total: Any, n: int) -> Decimal | None:
    return None if not n else _exact(total) / Decimal(n)


def gap_summary_from_sums(*, total: int, n: int, sum_experience: Any, sum_expectation: Any) -> GapSummary:
    """``satisfaction._summary`` from the group's row count, the count of rows with both numbers and
    the sums of those rows' experience and expectation."""
    mean_exp, mean_expect = _mean(sum_experience, n), _mean(sum_expectation, n)
    mean_gap = None if mean_exp is None or mean_expect is None else mean_exp - mean_expect
    return GapSummary(n=n, skipped=total - n, mean_experience=sat._rounded(mean_exp),
                      mean_expectation=sat._rounded(mean_expect), mean_gap=sat._rounded(mean_gap))


def csat_from_counts(satisfied: int, total: int) -> Decimal | None:
    """``satisfaction.csat`` (threshold 4 on 1–5) from counts."""
    return None if not total else sat._round(sat._percent(satisfied, total), sat.PERCENT_PLACES)


def nps_from_counts(promoters: int, detractors: int, total: int) -> Decimal | None:
    """``satisfaction.nps`` from counts of promoters (9–10), detractors (0–6) and all answers."""
    return None if not total else sat._round(sat._percent(promoters - detractors, total), sat.PERCENT_PLACES)


def key_experience_from_sums(rows: list[dict[str, Any]]) -> list[KeyExperience]:
    """``satisfaction.key_experience`` from per (item, dimension) rows with ``total``, ``n`` (both
    numbers), ``shortfall`` (sum of max(0, expectation − experience)), ``n_importance`` and
    ``importance`` (sum)."""
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_item[row["item"]].append(row)
    found = []
    for code, parts in by_item.items():
        n = sum(p["n"] for p in parts)
        if not n:
            continue
        shortfall = _exact(sum((_exact(p["shortfall"]) for p in parts), Decimal(0))) / Decimal(n)
        n_imp = sum(p["n_importance"] for p in parts)
        importance = _mean(sum((_exact(p["importance"]) for p in parts), Decimal(0)), n_imp)
        score = Decimal(0) if importance is None else importance * shortfall
        counts = {p["dimension"]: 0 for p in parts}
        for p in parts:
            counts[p["dimension"]] += p["total"]
        dimension = min(counts, key=lambda d: (-counts[d], d))
        found.append(KeyExperience(code, dimension, sat._rounded(importance), sat._round(shortfall), sat._round(score)))
    return sorted(found, key=sat._ranking)


def zone_from_sums(rows: list[dict[str, Any]]) -> list[ZoneItem]:
    """``satisfaction.tolerance_zone`` from per-item counts and sums of adequate, desired, experience."""
    zone = []
    for row in rows:
        adequate, desired = _mean(row["s_adequate"], row["n_adequate"]), _mean(row["s_desired"], row["n_desired"])
        perceived = _mean(row["s_experience"], row["n_experience"])
        if adequate is None or desired is None or perceived is None:
            continue
        adequate, desired, perceived = sat._round(adequate), sat._round(desired), sat._round(perceived)
        zone.append(ZoneItem(row["item"], adequate, desired, perceived, sat.position_in_zone(perceived, adequate, desired)))
    return sorted(zone, key=lambda z: (sat._POSITION_ORDER[z.position], z.perceived - z.adequate, z.item))


# --- aggregate selectors (SQL GROUP BY) -------------------------------------------------------------

def _group_key(by: str, value: Any, zone: zoneinfo.ZoneInfo) -> sat.GroupKey:
    if by == "segment":
        return value or None
    if by == "month":
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.combine(value, time.min)
        return (moment.astimezone(zone) if timezone.is_aware(moment) else moment).date().replace(day=1)
    return value  # type: ignore[no-any-return]


def _gap_rows(qs: QuerySet[SurveyAnswer], by: str, zone: zoneinfo.ZoneInfo) -> dict[sat.GroupKey, list[Any]]:
    if by == "month":
        qs = qs.annotate(month=TruncMonth("response__answered_at", tzinfo=zone))
    rows = (qs.values(GROUP_FIELDS[by]).annotate(
        total=Count("id"), n=Count("id", filter=BOTH),
        s_exp=Sum("experience", filter=BOTH, output_field=SUM), s_expect=Sum("expectation", filter=BOTH, output_field=SUM),
    ).order_by())
    merged: dict[sat.GroupKey, list[Any]] = {}
    for row in rows:
        key = _group_key(by, row[GROUP_FIELDS[by]], zone)
        acc = merged.setdefault(key, [0, 0, Decimal(0), Decimal(0)])
        acc[0] += row["total"]
        acc[1] += row["n"]
        acc[2] += _exact(row["s_exp"])
        acc[3] += _exact(row["s_expect"])
    return merged


# --- the same sums from the rollups (whoever sees every account) ----------------------------------

ROLLUP_GROUPS = {"item": "i.code", "dimension": "i.dimension", "segment": "r.segment", "month": "r.period"}


def _rollup_zone(actor: Any, flt: AnalysisFilter) -> zoneinfo.ZoneInfo | None:
    """The zone to read the rollups in; None when this reader needs the raw answers (a narrower
    scope, or one account asked for)."""
    if flt.account_id is not None or _account_q(actor, "") is not None:
        return None
    return zone_of(actor)


def _answer_sums(actor: Any, flt: AnalysisFilter, *, select: str, group: str = "", dimension: str | None = None,
                 item: str | None = None) -> list[tuple[Any, ...]] | None:
    """``SUM(r.total), <select>`` over the answer rollups of the period, grouped by ``group`` (SQL
    over the rollup ``r`` and its item ``i``); rows without answers left out. None: read the raw answers."""
    zone = _rollup_zone(actor, flt)
    if zone is None:
        return None
    items = connection.ops.quote_name(SurveyItem._meta.db_table)
    on: list[str] = []
    params: list[Any] = []
    if flt.segment is not None:
        on.append("r.segment = %s")
        params.append(flt.segment)
    for column, value in (("survey_id", flt.survey_id), ("dimension", dimension), ("code", item)):
        if value is not None:
            on.append(f"r.item_id IN (SELECT id FROM {items} WHERE {column} = %s)")  # noqa: S608 - constant names
            params.append(value)
    rows = rollups.read(rollups.ANSWERS, zone, table=AnswerRollup, start=flt.start, end=flt.end,
                        select=f"SUM(r.total), {select}", joins=f"LEFT JOIN {items} i ON i.id = r.item_id",
                        on=" AND ".join(on), on_params=params, group=group)
    return None if rows is None else [row[1:] for row in rows if row[0]]


def _rollup_key(by: str, value: Any) -> sat.GroupKey:
    if by == "segment":
        return value or None
    if by == "month":
        return date.fromisoformat(str(value)[:10]).replace(day=1)
    return value  # type: ignore[no-any-return]


def _rollup_gap_rows(actor: Any, flt: AnalysisFilter, by: str, *, dimension: str | None = None, item: str | None = None,
                     both_only: bool = False) -> dict[sat.GroupKey, list[Any]] | None:
    if by not in ROLLUP_GROUPS:
        return None
    column = ROLLUP_GROUPS[by]
    rows = _answer_sums(actor, flt, select=f"{column}, SUM(r.total), SUM(r.n), SUM(r.s_exp), SUM(r.s_expect)", group=column,
                        dimension=dimension, item=item)
    if rows is None:
        return None
    merged: dict[sat.GroupKey, list[Any]] = {}
    for key, total, n, s_exp, s_expect in rows:
        acc = merged.setdefault(_rollup_key(by, key), [0, 0, Decimal(0), Decimal(0)])
        acc[0] += int(n if both_only else total)  # the raw trend counts only answers with both numbers
        acc[1] += int(n or 0)
        acc[2] += _exact(s_exp)
        acc[3] += _exact(s_expect)
    return merged


# --- the selectors -------------------------------------------------------------------------------------

def gaps(actor: Any, flt: AnalysisFilter, *, by: str) -> dict[sat.GroupKey, GapSummary]:
    """Satisfaction = experience − expectation per item (code), dimension, account, segment or month:
    the same as ``satisfaction.aggregate_gaps(load_ratings(...), by)``, in one grouped query."""
    if by not in GROUP_FIELDS:
        raise ValueError(f"Unknown grouping {by!r}; expected one of {sat.GROUPINGS}.")
    merged = _rollup_gap_rows(actor, flt, by)
    if merged is None:
        merged = _gap_rows(answers(actor, flt), by, zone_of(actor))
    return {key: gap_summary_from_sums(total=v[0], n=v[1], sum_experience=v[2], sum_expectation=v[3])
            for key, v in sorted(merged.items(), key=lambda kv: sat._sort_key(kv[0]))}


def key_experience(actor: Any, flt: AnalysisFilter) -> list[KeyExperience]:
    """Items ranked by importance × shortfall (关键体验); the first is the one to fix first."""
    summed = _answer_sums(actor, flt, select="i.code, i.dimension, SUM(r.total), SUM(r.n), SUM(r.s_short), "
                                             "SUM(r.n_importance), SUM(r.s_importance)", group="i.code, i.dimension")
    if summed is not None:
        return key_experience_from_sums([
            {"item": code, "dimension": dim, "total": int(total), "n": int(n or 0), "shortfall": short,
             "n_importance": int(n_imp or 0), "importance": s_imp} for code, dim, total, n, short, n_imp, s_imp in summed])
    shortfall = Case(When(BOTH & Q(expectation__gt=F("experience")), then=F("expectation") - F("experience")), default=None,
                     output_field=SUM)
    rows = (answers(actor, flt).values("item__code", "item__dimension").annotate(
        total=Count("id"), n=Count("id", filter=BOTH), s_short=Sum(shortfall, output_field=SUM),
        n_importance=Count("importance"), s_importance=Sum("importance", output_field=SUM),
    ).order_by())
    return key_experience_from_sums([
        {"item": r["item__code"], "dimension": r["item__dimension"], "total": r["total"], "n": r["n"],
         "shortfall": r["s_short"], "n_importance": r["n_importance"], "importance": r["s_importance"]} for r in rows])


ZONE_SUMS = ("n_adequate", "s_adequate", "n_desired", "s_desired", "n_experience", "s_experience")


def tolerance_zone(actor: Any, flt: AnalysisFilter) -> list[ZoneItem]:
    """Per item the adequate–desired band and the perceived level; items below the band first (flagged)."""
    summed = _answer_sums(actor, flt, select="i.code, " + ", ".join(f"SUM(r.{m})" for m in ZONE_SUMS), group="i.code")
    if summed is not None:
        return zone_from_sums([{"item": code, **{m: (int(v or 0) if m.startswith("n_") else v) for m, v in zip(ZONE_SUMS, sums, strict=True)}}
                               for code, *sums in summed])
    rows = (answers(actor, flt).values("item__code").annotate(
        n_adequate=Count("adequate"), s_adequate=Sum("adequate", output_field=SUM),
        n_desired=Count("desired"), s_desired=Sum("desired", output_field=SUM),
        n_experience=Count("experience"), s_experience=Sum("experience", output_field=SUM),
    ).order_by())
    return zone_from_sums([{**r, "item": r["item__code"]} for r in rows])


SCORE_SUMS = ("csat_n", "csat_ok", "nps_n", "promoters", "detractors")


def _rollup_scores(actor: Any, flt: AnalysisFilter) -> dict[str, int] | None:
    zone = _rollup_zone(actor, flt)
    if zone is None:
        return None
    on: list[str] = []
    params: list[Any] = []
    for column, value in (("segment", flt.segment), ("survey_id", flt.survey_id)):
        if value is not None:
            on.append(f"r.{column} = %s")
            params.append(value)
    rows = rollups.read(rollups.ANSWERS, zone, table=ResponseRollup, start=flt.start, end=flt.end,
                        select=", ".join(f"SUM(r.{m})" for m in SCORE_SUMS), on=" AND ".join(on), on_params=params)
    return None if rows is None else {m: int(v or 0) for m, v in zip(SCORE_SUMS, rows[0], strict=True)}


def scores(actor: Any, flt: AnalysisFilter) -> Scores:
    """CSAT and NPS of the period's responses (one aggregate query)."""
    row = _rollup_scores(actor, flt) or responses(actor, flt).aggregate(
        csat_n=Count("csat"), csat_ok=Count("id", filter=Q(csat__gte=4)), nps_n=Count("nps"),
        promoters=Count("id", filter=Q(nps__gte=9)), detractors=Count("id", filter=Q(nps__lte=6)),
    )
    return Scores(csat=csat_from_counts(row["csat_ok"], row["csat_n"]), csat_answers=row["csat_n"],
                  nps=nps_from_counts(row["promoters"], row["detractors"], row["nps_n"]), nps_answers=row["nps_n"],
                  promoters=row["promoters"], passives=row["nps_n"] - row["promoters"] - row["detractors"],
                  detractors=row["detractors"])


def trend(actor: Any, flt: AnalysisFilter, *, dimension: str | None = None, item: str | None = None) -> list[TrendPoint]:
    """Mean gap per month, oldest first, holes shown as ``n=0`` (as ``satisfaction.monthly_trend``)."""
    merged = _rollup_gap_rows(actor, flt, "month", dimension=dimension, item=item, both_only=True)
    if merged is None:
        merged = _gap_rows(answers(actor, flt, dimension=dimension, item=item).filter(BOTH), "month", zone_of(actor))
    months = sorted(k for k, v in merged.items() if isinstance(k, date) and v[1])
    if not months:
        return []
    points = []
    month, last = months[0], months[-1]
    while month <= last:
        v = merged.get(month)
        if v and v[1]:
            summary = gap_summary_from_sums(total=v[0], n=v[1], sum_experience=v[2], sum_expectation=v[3])
            points.append(TrendPoint(month, summary.n, summary.mean_gap))
        else:
            points.append(TrendPoint(month, 0, None))
        month = sat._next_month(month)
    return points
