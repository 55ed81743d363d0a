"""Forms of the sales pages. They only shape the input: every rule (amount, currency, probability,
stage, loss reason, duplicates) is checked once by the services the API also calls
(guanxi.sales.opportunities / leads), and service errors come back onto the form through
``add_service_errors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.sales.models import BuyingRole, DecisionType, Lead, LeadStatus, LossReason, Opportunity

STALE = _("This form is out of date. Reload the page and try again.")


def version_field(*, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, required=required, min_value=1, max_value=2**31 - 1,
                              error_messages={"required": STALE, "invalid": STALE, "min_value": STALE, "max_value": STALE})


class OpportunityForm(forms.ModelForm):  # type: ignore[type-arg]
    """Create (with an account and a pipeline) or edit the plain fields of an opportunity."""

    version = version_field(required=False)
    account = forms.TypedChoiceField(label=_("Account"), coerce=int, required=False)
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int, required=False)

    class Meta:
        model = Opportunity
        fields = ["name", "amount", "currency", "probability", "expected_close", "decision_type", "source", "notes"]
        widgets = {
            "expected_close": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "amount": forms.TextInput(attrs={"inputmode": "decimal"}),
        }

    def __init__(self, *args: Any, accounts: list[tuple[int, str]] | None = None,
                 pipelines: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        creating = not self.instance.pk
        self.fields["version"].required = not creating
        self.fields["decision_type"].choices = [("", "—"), *DecisionType.choices]  # type: ignore[attr-defined]
        if creating:
            self.fields["account"].required = True
            self.fields["account"].choices = [("", "—"), *(accounts or [])]  # type: ignore[attr-defined]
            self.fields["pipeline"].choices = list(pipelines or [])  # type: ignore[attr-defined]
            self.fields["pipeline"].required = False
            # Field order: what the deal is, with whom, then the numbers.
            self.order_fields(["name", "account", "pipeline"])
        else:
            del self.fields["account"]
            del self.fields["pipeline"]

    def _post_clean(self) -> None:
        pass  # validated by the opportunity services, once for web, API and imports

    def service_data(self) -> dict[str, Any]:
        skip = ("version", "account", "pipeline")
        data = {k: v for k, v in self.cleaned_data.items() if k not in skip}
        if data.get("amount") is None:
            data.pop("amount", None)
        return data


class LoseForm(forms.Form):
    loss_reason = forms.ModelChoiceField(label=_("Loss reason"), queryset=LossReason.objects.none(),
                                         empty_label="—", error_messages={"required": _("Choose a loss reason.")})
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    version = version_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loss_reason"].queryset = LossReason.objects.filter(active=True).order_by("position", "id")  # type: ignore[attr-defined]


class WinForm(forms.Form):
    create_order = forms.BooleanField(label=_("Create the order in the customer archive"), required=False, initial=True)
    order_date = forms.DateField(label=_("Order date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    gross_profit = forms.DecimalField(label=_("Gross profit"), required=False, max_digits=18, decimal_places=2,
                                      widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    version = version_field()


class LeadForm(forms.ModelForm):  # type: ignore[type-arg]
    version = version_field(required=False)

    class Meta:
        model = Lead
        fields = ["name", "company", "title", "mobile", "email", "wechat", "credit_code", "industry", "province", "city",
                  "source", "status", "has_budget", "has_authority", "has_need", "has_timeline", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].required = bool(self.instance.pk)
        # Qualified / disqualified / converted have their own steps (lead services).
        self.fields["status"].choices = [(s.value, s.label) for s in (LeadStatus.NEW, LeadStatus.CONTACTED)]  # type: ignore[attr-defined]
        self.fields["status"].required = False
        if self.instance.pk and self.instance.status not in (LeadStatus.NEW, LeadStatus.CONTACTED):
            del self.fields["status"]

    def _post_clean(self) -> None:
        pass  # validated by the lead services

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if not data.get("status"):
            data.pop("status", None)
        return data


class LeadConvertForm(forms.Form):
    """The choices made after seeing the duplicate check: link or create the account and contact,
    and whether to open an opportunity."""

    account = forms.ChoiceField(label=_("Account"), widget=forms.RadioSelect)
    contact = forms.ChoiceField(label=_("Contact"), widget=forms.RadioSelect)
    create_opportunity = forms.BooleanField(label=_("Create an opportunity"), required=False, initial=True)
    opportunity_name = forms.CharField(label=_("Opportunity name"), required=False, max_length=200)
    amount = forms.DecimalField(label=_("Amount"), required=False, max_digits=18, decimal_places=2, min_value=0,
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    expected_close = forms.DateField(label=_("Expected close date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    role = forms.ChoiceField(label=_("The contact's role in the decision"), required=False,
                             choices=[("", "—"), *BuyingRole.choices])
    version = version_field()

    def __init__(self, *args: Any, accounts: list[tuple[str, str]], contacts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("new", _("Create a new account from the lead")), *accounts]  # type: ignore[attr-defined]
        contact_choices = [("new", _("Create a new contact from the lead")), *contacts, ("none", _("No contact"))]
        self.fields["contact"].choices = contact_choices  # type: ignore[attr-defined]

    @staticmethod
    def _id(value: str) -> int | None:
        return int(value) if value.isdigit() and int(value) < 2**63 else None

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        contact = data["contact"]
        opportunity: dict[str, Any] = {}
        if data.get("opportunity_name"):
            opportunity["name"] = data["opportunity_name"]
        if data.get("amount") is not None:
            opportunity["amount"] = data["amount"]
        if data.get("expected_close"):
            opportunity["expected_close"] = data["expected_close"]
        return {
            "version": data["version"],
            "account_id": self._id(data["account"]),
            "contact_id": self._id(contact),
            "create_contact": contact == "new",
            "create_opportunity": bool(data.get("create_opportunity")),
            "opportunity": opportunity,
            "opportunity_contact_role": data.get("role") or None,
        }
