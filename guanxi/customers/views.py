from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.audit import lifecycle, sharing
from guanxi.audit.selectors import history_for_ids, with_change_lines
from guanxi.core.errors import GuanxiError, NotFound, ValidationFailed, VersionConflict
from guanxi.core.listing import ListParamError, ListParams
from guanxi.core.pagination import keyset_page_or_first
from guanxi.customers import account360, pool, selectors, services
from guanxi.customers.bulk import BULK_MAX, bulk_start
from guanxi.customers.forms import AccountForm, TransferForm, add_service_errors
from guanxi.customers.lists import ACCOUNT_LIST
from guanxi.customers.models import Account
from guanxi.customers.saved_views import saved_view_delete, saved_view_get, saved_view_save
from guanxi.customers.timeline import account_timeline
from guanxi.customers.views_listing import column_choices_html, only_shown, options_html, owner_names, rows_html
from guanxi.users.models import Team, User
from guanxi.users.visibility import can_create, editable_by


def _account_field(field: str) -> str:
    """Service error keys → form fields: custom.<key> errors belong to the cf_<key> inputs."""
    return "cf_" + field[len("custom."):] if field.startswith("custom.") else field


def _filter_widgets(params: ListParams, users: list[User]) -> list[dict[str, object]]:
    """Everything the filter sidebar shows, computed once here instead of in nested template loops."""
    active = params.filters
    widgets: list[dict[str, object]] = []
    for name, flt in ACCOUNT_LIST.all_filters().items():
        chosen = set(active.get(name, []))
        if flt.kind == "choice":
            widgets.append({"name": name, "label": flt.label, "kind": "choice",
                            "options_html": options_html((v, label, v in chosen) for v, label in flt.choices)})
        elif flt.kind == "date_range":
            widgets.append({"name": name, "label": flt.label, "kind": "date",
                            "from": active.get(f"{name}__from", [""])[0], "to": active.get(f"{name}__to", [""])[0]})
        elif name == "owner":
            options = [("me", _("Me"), "me" in chosen), ("none", _("Public pool"), "none" in chosen)]
            options += [(str(u.pk), str(u), str(u.pk) in chosen) for u in users]
            widgets.append({"name": name, "label": flt.label, "kind": "choice", "options_html": options_html(options)})
        elif flt.kind in ("text", "exact") or name == "tag":
            widgets.append({"name": name, "label": flt.label, "kind": "text", "value": next(iter(active.get(name, [])), "")})
    return widgets


def account_list(request: HttpRequest) -> HttpResponse:
    """Accounts with allow-listed filters, sorts, saved views, a column chooser and bulk actions."""
    data = request.GET.copy()
    view = None
    if data.get("view"):
        view = saved_view_get(actor=request.user, pk=data["view"])  # type: ignore[arg-type]
        data = QueryDict(mutable=True)
        data.update(view.params)  # type: ignore[arg-type]
    error = ""
    try:
        params = ACCOUNT_LIST.parse(data)
    except ListParamError as exc:
        error = exc.detail
        params = ACCOUNT_LIST.parse({})
    columns = ACCOUNT_LIST.visible_columns(params)
    order = ACCOUNT_LIST.order(params)
    qs = only_shown(selectors.account_filtered(actor=request.user, params=params), columns, order)  # type: ignore[arg-type]
    page = keyset_page_or_first(qs, order=order, after=request.GET.get("after") or None, limit=50)
    users = list(User.objects.filter(is_active=True).order_by("username").only("pk", "username", "display_name", "first_name", "last_name"))
    detail = reverse("customers:account_detail", args=[0]).replace("/0/", "/{}/")  # one reverse() per page, not per row
    query = params.as_querydict()
    can_write = can_create(request.user, Account)  # read-only roles get no bulk actions and no import
    context = {
        "page": page, "rows_html": rows_html(page.items, columns, detail, owner_names(page.items, users), selectable=can_write),
        "can_write": can_write,
        "columns": columns, "all_columns": ACCOUNT_LIST.columns, "params": params,
        "q": params.filters.get("q", [""])[0],
        "sort": params.sort, "query": urlencode(query, doseq=True), "error": error,
        "filter_pairs": [(k, v) for k, vs in params.filters.items() for v in vs],
        "saved_views": selectors.saved_views_for(actor=request.user, object_type="account")  # type: ignore[arg-type]
        .only("pk", "name", "shared", "owner_id"),
        "current_view": view, "active": any(k != "q" for k in params.filters),
        "users": users, "filter_widgets": _filter_widgets(params, users),
        "column_choices_html": column_choices_html(ACCOUNT_LIST.columns, columns),
        "owner_options_html": options_html((str(u.pk), u, False) for u in users),
    }
    template = "customers/partials/account_rows.html" if request.htmx else "customers/account_list.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if error else 200)


