from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.audit import lifecycle
from guanxi.core.errors import GuanxiError
from guanxi.core.listing import ListDefinition, ListParamError
from guanxi.core.pagination import keyset_page_or_first
from guanxi.customers import contacts as services
from guanxi.customers import selectors
from guanxi.customers.forms import add_service_errors
from guanxi.customers.lists import CONTACT_LIST, ORDER_LIST
from guanxi.customers.models import Contact, Order
from guanxi.users.visibility import editable_by, visible_to


class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    other_phones_text = forms.CharField(label=gettext_lazy("Other phones"), required=False, max_length=400,
                                        help_text=gettext_lazy("Separate several numbers with commas."))

    class Meta:
        model = Contact
        fields = ["name", "title", "department_name", "mobile", "email", "wechat", "birthday", "notes"]
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"}), "notes": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self) -> None:
        pass  # validated by the contact services, once for web, API and imports

    def service_data(self) -> dict[str, object]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "other_phones_text")}
        data["other_phones"] = self.cleaned_data.get("other_phones_text") or []
        return data


def _list_page(request: HttpRequest, definition: ListDefinition, qs_builder, template: str, extra: dict[str, object]) -> HttpResponse:  # type: ignore[no-untyped-def]
    error = ""
    try:
        params = definition.parse(request.GET)
    except ListParamError as exc:
        error, params = exc.detail, definition.parse({})
    qs = qs_builder(params)
    page = keyset_page_or_first(qs, order=definition.order(params), after=request.GET.get("after") or None, limit=50)
    context = {"page": page, "params": params, "sort": params.sort, "error": error, "q": params.filters.get("q", [""])[0],
               "query": urlencode(params.as_querydict(), doseq=True), "columns": definition.visible_columns(params), **extra}
    return render(request, template, context, status=400 if error else 200)


def contact_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, CONTACT_LIST, lambda p: selectors.contact_filtered(actor=request.user, params=p),  # type: ignore[arg-type]
                      "customers/contact_list.html", {})


def order_list(request: HttpRequest) -> HttpResponse:
    def build(params):  # type: ignore[no-untyped-def]
        qs = visible_to(request.user, Order.objects.all()).select_related("account")
        return ORDER_LIST.apply(qs, params, request.user)

    return _list_page(request, ORDER_LIST, build, "customers/order_list.html", {})


def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = lifecycle.get_visible(request.user, Contact, pk)
    accounts = visible_to(request.user, contact.accounts.all())
    return render(request, "customers/contact_detail.html",
                  {"contact": contact, "accounts": accounts, "can_edit": editable_by(request.user, contact)})


@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    lifecycle.require_can_create(request.user, Contact)  # type: ignore[arg-type]
    form = ContactForm(request.POST or None)
    account_id = request.GET.get("account") or request.POST.get("account") or ""
    if request.method == "POST" and form.is_valid():
        ids = [int(account_id)] if account_id.isdigit() and int(account_id) < 2**63 else []
        try:
            contact = services.contact_create(actor=request.user, data=form.service_data(), account_ids=ids)  # type: ignore[arg-type]
        except GuanxiError as exc:
            add_service_errors(form, exc, field_name=lambda f: "other_phones_text" if f == "other_phones" else f)
        else:
            messages.success(request, _("Contact created."))
            return redirect("customers:contact_detail", pk=contact.pk)
    return render(request, "customers/contact_form.html", {"form": form, "account_id": account_id})


@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = lifecycle.get_editable(request.user, Contact, pk)
    form = ContactForm(request.POST or None, instance=contact,
                       initial={"version": contact.version, "other_phones_text": ", ".join(contact.other_phones or [])})
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(actor=request.user, contact=contact, version=form.cleaned_data["version"], data=form.service_data())  # type: ignore[arg-type]
        except GuanxiError as exc:
            add_service_errors(form, exc, field_name=lambda f: "other_phones_text" if f == "other_phones" else f)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:contact_detail", pk=contact.pk)
    return render(request, "customers/contact_form.html", {"form": form, "contact": contact})


@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = lifecycle.get_editable(request.user, Contact, pk)
    services.contact_delete(actor=request.user, contact=contact)  # type: ignore[arg-type]
    messages.success(request, _("Moved to the trash. You can restore it for 30 days."))
    return redirect("customers:contact_list")
