"""The sales dashboard, call quality, forecast and target pages (DOMAIN §2; issue 5 items 6–8).

A rep sees their own figures; a manager their team's (the services read through ``visible_to`` /
``subordinate_ids``); ``?user=`` / ``?team=`` narrow the view to one rep or team the actor may see,
anyone else is 404. Charts read their data from a ``json_script`` tag (``sales/activities/charts.js``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.core.errors import GuanxiError, NotFound, PermissionDenied
from guanxi.customers.forms import add_service_errors
from guanxi.sales import dashboards, forecast, quality, targets
from guanxi.sales.forms_activities import TargetForm
from guanxi.sales.models import TargetMeasure, TargetPeriod, TargetScope
from guanxi.sales.targets_math import add_months, period_start
from guanxi.users.models import Team, User

TREND_MONTHS = 12


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 19 else None


def _subject(request: HttpRequest, actor: User, *, reps: list[User] | None = None,
             teams: list[Team] | None = None) -> tuple[User | None, Team | None]:
    """``?user=`` / ``?team=`` among those the actor may see (anyone else: 404); ``reps`` and
    ``teams`` are those lists when the page has already read them."""
    user = team = None
    if request.GET.get("user"):
        user = next((u for u in (reps if reps is not None else dashboards.visible_reps(actor)) if u.pk == _int(request.GET["user"])), None)
        if user is None:
            raise NotFound()
    elif request.GET.get("team"):
        team = next((t for t in (teams if teams is not None else dashboards.visible_teams(actor)) if t.pk == _int(request.GET["team"])), None)
        if team is None:
            raise NotFound()
    return user, team


def _quality_labels() -> dict[str, str]:
    return {"p_to_s": _("P:S ratio"), "n_per_call": _("N questions per call"),
            "explicit": _("Explicit needs per call"), "advance": _("Advance or order (%)")}


def _forecast_labels() -> dict[str, str]:
    return {"weighted": _("Weighted forecast"), "actual": _("Actual (won)"), "target": _("Target")}


def dashboard(request: HttpRequest) -> HttpResponse:
    """Call quality with its monthly trend, the pipeline by stage and forecast vs target vs actual.
    A constant number of queries whatever the number of reps and calls."""
    actor = _user(request)
    manager = dashboards.is_manager(actor)
    reps, teams = (dashboards.visible_reps(actor), dashboards.visible_teams(actor)) if manager else ([], [])
    user, team = _subject(request, actor, reps=reps if manager else None, teams=teams if manager else None)
    if not manager and user is None and team is None:
        user = actor
    today = dashboards.today_for(actor)
    start, end = dashboards.month_range(today, TREND_MONTHS)
    month_start = period_start(today, "month")
    user_id, team_id = (user.pk if user else None), (team.pk if team else None)
    report, trend = quality.dashboard_quality(actor, start=start, month_start=month_start, end=end, team_id=team_id, user_id=user_id,
                                              people=reps, teams=teams)
    own = next((r for r in report.reps if r.user_id == actor.pk), None)
    team_average = dashboards.team_n_per_call(actor, start=month_start, end=end) if not manager else None
    groups = forecast.open_deal_groups(actor, team=team, user=user)  # the open deals, read once for both
    rows = forecast.forecast_for(actor, team=team, user=user, months=6, start=month_start, open_groups=groups)
    stages = dashboards.pipeline_by_stage(actor, user_id=user_id, team_id=team_id, groups=groups)
    return render(request, "sales/dashboard/dashboard.html", {
        "manager": manager, "subject_user": user, "subject_team": team, "report": report, "own": own,
        "team_average": team_average, "stages": stages, "forecast_rows": rows, "month_start": month_start,
        "quality_chart": dashboards.quality_series(trend, _quality_labels()),
        "forecast_chart": dashboards.forecast_series(rows, _forecast_labels()),
        "pipeline_total": sum((s.amount for s in stages), Decimal(0)),
        "query": f"user={user.pk}" if user else f"team={team.pk}" if team else "",
        "reps": reps, "teams": teams,
    })


QUALITY_SORTS = {
    "name": lambda r: r.name, "calls": lambda r: r.quality.calls,
    "p_to_s": lambda r: r.quality.p_to_s_ratio, "n_per_call": lambda r: r.quality.n_per_call,
    "n_vs_team": lambda r: r.quality.n_vs_team_average, "advance": lambda r: r.quality.advance_rate,
    "explicit": lambda r: r.quality.explicit_needs_per_call,
}


def _parse_date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return default


def call_quality(request: HttpRequest) -> HttpResponse:
    """Call quality per rep, sortable (``?sort=n_per_call`` / ``-n_per_call`` …), over a date range."""
    actor = _user(request)
    today = dashboards.today_for(actor)
    start = _parse_date(request.GET.get("start"), period_start(today, "month"))
    end = _parse_date(request.GET.get("end"), today)
    if end < start:
        start, end = end, start
    _user_subject, team = _subject(request, actor)
    report = quality.quality_report(actor, start=start, end=end, team_id=team.pk if team else None)
    sort = request.GET.get("sort", "-n_per_call")
    key = sort.lstrip("-")
    if key not in QUALITY_SORTS:
        sort, key = "-n_per_call", "n_per_call"
    present = [r for r in report.reps if QUALITY_SORTS[key](r) is not None]
    missing = [r for r in report.reps if QUALITY_SORTS[key](r) is None]
    present.sort(key=QUALITY_SORTS[key], reverse=sort.startswith("-"))
    columns = [("name", _("Sales rep")), ("calls", _("Calls")), ("p_to_s", _("P:S ratio")), ("n_per_call", _("N per call")),
               ("n_vs_team", _("N vs team average")), ("advance", _("Advance or order")), ("explicit", _("Explicit needs per call"))]
    return render(request, "sales/dashboard/call_quality.html", {
        "report": report, "rows": present + missing, "sort": sort, "start": start, "end": end, "team": team,
        "columns": [{"key": k, "label": label, "sort": k if sort != k else f"-{k}",
                     "aria": ("ascending" if sort == k else "descending") if key == k else None} for k, label in columns],
        "teams": dashboards.visible_teams(actor),
    })


def forecast_page(request: HttpRequest) -> HttpResponse:
    """Weighted pipeline by month vs target vs actual, the deals of one month (``?month=``), and the
    accuracy of past months' forecasts."""
    actor = _user(request)
    reps, teams = dashboards.visible_reps(actor), dashboards.visible_teams(actor)
    user, team = _subject(request, actor, reps=reps, teams=teams)
    if user is None and team is None and not dashboards.is_manager(actor):
        user = actor
    today = dashboards.today_for(actor)
    first = period_start(today, "month")
    months = 6
    rows = forecast.forecast_for(actor, team=team, user=user, months=months, start=first)
    accuracy = forecast.forecast_accuracy(actor, months=6, team=team, user=user, end=today)
    drill_month = None
    deals: list[Any] = []
    raw_month = request.GET.get("month", "")
    if raw_month:
        drill_month = period_start(_parse_date(f"{raw_month}-01" if len(raw_month) == 7 else raw_month, first), "month")
        if first <= drill_month < add_months(first, months):
            deals = list(forecast.forecast_deals(actor, drill_month, team=team, user=user, first_month=first)[:200])
            for deal in deals:
                deal.weighted = (Decimal(deal.weighted_x100) / 100).quantize(Decimal("0.01"))  # type: ignore[attr-defined]
    query = f"user={user.pk}" if user else f"team={team.pk}" if team else ""
    return render(request, "sales/dashboard/forecast.html", {
        "rows": rows, "accuracy": accuracy, "deals": deals, "drill_month": drill_month, "subject_user": user, "subject_team": team,
        "chart": dashboards.forecast_series(rows, _forecast_labels()), "query": query,
        "reps": reps, "teams": teams,
    })