@require_POST
def account_view_save(request: HttpRequest) -> HttpResponse:
    params = {k: request.POST.getlist(k) for k in request.POST if k not in ("csrfmiddlewaretoken", "view_name", "shared")}
    try:
        view = saved_view_save(actor=request.user, object_type="account", name=request.POST.get("view_name", ""),  # type: ignore[arg-type]
                               params=params, shared=request.POST.get("shared") == "on")
    except GuanxiError as exc:
        messages.error(request, exc.detail)
        return redirect("customers:account_list")
    messages.success(request, _("View saved."))
    return redirect(f"{reverse('customers:account_list')}?view={view.pk}")


@require_POST
def account_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = saved_view_get(actor=request.user, pk=view_id)  # type: ignore[arg-type]
    saved_view_delete(actor=request.user, view=view)  # type: ignore[arg-type]
    messages.success(request, _("View deleted."))
    return redirect("customers:account_list")


@require_POST
def account_bulk(request: HttpRequest) -> HttpResponse:
    raw_ids = request.POST.getlist("ids")
    if request.POST.get("scope") == "all":
        params = ACCOUNT_LIST.parse({k[2:]: request.POST.getlist(k) for k in request.POST if k.startswith("f_")})
        ids = list(selectors.account_filtered(actor=request.user, params=params).values_list("pk", flat=True)[: BULK_MAX])  # type: ignore[arg-type]
    else:
        ids = [int(i) for i in raw_ids if i.isdigit() and int(i) < 2**63][:BULK_MAX]
    args: dict[str, object] = {}
    if request.POST.get("owner_id", "").isdigit():
        args["owner_id"] = int(request.POST["owner_id"])
    if request.POST.get("tag"):
        args["tag"] = request.POST["tag"]
    if not ids:
        messages.error(request, _("Select at least one account."))
        return redirect("customers:account_list")
    try:
        outcome = bulk_start(actor=request.user, ids=ids, action=request.POST.get("action", ""), args=args)  # type: ignore[arg-type]
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for errs in exc.errors.values() for m in errs))
        return redirect("customers:account_list")
    if "job_id" in outcome:
        return redirect("web:job_detail", job_id=outcome["job_id"])
    result = outcome["result"]
    messages.success(request, _("%(done)d changed, %(skipped)d skipped (not yours to change).") % result)
    return redirect("customers:account_list")


def pool_list(request: HttpRequest) -> HttpResponse:
    page = keyset_page_or_first(pool.pool_queryset(actor=request.user), order=("name_sort", "id"),  # type: ignore[arg-type]
                                after=request.GET.get("after") or None, limit=50)
    return render(request, "customers/pool_list.html", {"page": page})


@require_POST
def pool_claim(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        account = pool.pool_claim(actor=request.user, account_id=pk)  # type: ignore[arg-type]
    except GuanxiError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.detail)
        return redirect("customers:pool")
    messages.success(request, _("You now own %(name)s.") % {"name": account.name})
    return redirect("customers:account_detail", pk=account.pk)


@require_POST
def account_release(request: HttpRequest, pk: int) -> HttpResponse:
    account = lifecycle.get_editable(request.user, Account, pk)
    pool.pool_release(actor=request.user, account=account, reason=request.POST.get("reason", "")[:200])  # type: ignore[arg-type]
    messages.success(request, _("%(name)s is now in the public pool.") % {"name": account.name})
    return redirect("customers:account_list")


ACCOUNT_TABS = ("overview", "contacts", "orders", "timeline", "sharing")
ACCOUNT_TAB_LABELS = {"overview": gettext_lazy("Overview"), "contacts": gettext_lazy("Contacts"), "orders": gettext_lazy("Orders"),
                      "timeline": gettext_lazy("Timeline"), "sharing": gettext_lazy("Sharing")}


def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360° page: header and tabs; each tab's body loads with htmx (account_tab)."""
    account = account360.get_account_for_360(request.user, pk)  # type: ignore[arg-type]
    # (name, label, URL) per tab, built once here instead of a {% url %} and a chain of
    # {% if %}/{% translate %} per tab in the template.
    tab_url = reverse("customers:account_tab", args=[account.pk, "overview"]).replace("/overview/", "/{}/")
    tabs = [(tab, ACCOUNT_TAB_LABELS[tab], tab_url.format(tab)) for tab in ACCOUNT_TABS]
    return render(
        request,
        "customers/account_detail.html",
        {"account": account, "can_edit": editable_by(request.user, account), "tabs": tabs},
    )


