from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.audit import lifecycle
from guanxi.audit.selectors import history_for
from guanxi.core.errors import GuanxiError, NotFound, ValidationFailed, VersionConflict
from guanxi.core.pagination import InvalidCursor as InvalidCursorError
from guanxi.customers import account360, selectors, services
from guanxi.customers.timeline import account_timeline
from guanxi.customers.forms import AccountForm, TransferForm
from guanxi.customers.models import Account
from guanxi.users.models import User
from guanxi.users.visibility import editable_by


def _apply_errors(form: AccountForm, exc: GuanxiError) -> None:
    if isinstance(exc, ValidationFailed):
        for field, errs in exc.errors.items():
            for err in errs:
                form.add_error(field if field in form.fields else None, err)
    elif isinstance(exc, VersionConflict):
        changed = ", ".join(f"{form.fields[k].label}: {v}" for k, v in exc.changed.items() if k in form.fields)
        form.add_error(None, f"{exc.detail} {_('Current values')}: {changed}" if changed else exc.detail)
    else:
        form.add_error(None, exc.detail)


def account_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    sort = request.GET.get("sort", "name")
    if sort not in selectors.ACCOUNT_SORTS:
        sort = "name"
    try:
        page = selectors.account_list(actor=request.user, q=q, sort=sort, after=request.GET.get("after") or None, limit=50)  # type: ignore[arg-type]
    except InvalidCursorError:
        page = selectors.account_list(actor=request.user, q=q, sort=sort, limit=50)  # type: ignore[arg-type]
    template = "customers/partials/account_rows.html" if request.htmx else "customers/account_list.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page, "q": q, "sort": sort})


ACCOUNT_TABS = ("overview", "contacts", "orders", "timeline")


def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360° page: header and tabs; each tab's body loads with htmx (account_tab)."""
    account = account360.get_account_for_360(request.user, pk)  # type: ignore[arg-type]
    return render(
        request,
        "customers/account_detail.html",
        {"account": account, "can_edit": editable_by(request.user, account), "tabs": ACCOUNT_TABS},
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
        context["orders"] = account360.account_orders(account, limit=5 if tab == "overview" else 50)
    if tab == "overview":
        context["series"] = account360.monthly_series(account)
    if tab == "timeline":
        context["items"] = account_timeline(account, limit=100)
    return render(request, f"customers/partials/tab_{tab}.html", context)


def account_history(request: HttpRequest, pk: int) -> HttpResponse:
    account = lifecycle.get_visible(request.user, Account, pk, include_deleted=True)
    return render(request, "customers/partials/history.html", {"entries": history_for(account)[:200]})


@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            account = services.account_create(actor=request.user, data=data)  # type: ignore[arg-type]
        except GuanxiError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Account created."))
            return redirect("customers:account_detail", pk=account.pk)
    return render(request, "customers/account_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = lifecycle.get_editable(request.user, Account, pk)
    form = AccountForm(request.POST or None, instance=account, initial={"version": account.version})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.account_update(actor=request.user, account=account, version=form.cleaned_data["version"], data=data)  # type: ignore[arg-type]
        except GuanxiError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:account_detail", pk=account.pk)
    return render(request, "customers/account_form.html", {"form": form, "account": account, "creating": False})


@require_POST
def account_delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = lifecycle.get_editable(request.user, Account, pk)
    services.account_delete(actor=request.user, account=account)  # type: ignore[arg-type]
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
