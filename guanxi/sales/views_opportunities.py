"""Opportunity pages (DOMAIN §2): the list (the archive's list engine: filters, sorts, saved views,
column chooser, bulk actions, export), the detail page, create / edit, win and lose."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError, NotFound
from guanxi.core.listing import ListParamError
from guanxi.core.pagination import keyset_page_or_first
from guanxi.customers.forms import add_service_errors
from guanxi.customers.models import Account
from guanxi.customers.saved_views import saved_view_delete, saved_view_get, saved_view_save
from guanxi.customers.selectors import saved_views_for
from guanxi.sales import opportunities as services
from guanxi.sales import selectors
from guanxi.sales.forms import LoseForm, OpportunityForm, WinForm
from guanxi.sales.lists import OPPORTUNITY_LIST
from guanxi.sales.models import Activity, Opportunity, Pipeline, StageKind
from guanxi.sales.pipelines import default_pipeline, pipelines_for_everyone
from guanxi.users.models import Team, User
from guanxi.users.visibility import editable_by, editable_queryset, visible_to

BULK_LIMIT = 1000
ACCOUNT_CHOICES = 300


# --- list ----------------------------------------------------------------------------------------

def _cell(opp: Opportunity, column: str) -> object:
    if column == "stage":
        return opp.stage.name
    if column == "account":
        return opp.account.name
    if column == "probability":
        return f"{opp.effective_probability}%"
    if column == "decision_type":
        return opp.get_decision_type_display() or "—"
    if column in ("owner", "team"):
        return getattr(opp, column) or "—"
    if column in ("created", "updated"):
        return opp.created_at if column == "created" else opp.updated_at
    return getattr(opp, column, "") or "—"


def _filter_widgets(params: Any, users: list[User]) -> list[dict[str, object]]:
    active = params.filters
    pipelines = [(str(p.pk), p.name) for p in Pipeline.objects.filter(active=True).order_by("position", "id")]
    widgets: list[dict[str, object]] = []
    for name, flt in OPPORTUNITY_LIST.all_filters().items():
        chosen = set(active.get(name, []))
        if flt.choices:
            widgets.append({"name": name, "label": flt.label, "kind": "choice",
                            "options": [(v, label, v in chosen) for v, label in flt.choices]})
        elif flt.kind in ("date_range", "number_range"):
            lo, hi = ("from", "to") if flt.kind == "date_range" else ("min", "max")
            widgets.append({"name": name, "label": flt.label, "kind": "date" if flt.kind == "date_range" else "number",
                            "lo": lo, "hi": hi, "from": active.get(f"{name}__{lo}", [""])[0], "to": active.get(f"{name}__{hi}", [""])[0]})
        elif name == "owner":
            options = [("me", _("Me"), "me" in chosen)] + [(str(u.pk), str(u), str(u.pk) in chosen) for u in users]
            widgets.append({"name": name, "label": flt.label, "kind": "choice", "options": options})
        elif name == "team":
            options = [(str(t.pk), t.name, str(t.pk) in chosen) for t in Team.objects.order_by("name")]
            widgets.append({"name": name, "label": flt.label, "kind": "choice", "options": options})
        elif name == "pipeline":
            widgets.append({"name": name, "label": flt.label, "kind": "choice",
                            "options": [(v, label, v in chosen) for v, label in pipelines]})
        elif flt.kind in ("text", "exact"):
            widgets.append({"name": name, "label": flt.label, "kind": "text", "value": next(iter(active.get(name, [])), "")})
    return widgets


def opportunity_list(request: HttpRequest) -> HttpResponse:
    """Opportunities with the list engine's allow-listed filters, sorts and columns."""
    data = request.GET.copy()
    view = None
    if data.get("view"):
        view = saved_view_get(actor=request.user, pk=data["view"])  # type: ignore[arg-type]
        data = QueryDict(mutable=True)
        data.update(view.params)  # type: ignore[arg-type]
    error = ""
    try:
        params = OPPORTUNITY_LIST.parse(data)
    except ListParamError as exc:
        error, params = exc.detail, OPPORTUNITY_LIST.parse({})
    try:
        qs = selectors.opportunity_filtered(actor=request.user, params=params)  # type: ignore[arg-type]
        page = keyset_page_or_first(qs, order=OPPORTUNITY_LIST.order(params), after=request.GET.get("after") or None, limit=50)
    except ListParamError as exc:  # a value the filter refuses only when applied (e.g. a bad date)
        error, params = exc.detail, OPPORTUNITY_LIST.parse({})
        qs = selectors.opportunity_filtered(actor=request.user, params=params)  # type: ignore[arg-type]
        page = keyset_page_or_first(qs, order=OPPORTUNITY_LIST.order(params), limit=50)
    columns = OPPORTUNITY_LIST.visible_columns(params)
    users = list(User.objects.filter(is_active=True).order_by("username").only("pk", "username", "display_name", "first_name", "last_name"))
    rows = [(o, [(c, _cell(o, c.name)) for c in columns]) for o in page.items]
    context = {
        "page": page, "rows": rows, "columns": columns, "all_columns": OPPORTUNITY_LIST.columns, "params": params,
        "q": params.filters.get("q", [""])[0], "sort": params.sort,
        "query": urlencode(params.as_querydict(), doseq=True), "error": error,
        "filter_pairs": [(k, v) for k, vs in params.filters.items() for v in vs],
        "saved_views": saved_views_for(actor=request.user, object_type="opportunity"),  # type: ignore[arg-type]
        "current_view": view, "active": any(k != "q" for k in params.filters),
        "users": users, "filter_widgets": _filter_widgets(params, users),
    }
    template = "sales/partials/opportunity_rows.html" if request.htmx else "sales/opportunity_list.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if error else 200)