def account_tab(request: HttpRequest, pk: int, tab: str) -> HttpResponse:
    if tab not in ACCOUNT_TABS:
        raise NotFound()
    account = lifecycle.get_visible(request.user, Account, pk)
    context: dict[str, object] = {"account": account, "tab": tab}
    if tab in ("overview", "contacts"):
        limit = 5 if tab == "overview" else 50
        context["contacts"], context["contact_total"] = account360.account_contacts(account, limit=limit)
    if tab in ("overview", "orders"):
        context["summary"] = account360.order_summary(account)
    if tab == "orders":  # the overview shows totals and the chart, not the order lines
        context["orders"] = account360.account_orders(account, limit=50)
    if tab == "overview":
        context["series"] = account360.monthly_series(account)
    if tab == "sharing":
        context["shares"] = sharing.shares_of(account)
        context["can_edit"] = editable_by(request.user, account)
        context["users"] = User.objects.filter(is_active=True).exclude(pk=account.owner_id).order_by("username")  # type: ignore[misc]
        context["teams"] = Team.objects.order_by("name")
    if tab == "timeline":
        context["items"] = account_timeline(account, limit=100, actor=request.user)
    return render(request, f"customers/partials/tab_{tab}.html", context)


def account_history(request: HttpRequest, pk: int) -> HttpResponse:
    account = lifecycle.get_visible(request.user, Account, pk, include_deleted=True)
    # A merge moves history to the survivor: show the merged-away records' entries too.
    ids = [account.pk, *Account.all_objects.filter(merged_into=account).values_list("pk", flat=True)]
    entries = with_change_lines(Account, history_for_ids(Account, ids)[:200])
    return render(request, "customers/partials/history.html", {"entries": entries})


@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    lifecycle.require_can_create(request.user, Account)  # type: ignore[arg-type]
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            account = services.account_create(actor=request.user, data=data)  # type: ignore[arg-type]
        except GuanxiError as exc:
            add_service_errors(form, exc, field_name=_account_field)
        else:
            messages.success(request, _("Account created."))
            return redirect("customers:account_detail", pk=account.pk)
    return render(request, "customers/account_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = lifecycle.get_editable(request.user, Account, pk)
    form = AccountForm(request.POST or None, instance=account, initial={"version": account.version})
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            services.account_update(actor=request.user, account=account, version=form.cleaned_data["version"], data=data)  # type: ignore[arg-type]
        except GuanxiError as exc:
            add_service_errors(form, exc, field_name=_account_field)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:account_detail", pk=account.pk)
    return render(request, "customers/account_form.html", {"form": form, "account": account, "creating": False})


@require_POST
def account_delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = lifecycle.get_editable(request.user, Account, pk)
    version = request.POST.get("version", "")
    try:
        services.account_delete(actor=request.user, account=account, version=int(version) if version.isdigit() else None)  # type: ignore[arg-type]
    except VersionConflict as exc:
        messages.error(request, exc.detail)
        return redirect("customers:account_detail", pk=account.pk)
    messages.success(request, _("Moved to the trash. You can restore it for 30 days."))
    return redirect("customers:account_list")


@require_http_methods(["GET", "POST"])
def account_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    account = lifecycle.get_editable(request.user, Account, pk)
    users = User.objects.filter(is_active=True).order_by("username")
    form = TransferForm(request.POST or None, users=users, initial={"version": account.version, "owner": account.owner_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.account_transfer(actor=request.user, account=account, new_owner=form.cleaned_data["owner"], version=form.cleaned_data["version"])  # type: ignore[arg-type]
        except GuanxiError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("Owner changed."))
            return redirect("customers:account_detail", pk=account.pk)
    return render(request, "customers/account_transfer.html", {"form": form, "account": account})


@require_POST
def account_share(request: HttpRequest, pk: int) -> HttpResponse:
    account = lifecycle.get_editable(request.user, Account, pk)
    target = request.POST.get("target", "")
    kind, _sep, raw_id = target.partition(":")
    user = User.objects.filter(pk=int(raw_id), is_active=True).first() if kind == "user" and raw_id.isdigit() else None
    team = Team.objects.filter(pk=int(raw_id)).first() if kind == "team" and raw_id.isdigit() else None
    try:
        sharing.share_create(actor=request.user, obj=account, user=user, team=team, can_edit=request.POST.get("can_edit") == "on")  # type: ignore[arg-type]
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for errs in exc.errors.values() for m in errs))
    else:
        messages.success(request, _("Shared."))
    return redirect("customers:account_detail", pk=account.pk)


@require_POST
def account_unshare(request: HttpRequest, pk: int, share_id: int) -> HttpResponse:
    account = lifecycle.get_editable(request.user, Account, pk)
    sharing.share_delete(actor=request.user, obj=account, share_id=share_id)  # type: ignore[arg-type]
    messages.success(request, _("No longer shared."))
    return redirect("customers:account_detail", pk=account.pk)
