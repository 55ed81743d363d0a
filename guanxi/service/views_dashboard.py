"""The service dashboard (/service/) and the satisfaction analysis page (/service/analysis/)
(DOMAIN §4 "Complaints" 留档分析 and "Satisfaction"; issue 6 items 6 and 10).

Thin faces over ``dashboard_data.service_dashboard`` and the ``analysis`` selectors, which read
through ``visible_to``: each person sees the figures of the complaints and the answers of the
accounts they may see. The page only picks the period and the filters, labels the numbers and
shapes them for the charts (Apache ECharts served from static, drawn by
``service/dashboard/_charts.html`` from ``json_script`` data).

Satisfaction = experience − expectation (满意度 = 体验 − 期望); the key experience (关键体验) is
importance × shortfall and its first item is the one to fix first; the zone of tolerance runs from
the adequate (必要的服务) to the desired (渴望的服务) level, perceived service below it dissatisfies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from guanxi.core.errors import NotFound
from guanxi.customers.models import Account, ValueTier
from guanxi.customers.search_selectors import filter_by_query
from guanxi.service import analysis, dashboard_data, surveys
from guanxi.service.forms_care import AnalysisForm, PeriodForm
from guanxi.service.models import Dimension, Survey, SurveyItem
from guanxi.service.satisfaction import GapSummary, KeyExperience, TrendPoint, ZoneItem
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

MAX_SURVEY_CHOICES = 200
MAX_ACCOUNT_MATCHES = 20
KEY_EXPERIENCE_ON_DASHBOARD = 5


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def presets(actor: User) -> list[tuple[str, date, date]]:
    """Quick periods for the period picker, in the actor's zone."""
    today = timezone.now().astimezone(analysis.zone_of(actor)).date()
    year = analysis.default_filter(actor, today=today)
    return [(_("Last 30 days"), today - timedelta(days=29), today), (_("Last 90 days"), today - timedelta(days=89), today),
            (_("This year"), today.replace(month=1, day=1), today), (_("Last 12 months"), year.start, year.end)]


def dimension_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Dimension.choices}


def segment_label(value: Any) -> str:
    labels = {v: str(label) for v, label in ValueTier.choices}
    return labels.get(value, str(value)) if value else _("Not classified")


# --- chart data (read by service/dashboard/_charts.html) ------------------------------------------

def bar_chart(labels: Iterable[str], series: list[tuple[str, list[Any]]], *, signed: bool = False,
              horizontal: bool = False) -> dict[str, Any]:
    """Bars per category; ``signed``: negative bars drawn in the warning colour (a gap below 0)."""
    return {"kind": "bars", "labels": list(labels), "signed": signed, "horizontal": horizontal,
            "series": [{"name": name, "data": [_num(v) if isinstance(v, Decimal) else v for v in data]} for name, data in series]}


def pie_chart(buckets: list[dashboard_data.Bucket]) -> dict[str, Any]:
    return {"kind": "pie", "data": [{"name": b.label or _("Not assigned"), "value": b.count} for b in buckets]}


def zone_chart(zone: list[ZoneItem], names: dict[str, str]) -> dict[str, Any]:
    """Per item the adequate–desired band and the perceived level (below the band: flagged)."""
    return {"kind": "zone", "labels": [names.get(z.item, z.item) for z in zone],
            "adequate": [_num(z.adequate) for z in zone], "desired": [_num(z.desired) for z in zone],
            "perceived": [_num(z.perceived) for z in zone], "flagged": [z.flagged for z in zone],
            "names": {"band": _("Zone of tolerance (adequate to desired)"), "perceived": _("Perceived service"),
                      "adequate": _("Adequate level"), "desired": _("Desired level"), "below": _("Below the zone")}}


def trend_chart(points: list[TrendPoint]) -> dict[str, Any]:
    return {"kind": "trend", "labels": [p.month.strftime("%Y-%m") for p in points],
            "series": [{"name": _("Mean gap (experience − expectation)"), "type": "line", "data": [_num(p.mean_gap) for p in points]},
                       {"name": _("Answers"), "type": "bar", "data": [p.n for p in points], "yAxisIndex": 1}]}


def item_names(codes: Iterable[str], survey_id: int | None) -> dict[str, dict[str, Any]]:
    """Question text and dimensions of item codes (within one survey when chosen): the analysis
    groups answers by item code."""
    qs = SurveyItem.objects.filter(code__in=sorted(set(codes)))
    if survey_id is not None:
        qs = qs.filter(survey_id=survey_id)
    found: dict[str, dict[str, Any]] = {}
    for code, text, dimension in qs.order_by("-survey_id", "position").values_list("code", "text", "dimension"):
        entry = found.setdefault(code, {"text": text, "dimensions": set()})
        entry["dimensions"].add(dimension)
    return found


# --- the service dashboard -------------------------------------------------------------------------

