"""Forms of the complaint pages (客户投诉, DOMAIN §4 "Complaints"; issue 6 items 1–3), and the
complaint list's allow-list of filters, sorts and columns.

They only shape the input. Every rule — which records a step of the procedure needs, who may close
without the customer's confirmation, the compensation that needs approval, references that must be
visible and belong together — is checked once by ``guanxi.service.complaints`` (the API calls the
same services), and its errors come back onto these forms through ``add_service_errors``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from guanxi.core.listing import Column, Filter, ListDefinition, ListParamError, choices_of
from guanxi.customers.lists import _owner_filter
from guanxi.sales.forms import version_field
from guanxi.service import complaint_flow as flow
from guanxi.service import sla
from guanxi.service.complaint_clean import FLOW_NAMES, TEXT_LIMITS
from guanxi.service.models import Channel, Complaint, ComplaintCategory, ComplaintState, Severity

# --- the list ---------------------------------------------------------------------------------------

_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _breached_filter(qs: QuerySet[Any], values: list[str], actor: Any) -> QuerySet[Any]:
    """breached=true: past a response or resolution deadline not met (the SLA job's own test)."""
    value = values[0].lower()
    if value not in _YES + _NO:
        raise ListParamError(_("Unknown value for %(name)s") % {"name": "breached"}, code="list.invalid_value")
    condition = sla.breached_q(timezone.now())
    return qs.filter(condition) if value in _YES else qs.exclude(condition)


COMPLAINT_LIST = ListDefinition(
    object_type="complaint",
    filters=[
        Filter("state", _("State"), "choice", choices=choices_of(ComplaintState)),
        Filter("category", _("Category"), "choice", lookup="complaint_type__category", choices=choices_of(ComplaintCategory)),
        Filter("type", _("Type"), "int", lookup="complaint_type_id"),
        Filter("channel", _("Channel"), "choice", choices=choices_of(Channel)),
        Filter("severity", _("Severity"), "choice", choices=choices_of(Severity)),
        Filter("owner", _("Owner"), "custom", apply=_owner_filter),
        Filter("breached", _("SLA"), "custom", choices=(("true", _("Breached")), ("false", _("Within the SLA"))),
               apply=_breached_filter),
        Filter("account", _("Account"), "int", lookup="account_id"),
        Filter("opened", _("Filed on"), "date_range", lookup="opened_at__date"),
    ],
    columns=[
        Column("number", _("Tracking number"), sort=("number", "id")),
        Column("title", _("Subject")),
        Column("account", _("Account")),
        Column("type", _("Type")),
        Column("channel", _("Channel"), default=False),
        Column("severity", _("Severity")),
        Column("state", _("State")),
        Column("owner", _("Owner")),
        Column("sla", _("SLA timer")),
        Column("opened", _("Filed on"), sort=("opened_at", "id")),
    ],
    default_sort="-opened",
)


# --- create / edit ----------------------------------------------------------------------------------

def label(name: str) -> Any:
    """The model's own (translated) label of a complaint field."""
    field = Complaint._meta.get_field(name.removesuffix("_id"))
    return capfirst(getattr(field, "verbose_name", name))


def _id_choice(name: str, choices: list[tuple[int, str]] | None = None, *, required: bool = False) -> forms.TypedChoiceField:
    field = forms.TypedChoiceField(label=label(name), coerce=int, required=required, empty_value=None)
    field.choices = [("", "—"), *(choices or [])]
    return field


class ComplaintForm(forms.Form):
    """File a complaint (staff) or edit its facts: the customer, what it is about and how it came in."""

    title = forms.CharField(label=label("title"), max_length=TEXT_LIMITS["title"])
    description = forms.CharField(label=label("description"), max_length=TEXT_LIMITS["description"],
                                  widget=forms.Textarea(attrs={"rows": 5}))
    complaint_type = forms.TypedChoiceField(label=label("complaint_type"), coerce=int)
    channel = forms.ChoiceField(label=label("channel"), choices=Channel.choices)
    severity = forms.ChoiceField(label=label("severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    account = forms.TypedChoiceField(label=label("account"), coerce=int, required=False, empty_value=None)
    contact = forms.TypedChoiceField(label=label("contact"), coerce=int, required=False, empty_value=None)
    order = forms.TypedChoiceField(label=label("order"), coerce=int, required=False, empty_value=None)
    product = forms.CharField(label=label("product"), max_length=TEXT_LIMITS["product"], required=False)
    submitter_name = forms.CharField(label=label("submitter_name"), max_length=TEXT_LIMITS["submitter_name"], required=False)
    submitter_email = forms.CharField(label=label("submitter_email"), max_length=254, required=False,
                                      widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    submitter_phone = forms.CharField(label=label("submitter_phone"), max_length=TEXT_LIMITS["submitter_phone"], required=False)
    version = version_field(required=False)

    def __init__(self, *args: Any, types: list[tuple[int, str]], accounts: list[tuple[int, str]], contacts: list[tuple[int, str]],
                 orders: list[tuple[int, str]], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["complaint_type"].choices = [("", "—"), *types]  # type: ignore[attr-defined]
        self.fields["account"].choices = [("", "—"), *accounts]  # type: ignore[attr-defined]
        self.fields["contact"].choices = [("", "—"), *contacts]  # type: ignore[attr-defined]
        self.fields["order"].choices = [("", "—"), *orders]  # type: ignore[attr-defined]
        self.fields["account"].help_text = _("The contact and the order are chosen among the account's.")
        self.fields["version"].required = editing

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("version", "complaint_type", "account", "contact", "order")}
        data.update(complaint_type_id=self.cleaned_data.get("complaint_type"), account_id=self.cleaned_data.get("account"),
                    contact_id=self.cleaned_data.get("contact"), order_id=self.cleaned_data.get("order"))
        return data


def service_field(name: str) -> str:
    """Form field of a service error key (the service names references with ``_id``)."""
    return {"complaint_type_id": "complaint_type", "account_id": "account", "contact_id": "contact", "order_id": "order"}.get(name, name)


# --- moving through the procedure -------------------------------------------------------------------

_TEXT_HELP = {
    "empathy_note": _("E: how you showed the customer you understand how they feel."),
    "listening_note": _("L: what the customer told you, in their words."),
    "apology_note": _("A: the apology made for the situation."),
    "agreed_remedy": _("What was agreed with the customer to put it right."),
    "root_cause": _("Why it happened (分清责任: on file for analysis)."),
    "customer_confirmation": _("How and when the customer confirmed the resolution, in their words."),
}
_FLOW_TO_FIELD = {v: k for k, v in FLOW_NAMES.items()}


def record_names(current: str, target: str) -> list[str]:
    """The service's names of the records a move asks for (in the procedure's order), plus the
    reason a reopen or an override needs."""
    if current not in flow.TRANSITIONS or target not in flow.TRANSITIONS:
        return []
    names = [_FLOW_TO_FIELD.get(n, n) for n in flow.required_records(target)]
    if "compensation" in names:
        names.insert(names.index("compensation") + 1, "compensation_currency")
    if flow.is_reopen(current, target):
        names = ["reopen_reason"]
    if flow.is_override(current, target):
        names.append("override_reason")
    return names


def _record_field(name: str, departments: list[tuple[int, str]], people: list[tuple[int, str]]) -> forms.Field:
    if name == "responsible_department_id":
        return _id_choice(name, departments)
    if name == "responsible_person_id":
        return _id_choice(name, people)
    if name == "compensation":
        return forms.DecimalField(label=label(name), required=False, min_value=0, max_digits=18, decimal_places=2,
                                  widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                                  help_text=_("As money; enter 0 when none is paid. An amount above the approval limit "
                                              "(by default ¥5,000) first goes to your manager, and the complaint is locked "
                                              "until they decide."))
    if name == "compensation_currency":
        return forms.CharField(label=label(name), max_length=3, required=False, widget=forms.TextInput(attrs={"size": 4}))
    if name == "follow_up_at":
        return forms.DateTimeField(label=label(name), required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                   help_text=_("When to visit the customer again (回访); closing schedules the visit."))
    if name == "reopen_reason":
        return forms.CharField(label=_("Why is it reopened?"), required=False, max_length=TEXT_LIMITS[name],
                               widget=forms.Textarea(attrs={"rows": 2}))
    if name == "override_reason":
        return forms.CharField(label=_("Reason for closing without the customer's confirmation"), required=False,
                               max_length=TEXT_LIMITS[name], widget=forms.Textarea(attrs={"rows": 2}))
    return forms.CharField(label=label(name), required=False, max_length=TEXT_LIMITS.get(name, 5000),
                           widget=forms.Textarea(attrs={"rows": 2}), help_text=_TEXT_HELP.get(name, ""))


class TransitionForm(forms.Form):
    """One move of the procedure with the records it needs, filled in with what is on file. The
    fields are optional here: the service says which are missing, one message per field."""

    version = version_field()

    def __init__(self, *args: Any, complaint: Complaint, target: str, departments: list[tuple[int, str]],
                 people: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"to-{target}")
        initial: dict[str, Any] = {"version": complaint.version}
        self.names = record_names(complaint.state, target)
        for name in self.names:
            if name not in ("reopen_reason", "override_reason"):
                value = getattr(complaint, name)
                if name == "follow_up_at" and value is not None:
                    value = timezone.localtime(value)
                initial[name] = value
        if "compensation_currency" in self.names and not initial.get("compensation_currency"):
            initial["compensation_currency"] = settings.DEFAULT_CURRENCY
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.target = target
        self.is_reopen = flow.is_reopen(complaint.state, target)
        self.is_override = flow.is_override(complaint.state, target)
        for name in self.names:
            self.fields[name] = _record_field(name, departments, people)

    def records(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for name in self.names:
            if name == "override_reason":
                continue
            value = data.get(name)
            if name == "compensation_currency":
                value = (value or settings.DEFAULT_CURRENCY).strip().upper()
            elif isinstance(value, str):
                value = value.strip()
            elif isinstance(value, Decimal):
                value = str(value)
            out[name] = value
        return out

    def override_reason(self) -> str:
        return str(self.cleaned_data.get("override_reason") or "")


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Write 1 to 5000 characters.")})
    public = forms.BooleanField(label=_("Message to the customer (shown on their status page)"), required=False)


class AssignForm(forms.Form):
    owner = forms.TypedChoiceField(label=_("New owner"), coerce=int, error_messages={"required": _("Choose an active user.")})
    version = version_field()

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—"), *people]  # type: ignore[attr-defined]
