"""Lead pages (线索, DOMAIN §2): list, detail, create / edit, and conversion. The conversion page
shows the archive's duplicate check (查重, DOMAIN §1) first — the matching accounts and contacts the
user may see, and how many others exist — and only then links or creates records (``lead_convert``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError
from guanxi.core.listing import ListParamError
from guanxi.core.pagination import keyset_page_or_first
from guanxi.customers.forms import add_service_errors
from guanxi.sales import leads as services
from guanxi.sales import selectors
from guanxi.sales.forms import LeadConvertForm, LeadForm
from guanxi.sales.lists import LEAD_LIST
from guanxi.sales.models import Lead, LeadStatus
from guanxi.users.models import User
from guanxi.users.visibility import can_see, editable_by

REASONS = {
    "credit_code": gettext_lazy("same credit code"),
    "name": gettext_lazy("same company name"),
    "phone": gettext_lazy("same phone"),
    "mobile": gettext_lazy("same mobile"),
    "email": gettext_lazy("same email"),
}
LIST_FILTERS = ("status", "source", "owner")


def lead_list(request: HttpRequest) -> HttpResponse:
    error = ""
    try:
        params = LEAD_LIST.parse(request.GET)
        qs = selectors.lead_filtered(actor=request.user, params=params)  # type: ignore[arg-type]
        page = keyset_page_or_first(qs, order=LEAD_LIST.order(params), after=request.GET.get("after") or None, limit=50)
    except ListParamError as exc:
        error, params = exc.detail, LEAD_LIST.parse({})
        page = keyset_page_or_first(selectors.lead_filtered(actor=request.user, params=params),  # type: ignore[arg-type]
                                    order=LEAD_LIST.order(params), limit=50)
    users = list(User.objects.filter(is_active=True).order_by("username").only("pk", "username", "display_name", "first_name", "last_name"))
    chosen = {k: set(v) for k, v in params.filters.items()}
    filters = LEAD_LIST.all_filters()
    widgets = [
        {"name": "status", "label": filters["status"].label, "kind": "choice",
         "options": [(v, label, v in chosen.get("status", set())) for v, label in filters["status"].choices]},
        {"name": "source", "label": filters["source"].label, "kind": "text", "value": next(iter(params.filters.get("source", [])), "")},
        {"name": "owner", "label": filters["owner"].label, "kind": "choice",
         "options": [("me", _("Me"), "me" in chosen.get("owner", set()))]
         + [(str(u.pk), str(u), str(u.pk) in chosen.get("owner", set())) for u in users]},
    ]
    columns = LEAD_LIST.visible_columns(params)
    context = {
        "page": page, "params": params, "sort": params.sort, "error": error, "q": params.filters.get("q", [""])[0],
        "query": urlencode(params.as_querydict(), doseq=True), "columns": columns, "filter_widgets": widgets,
        "filter_pairs": [(k, v) for k, vs in params.filters.items() for v in vs],
        "active": any(k != "q" for k in params.filters),
    }
    return render(request, "sales/lead_list.html", context, status=400 if error else 200)


def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = lifecycle.get_visible(request.user, Lead, pk)
    lead = Lead.objects.select_related("owner", "team", "converted_account", "converted_contact", "converted_opportunity").get(pk=lead.pk)
    converted = {
        "account": lead.converted_account if lead.converted_account and can_see(request.user, lead.converted_account) else None,
        "contact": lead.converted_contact if lead.converted_contact and can_see(request.user, lead.converted_contact) else None,
        "opportunity": lead.converted_opportunity if lead.converted_opportunity and can_see(request.user, lead.converted_opportunity) else None,
    }
    return render(request, "sales/lead_detail.html", {
        "lead": lead, "can_edit": editable_by(request.user, lead), "converted": converted,
        "can_convert": lead.status not in (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED),
    })


@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    lifecycle.require_can_create(request.user, Lead)  # type: ignore[arg-type]
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_create(actor=request.user, data=form.service_data())  # type: ignore[arg-type]
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Lead created."))
            return redirect("sales:lead_detail", pk=lead.pk)
    return render(request, "sales/lead_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = lifecycle.get_editable(request.user, Lead, pk)
    form = LeadForm(request.POST or None, instance=lead, initial={"version": lead.version})
    if lead.status == LeadStatus.CONVERTED:
        form.add_error(None, _("This lead has already been converted."))
    elif request.method == "POST" and form.is_valid():
        try:
            services.lead_update(actor=request.user, lead=lead, version=form.cleaned_data["version"], data=form.service_data())  # type: ignore[arg-type]
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:lead_detail", pk=lead.pk)
    return render(request, "sales/lead_form.html", {"form": form, "lead": lead, "creating": False})


def _reasons(codes: list[str]) -> str:
    return ", ".join(str(REASONS.get(c, c)) for c in codes)


@require_http_methods(["GET", "POST"])
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1 (GET): the duplicate check, with the choices it suggests. Step 2 (POST): convert."""
    lead = lifecycle.get_editable(request.user, Lead, pk)
    if lead.status == LeadStatus.CONVERTED:
        messages.error(request, _("This lead has already been converted."))
        return redirect("sales:lead_detail", pk=lead.pk)
    duplicates = services.lead_duplicates(request.user, lead)  # type: ignore[arg-type]
    accounts = [(a, _reasons(r)) for a, r in duplicates.accounts]
    contacts = [(c, _reasons(r)) for c, r in duplicates.contacts]
    account_choices = [(str(a.pk), f"{a.name} ({why})") for a, why in accounts]
    contact_choices = [(str(c.pk), f"{c.name} ({why})") for c, why in contacts]
    # Suggest linking what already exists: a second copy of a customer is what 查重 is there to prevent.
    initial = {
        "version": lead.version,
        "account": account_choices[0][0] if account_choices else "new",
        "contact": contact_choices[0][0] if contact_choices else "new",
        "opportunity_name": _("%(company)s opportunity") % {"company": lead.company or lead.name},
        "create_opportunity": True,
    }
    form = LeadConvertForm(request.POST or None, initial=initial, accounts=account_choices, contacts=contact_choices)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.lead_convert(actor=request.user, lead=lead, **form.service_kwargs())  # type: ignore[arg-type]
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc, field_name=lambda f: {"account_id": "account", "contact_id": "contact"}.get(f, f))
        else:
            messages.success(request, _("Lead converted."))
            if result.opportunity is not None:
                return redirect("sales:opportunity_detail", pk=result.opportunity.pk)
            return redirect("customers:account_detail", pk=result.account.pk)
    hidden_owners = sorted({h.owner or "" for h in duplicates.hidden if not h.in_pool and h.owner})
    return render(request, "sales/lead_convert.html", {
        "lead": lead, "form": form, "accounts": accounts,
        "opportunity_fields": [form[name] for name in ("opportunity_name", "amount", "expected_close", "role")], "contacts": contacts,
        "hidden_count": duplicates.hidden_count, "hidden_owners": hidden_owners,
        "hidden_in_pool": sum(1 for h in duplicates.hidden if h.in_pool),
    })