@require_POST
def opportunity_view_save(request: HttpRequest) -> HttpResponse:
    # A QueryDict (not a dict of lists) so single-valued names such as sort parse as strings.
    params = request.POST.copy()
    for key in ("csrfmiddlewaretoken", "view_name", "shared"):
        params.pop(key, None)
    try:
        view = saved_view_save(actor=request.user, object_type="opportunity", name=request.POST.get("view_name", ""),  # type: ignore[arg-type]
                               params=params, shared=request.POST.get("shared") == "on")
    except GuanxiError as exc:
        messages.error(request, " ".join(str(m) for errs in getattr(exc, "errors", {}).values() for m in errs) or exc.detail)
        return redirect("sales:opportunity_list")
    messages.success(request, _("View saved."))
    return redirect(f"{reverse('sales:opportunity_list')}?view={view.pk}")


@require_POST
def opportunity_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = saved_view_get(actor=request.user, pk=view_id)  # type: ignore[arg-type]
    if view.object_type != "opportunity":
        raise NotFound()
    saved_view_delete(actor=request.user, view=view)  # type: ignore[arg-type]
    messages.success(request, _("View deleted."))
    return redirect("sales:opportunity_list")


@require_POST
def opportunity_bulk(request: HttpRequest) -> HttpResponse:
    """Assign an owner to or delete the selected (or all matching) opportunities the user may change;
    the others are counted as skipped."""
    action = request.POST.get("action", "")
    if request.POST.get("scope") == "all":
        try:
            params = OPPORTUNITY_LIST.parse({k[2:]: request.POST.getlist(k) for k in request.POST if k.startswith("f_")})
        except ListParamError as exc:
            messages.error(request, exc.detail)
            return redirect("sales:opportunity_list")
        ids = list(selectors.opportunity_filtered(actor=request.user, params=params).values_list("pk", flat=True)[:BULK_LIMIT])  # type: ignore[arg-type]
    else:
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit() and int(i) < 2**63][:BULK_LIMIT]
    if not ids:
        messages.error(request, _("Select at least one opportunity."))
        return redirect("sales:opportunity_list")
    owner = None
    if action == "assign_owner":
        raw = request.POST.get("owner_id", "")
        owner = User.objects.filter(pk=int(raw), is_active=True).first() if raw.isdigit() and int(raw) < 2**63 else None
        if owner is None:
            messages.error(request, _("Choose an active user."))
            return redirect("sales:opportunity_list")
    elif action != "delete":
        messages.error(request, _("Unknown bulk action."))
        return redirect("sales:opportunity_list")
    done = 0
    with transaction.atomic():
        for opp in editable_queryset(request.user, Opportunity.objects.filter(pk__in=ids)):
            if owner is not None:
                if opp.owner_id != owner.pk:
                    services.opportunity_transfer(actor=request.user, opportunity=opp, new_owner=owner)  # type: ignore[arg-type]
            else:
                services.opportunity_delete(actor=request.user, opportunity=opp)  # type: ignore[arg-type]
            done += 1
    messages.success(request, _("%(done)d changed, %(skipped)d skipped (not yours to change).") % {"done": done, "skipped": len(set(ids)) - done})
    return redirect("sales:opportunity_list")