def _target_choices(actor: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    teams = [(t.pk, str(t)) for t in dashboards.visible_teams(actor)]
    users = [(u.pk, str(u)) for u in dashboards.visible_reps(actor) if u.pk != actor.pk or actor.is_admin]
    return teams, users


@require_http_methods(["GET", "POST"])
def targets_page(request: HttpRequest) -> HttpResponse:
    """Targets of one period with actual, attainment and layering warnings (目标分层); managers and
    administrators set targets with the form (the service decides whose)."""
    actor = _user(request)
    today = dashboards.today_for(actor)
    period = request.GET.get("period") if request.GET.get("period") in TargetPeriod.values else TargetPeriod.MONTH
    measure = request.GET.get("measure") if request.GET.get("measure") in TargetMeasure.values else TargetMeasure.AMOUNT
    day = targets.period_start_of(period, _parse_date(request.GET.get("start"), today))  # type: ignore[arg-type]
    teams, users = _target_choices(actor)
    can_set = dashboards.is_manager(actor)
    form = TargetForm(request.POST or None, teams=teams, users=users,
                      initial={"period": period, "period_start": day, "measure": measure})
    if request.method == "POST" and not can_set:
        raise PermissionDenied(_("You may not set this target."))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = Team.objects.filter(pk=data["team_id"]).first() if data["team_id"] else None
        user = User.objects.filter(pk=data["user_id"]).first() if data["user_id"] else None
        try:
            target = targets.target_set(actor=actor, scope=data["scope"], period=data["period"], period_start=data["period_start"],
                                        value=data["value"], measure=data["measure"], team=team, user=user)
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Target saved."))
            return redirect(f"{reverse('sales:targets')}?period={target.period}&start={target.period_start}&measure={target.measure}")
    rows = targets.target_overview(actor, period=period, period_start=day, measure=measure)  # type: ignore[arg-type]
    step = {"month": 1, "quarter": 3, "year": 12}[period]  # type: ignore[index]
    return render(request, "sales/dashboard/targets.html", {
        "rows": rows, "form": form, "can_set": can_set, "period": period, "measure": measure, "day": day,
        "previous": add_months(day, -step), "following": add_months(day, step),
        "periods": TargetPeriod.choices, "measures": TargetMeasure.choices, "scopes": TargetScope,
        "editable": {r.target.pk for r in rows if targets.can_set(actor, scope=r.target.scope, team=r.target.team, user=r.target.user)},
    })


@require_POST
def target_delete(request: HttpRequest, target_id: int) -> HttpResponse:
    actor = _user(request)
    target = targets.get_target(actor, target_id)
    targets.target_delete(actor=actor, target=target, version=_int(request.POST.get("version")))
    messages.success(request, _("Target deleted."))
    return redirect(f"{reverse('sales:targets')}?period={target.period}&start={target.period_start}&measure={target.measure}")