@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    form = PeriodForm(request.GET or None, actor=actor)
    start, end = form.period()
    d = dashboard_data.service_dashboard(actor, start=start, end=end)
    dims = dimension_labels()
    key = d.key_experience[:KEY_EXPERIENCE_ON_DASHBOARD]
    names = item_names([k.item for k in key], None)
    gaps = [(dims.get(str(k), str(k)), g) for k, g in d.gaps_by_dimension.items()]
    context = {
        "d": d, "form": form, "start": start, "end": end, "presets": presets(actor),
        "gaps": gaps, "key": [(k, names.get(k.item, {}).get("text", ""), dims.get(k.dimension, k.dimension)) for k in key],
        "fix_first": bool(key and key[0].score > 0),
        # Types and departments have long names (服务作业不当, 物流部 Logistics): bars lie down, so
        # every name stays readable in a third of the page.
        "type_chart": bar_chart([b.label for b in d.by_type], [(_("Complaints"), [b.count for b in d.by_type])], horizontal=True),
        "channel_chart": pie_chart(d.by_channel),
        "department_chart": bar_chart([b.label or _("Not assigned") for b in d.by_department],
                                      [(_("Complaints"), [b.count for b in d.by_department])], horizontal=True),
        "gap_chart": bar_chart([label for label, _g in gaps], [(_("Mean gap"), [g.mean_gap for _l, g in gaps])], signed=True),
        "can_design": surveys.can_design(actor), "is_admin": bool(actor.is_admin),
    }
    return render(request, "service/dashboard/dashboard.html", context, status=400 if form.is_bound and not form.is_valid() else 200)


# --- satisfaction analysis -------------------------------------------------------------------------

def _account(actor: User, account_id: int | None) -> Account | None:
    if account_id is None:
        return None
    account = visible_to(actor, Account.objects.filter(pk=account_id)).only("pk", "name").first()
    if account is None:
        raise NotFound()
    return account


def _in_dimension(dimension: str | None, names: dict[str, dict[str, Any]], code: str) -> bool:
    return dimension is None or dimension in names.get(code, {}).get("dimensions", set())


@require_GET
def analysis_page(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    choices = list(Survey.objects.order_by("-id").values_list("pk", "name")[:MAX_SURVEY_CHOICES])
    form = AnalysisForm(request.GET or None, actor=actor, surveys_choices=choices)
    flt = form.analysis_filter()
    dimension = form.dimension_value()
    account = _account(actor, flt.account_id)
    account_q = str(request.GET.get("account_q", ""))[:100].strip()
    # The archive's own search (names, pinyin, initials, codes; trigram-indexed on PostgreSQL).
    matches = list(filter_by_query(visible_to(actor, Account.objects.all()), account_q).order_by("name_sort", "id")
                   .only("pk", "name")[:MAX_ACCOUNT_MATCHES]) if account_q else []

    by_dimension: dict[Any, GapSummary] = analysis.gaps(actor, flt, by="dimension")
    by_item: dict[Any, GapSummary] = analysis.gaps(actor, flt, by="item")
    by_segment = analysis.gaps(actor, flt, by="segment")
    ranking: list[KeyExperience] = analysis.key_experience(actor, flt)
    zone: list[ZoneItem] = analysis.tolerance_zone(actor, flt)
    scores = analysis.scores(actor, flt)
    points = analysis.trend(actor, flt, dimension=dimension)

    names = item_names([*map(str, by_item), *(k.item for k in ranking), *(z.item for z in zone)], flt.survey_id)
    if dimension is not None:
        by_dimension = {k: v for k, v in by_dimension.items() if k == dimension}
        by_item = {k: v for k, v in by_item.items() if _in_dimension(dimension, names, str(k))}
        ranking = [k for k in ranking if k.dimension == dimension]
        zone = [z for z in zone if _in_dimension(dimension, names, z.item)]
    dims = dimension_labels()
    label = {code: entry["text"] for code, entry in names.items()}
    dimension_rows = [(dims.get(str(k), str(k)), g) for k, g in by_dimension.items()]
    item_rows = [(str(k), label.get(str(k), ""), g) for k, g in by_item.items()]
    base = request.GET.copy()
    for name in ("account", "account_q"):
        base.pop(name, None)
    context = {
        "form": form, "flt": flt, "dimension": dimension, "account": account, "account_q": account_q, "matches": matches,
        "presets": presets(actor), "scores": scores, "dimension_rows": dimension_rows, "item_rows": item_rows,
        "segment_rows": [(segment_label(k), g) for k, g in by_segment.items()],
        "ranking": [(k, label.get(k.item, ""), dims.get(k.dimension, k.dimension)) for k in ranking],
        "fix_first": bool(ranking and ranking[0].score > 0),
        "zone": [(z, label.get(z.item, "")) for z in zone], "below": sum(1 for z in zone if z.flagged),
        "points": points, "without_account": base.urlencode(),
        "dimension_chart": bar_chart([lbl for lbl, _g in dimension_rows], [
            (_("Mean experience"), [g.mean_experience for _l, g in dimension_rows]),
            (_("Mean expectation"), [g.mean_expectation for _l, g in dimension_rows]),
            (_("Gap"), [g.mean_gap for _l, g in dimension_rows])], signed=True),
        "item_chart": bar_chart([f"{code} {text}".strip()[:40] for code, text, _g in item_rows],
                                [(_("Gap"), [g.mean_gap for _c, _t, g in item_rows])], signed=True, horizontal=True),
        "zone_chart": zone_chart(zone, {code: f"{code} {text}".strip()[:40] for code, text in label.items()}),
        "trend_chart": trend_chart(points),
        "has_answers": bool(by_item or scores.csat_answers or scores.nps_answers),
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "service/dashboard/analysis.html", context, status=status)