# --- detail --------------------------------------------------------------------------------------

def duration_text(seconds: int) -> str:
    """Time in a stage, in the largest whole unit (days, hours, else minutes)."""
    if seconds >= 86400:
        n = seconds // 86400
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    if seconds >= 3600:
        n = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    n = seconds // 60
    return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}


def _activity_create_url(opp: Opportunity) -> str:
    try:
        return f"{reverse('sales:activity_create')}?{urlencode({'opportunity': opp.pk})}"
    except NoReverseMatch:  # the activity pages are not installed
        return ""


def _url_or_empty(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Header, lines, buying group, time in each stage with the history, activities."""
    found = lifecycle.get_visible(request.user, Opportunity, pk)
    opp = (Opportunity.objects.select_related("account", "stage", "pipeline", "owner", "team", "loss_reason", "won_order")
           .get(pk=found.pk))
    lines = [(ln, services.line_total(ln)) for ln in opp.lines.select_related("product").order_by("id")]
    contacts = list(opp.contact_links.select_related("contact").order_by("contact__name_sort", "id"))
    activities = list(visible_to(request.user, Activity.objects.filter(opportunity=opp)).select_related("owner")
                      .order_by("-due_at", "-id")[:50])
    can_edit = editable_by(request.user, opp)
    context = {
        "opp": opp, "can_edit": can_edit, "lines": lines, "contacts": contacts,
        "durations": [(d, duration_text(d.seconds)) for d in selectors.stage_durations(opp)], "history": list(selectors.stage_history(opp)),
        "activities": [(a, _url_or_empty("sales:activity_detail", a.pk)) for a in activities],
        "activity_create_url": _activity_create_url(opp) if can_edit else "",
        "call_plan_url": _call_plan_url(opp) if can_edit else "",
        "stages": list(opp.pipeline.stages.order_by("position")),
        "account_visible": visible_to(request.user, Account.objects.filter(pk=opp.account_id)).exists(),
    }
    return render(request, "sales/opportunity_detail.html", context)


def _call_plan_url(opp: Opportunity) -> str:
    try:
        return f"{reverse('sales:call_plan_create')}?{urlencode({'opportunity': opp.pk})}"
    except NoReverseMatch:
        return ""


# --- create / edit -------------------------------------------------------------------------------

def _account_choices(request: HttpRequest, selected: str) -> list[tuple[int, str]]:
    qs = visible_to(request.user, Account.objects.all()).order_by("name_sort", "id")
    choices = [(a.pk, a.name) for a in qs.only("pk", "name")[:ACCOUNT_CHOICES]]
    if selected.isdigit() and int(selected) < 2**63 and all(pk != int(selected) for pk, _n in choices):
        extra = visible_to(request.user, Account.objects.filter(pk=int(selected))).only("pk", "name").first()
        if extra is not None:
            choices.insert(0, (extra.pk, extra.name))
    return choices


@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    lifecycle.require_can_create(request.user, Opportunity)  # type: ignore[arg-type]
    selected_account = request.POST.get("account") or request.GET.get("account") or ""
    pipelines = [(p.pk, p.name) for p in pipelines_for_everyone().order_by("position", "id")]
    default = default_pipeline()
    initial = {"account": selected_account, "pipeline": request.GET.get("pipeline") or (default.pk if default else "")}
    form = OpportunityForm(request.POST or None, initial=initial, accounts=_account_choices(request, selected_account),
                           pipelines=pipelines)
    if request.method == "POST" and form.is_valid():
        try:
            account = lifecycle.get_visible(request.user, Account, form.cleaned_data["account"])
            pipeline = Pipeline.objects.filter(pk=form.cleaned_data.get("pipeline") or 0, active=True).first()
            opp = services.opportunity_create(actor=request.user, account=account, data=form.service_data(), pipeline=pipeline)  # type: ignore[arg-type]
        except GuanxiError as exc:
            if exc.status == 404:
                form.add_error("account", _("This account does not exist or is not visible to you."))
            elif exc.status == 403:
                raise
            else:
                add_service_errors(form, exc, field_name=lambda f: {"pipeline_id": "pipeline", "stage_id": "pipeline"}.get(f, f))
        else:
            messages.success(request, _("Opportunity created."))
            return redirect("sales:opportunity_detail", pk=opp.pk)
    return render(request, "sales/opportunity_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opp = lifecycle.get_editable(request.user, Opportunity, pk)
    form = OpportunityForm(request.POST or None, instance=opp, initial={"version": opp.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(actor=request.user, opportunity=opp, version=form.cleaned_data["version"],  # type: ignore[arg-type]
                                        data=form.service_data())
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:opportunity_detail", pk=opp.pk)
    return render(request, "sales/opportunity_form.html", {"form": form, "opp": opp, "creating": False})


# --- win / lose ----------------------------------------------------------------------------------

def _next_url(request: HttpRequest, opp: Opportunity) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return reverse("sales:opportunity_detail", args=[opp.pk])


@require_http_methods(["GET", "POST"])
def opportunity_win(request: HttpRequest, pk: int) -> HttpResponse:
    """Close as won; optionally create the order in the customer archive (DOMAIN §2)."""
    opp = lifecycle.get_editable(request.user, Opportunity, pk)
    form = WinForm(request.POST or None, initial={"version": opp.version})
    if opp.stage.kind == StageKind.WON:
        form.add_error(None, _("This opportunity is already won."))
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            won = services.opportunity_win(actor=request.user, opportunity=opp, version=data["version"],  # type: ignore[arg-type]
                                           create_order=bool(data.get("create_order")), order_date=data.get("order_date"),
                                           gross_profit=data.get("gross_profit"))
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc)
        else:
            if won.won_order_id:
                messages.success(request, _("Won. Order %(order)s was created in the customer archive.") % {"order": won.won_order})
            else:
                messages.success(request, _("Won."))
            return redirect(_next_url(request, opp))
    return render(request, "sales/opportunity_close.html",
                  {"form": form, "opp": opp, "winning": True, "next": _next_url(request, opp)})


@require_http_methods(["GET", "POST"])
def opportunity_lose(request: HttpRequest, pk: int) -> HttpResponse:
    """Close as lost: a loss reason is required (DOMAIN §2)."""
    opp = lifecycle.get_editable(request.user, Opportunity, pk)
    form = LoseForm(request.POST or None, initial={"version": opp.version})
    if opp.stage.kind == StageKind.LOST:
        form.add_error(None, _("This opportunity is already lost."))
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.opportunity_lose(actor=request.user, opportunity=opp, loss_reason=data["loss_reason"],  # type: ignore[arg-type]
                                      note=data.get("note") or "", version=data["version"])
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc, field_name=lambda f: {"loss_reason_id": "loss_reason"}.get(f, f))
        else:
            messages.success(request, _("Marked as lost."))
            return redirect(_next_url(request, opp))
    return render(request, "sales/opportunity_close.html",
                  {"form": form, "opp": opp, "winning": False, "next": _next_url(request, opp)})
