"""Creating and editing complaints for staff (客户投诉, DOMAIN §4; issue 6 item 1): the customer's
account, contact and order, the type, channel and severity. Split from ``views_complaints`` (the
list, the complaint page and its actions). The account's contacts and orders are offered once an
account is chosen (htmx), and the service checks again that they are visible and belong together.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError
from guanxi.customers.forms import add_service_errors
from guanxi.customers.models import Account, Contact, Order
from guanxi.service import complaints as services
from guanxi.service.forms_complaints import ComplaintForm, service_field
from guanxi.service.models import Complaint, ComplaintType
from guanxi.users.models import User
from guanxi.users.visibility import visible_to

ACCOUNT_CHOICES = 300
REF_CHOICES = 100


def _int(raw: Any) -> int | None:
    raw = str(raw or "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None


def _account_choices(actor: User, selected: int | None) -> list[tuple[int, str]]:
    qs = visible_to(actor, Account.objects.all()).order_by("name_sort", "id")
    choices = [(a.pk, a.name) for a in qs.only("pk", "name")[:ACCOUNT_CHOICES]]
    if selected is not None and all(pk != selected for pk, _n in choices):
        extra = visible_to(actor, Account.objects.filter(pk=selected)).only("pk", "name").first()
        if extra is not None:
            choices.insert(0, (extra.pk, extra.name))
    return choices


def _account_refs(actor: User, account_id: int | None) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The contacts and orders of a visible account (the complaint's contact and order are its)."""
    if account_id is None or not visible_to(actor, Account.objects.filter(pk=account_id)).exists():
        return [], []
    contacts = visible_to(actor, Contact.objects.filter(account_links__account_id=account_id)).order_by("name_sort", "id")
    orders = visible_to(actor, Order.objects.filter(account_id=account_id)).order_by("-order_date", "-id")
    return ([(ct.pk, ct.name) for ct in contacts.only("pk", "name")[:REF_CHOICES]],
            [(o.pk, f"{o.number or o.pk} · {o.order_date:%Y-%m-%d}") for o in orders.only("pk", "number", "order_date")[:REF_CHOICES]])


def _complaint_form(request: HttpRequest, *, complaint: Complaint | None = None, initial: dict[str, Any] | None = None) -> ComplaintForm:
    data = request.POST if request.method == "POST" else None
    account_id = _int(data.get("account") if data is not None else (initial or {}).get("account"))
    contacts, orders = _account_refs(request.user, account_id)  # type: ignore[arg-type]
    types = [(t.pk, f"{t.get_category_display()} · {t.name}") for t in ComplaintType.objects.all()
             if t.active or (complaint is not None and t.pk == complaint.complaint_type_id)]
    form = ComplaintForm(data, initial=initial, types=types, accounts=_account_choices(request.user, account_id),  # type: ignore[arg-type]
                         contacts=contacts, orders=orders, editing=complaint is not None)
    # Choosing the account reloads the contact and order choices (without JavaScript: on the next submit).
    form.fields["account"].widget.attrs.update({"hx-get": reverse("service:complaint_refs"), "hx-trigger": "change",
                                                "hx-target": "#account-refs", "hx-swap": "outerHTML"})
    return form


@require_GET
def complaint_refs(request: HttpRequest) -> HttpResponse:
    """htmx: the contact and order fields for the account chosen on the complaint form."""
    form = _complaint_form(request, initial={"account": request.GET.get("account")})
    return render(request, "service/complaints/partials/refs.html", {"form": form})


@require_http_methods(["GET", "POST"])
def complaint_create(request: HttpRequest) -> HttpResponse:
    lifecycle.require_can_create(request.user, Complaint)  # type: ignore[arg-type]
    initial = {"account": request.GET.get("account") or "", "severity": "medium", "channel": "phone"}
    form = _complaint_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_create(actor=request.user, data=form.service_data())  # type: ignore[arg-type]
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            add_service_errors(form, exc, field_name=service_field)
        else:
            messages.success(request, _("Complaint %(number)s filed.") % {"number": complaint.number})
            return redirect("service:complaint_detail", pk=complaint.pk)
    return render(request, "service/complaints/form.html", {"form": form, "creating": True},
                  status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def complaint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = lifecycle.get_editable(request.user, Complaint, pk)
    fields = ("title", "description", "channel", "severity", "product", "submitter_name", "submitter_email", "submitter_phone")
    initial = {name: getattr(complaint, name) for name in fields}
    initial.update(complaint_type=complaint.complaint_type_id, account=complaint.account_id or "", contact=complaint.contact_id or "",
                   order=complaint.order_id or "", version=complaint.version)
    form = _complaint_form(request, complaint=complaint, initial=initial)
    locked = services.is_locked(complaint)
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            services.complaint_update(actor=request.user, complaint=complaint, version=form.cleaned_data["version"],  # type: ignore[arg-type]
                                      data=form.service_data())
        except GuanxiError as exc:
            if exc.status in (403, 404):
                raise
            # A stale form shows the values someone else saved and carries the current version.
            add_service_errors(form, exc, field_name=service_field)
            status = exc.status
        else:
            messages.success(request, _("Saved."))
            return redirect("service:complaint_detail", pk=pk)
    return render(request, "service/complaints/form.html", {"form": form, "c": complaint, "creating": False, "locked": locked},
                  status=status)
