"""Forms of the survey designer, satisfaction analysis, follow-up visit (回访) and service dashboard
pages (DOMAIN §4 "Satisfaction"; issue 6 items 5–7 and 10).

They only shape the input. Every rule — who designs surveys, what a survey with responses may no
longer change, who completes a visit, who manages rules — is checked once by the services
(``surveys``, ``followups``; the API calls the same functions), whose errors come back onto these
forms through ``add_service_errors``. Field names follow the services' names so the errors land
next to their inputs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import ValueTier
from guanxi.sales.forms import version_field
from guanxi.service import followups, surveys
from guanxi.service.analysis import AnalysisFilter, default_filter
from guanxi.service.models import Dimension, FollowUpOutcome, FollowUpTrigger

MAX_RANGE_DAYS = 3 * 366  # as the API (api_surveys._period)
TRIGGER_EVENT_CHOICES = [("order_delivered", _("After an order is delivered")),
                         ("complaint_closed", _("After a complaint is closed"))]
# Service elements of DOMAIN §4, offered as suggestions (the field stays free text).
SERVICE_ELEMENTS = (
    _("timeliness"), _("flow"), _("accommodation"), _("anticipation"), _("communication"), _("customer feedback"),
    _("organisation and supervision"), _("appearance"), _("attitude"), _("attention"), _("tact"), _("guidance"),
    _("selling skill"), _("polite problem solving"),
)
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- survey designer -----------------------------------------------------------------------------

class SurveyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    intro = forms.CharField(label=_("Introduction"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("Shown to the customer above the questions and in the invitation email."))
    scale_max = forms.IntegerField(label=_("Rating scale (1 to …)"), min_value=3, max_value=10, initial=7,
                                   help_text=_("Every item is rated from 1 to this number. It cannot change once the survey has responses."))
    ask_nps = forms.BooleanField(label=_("Ask how likely they are to recommend us (NPS, 0–10)"), required=False, initial=True)
    ask_csat = forms.BooleanField(label=_("Ask overall satisfaction (CSAT, 1–5)"), required=False, initial=True)
    trigger_events = forms.MultipleChoiceField(label=_("Send automatically"), required=False, choices=TRIGGER_EVENT_CHOICES,
                                               widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True,
                                help_text=_("An inactive survey sends no invitations and its links no longer answer."))
    version = version_field(required=False)

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ItemForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40,
                           help_text=_("A short name for the analysis, e.g. delivery-speed. Letters, digits, - and _."))
    text = forms.CharField(label=_("Question"), max_length=300)
    dimension = forms.ChoiceField(label=_("Experience dimension"), choices=Dimension.choices)
    service_element = forms.CharField(label=_("Service element"), max_length=60, required=False,
                                      widget=forms.TextInput(attrs={"list": "service-elements"}),
                                      help_text=_("e.g. timeliness, communication, attitude (DOMAIN §4)."))
    ask_expectation = forms.BooleanField(label=_("Ask the expectation"), required=False, initial=True)
    ask_desired = forms.BooleanField(label=_("Ask the desired level"), required=False, initial=True)
    ask_adequate = forms.BooleanField(label=_("Ask the adequate (minimum acceptable) level"), required=False, initial=True)
    ask_importance = forms.BooleanField(label=_("Ask the importance"), required=False, initial=True)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class InviteForm(forms.Form):
    contact_id = forms.TypedChoiceField(label=_("Contact"), coerce=int)
    expires_in_days = forms.IntegerField(label=_("Link valid for (days)"), min_value=1, max_value=surveys.MAX_EXPIRY_DAYS, initial=30)
    send = forms.BooleanField(label=_("Email the link to the contact now"), required=False, initial=True)

    def __init__(self, *args: Any, contacts: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact_id"].choices = [("", "—"), *contacts]  # type: ignore[attr-defined]


# --- follow-up visits ----------------------------------------------------------------------------

SATISFACTION_CHOICES = [("", "—"), *((str(n), str(n)) for n in range(1, 6))]


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=FollowUpOutcome.choices, widget=forms.RadioSelect)
    satisfaction = forms.TypedChoiceField(label=_("Customer's satisfaction (1–5)"), choices=SATISFACTION_CHOICES, coerce=int,
                                          empty_value=None, required=False,
                                          help_text=_("1 very dissatisfied … 5 very satisfied; leave empty if not asked."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    version = version_field()


class RuleForm(forms.Form):
    trigger = forms.ChoiceField(label=_("When"), choices=FollowUpTrigger.choices)
    days_after = forms.IntegerField(label=_("Days after"), min_value=0, max_value=followups.MAX_DAYS_AFTER, initial=7)
    value_tier = forms.ChoiceField(label=_("Only for value tier"), required=False,
                                   choices=[("", _("Any tier")), *ValueTier.choices])
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


# --- period, analysis filters ----------------------------------------------------------------------

class PeriodForm(forms.Form):
    """A period of days (both included); empty means the default (the last 12 months)."""

    start = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    end = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default = default_filter(self.actor)
        start, end = data.get("start") or default.start, data.get("end") or default.end
        if not (1970 <= start.year <= 2999 and 1970 <= end.year <= 2999):
            raise forms.ValidationError(_("Enter a date between 1970 and 2999."))
        if end < start or (end - start).days > MAX_RANGE_DAYS:
            raise forms.ValidationError(_("The end must be on or after the start, at most %(n)d days later.") % {"n": MAX_RANGE_DAYS})
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[date, date]:
        """The cleaned period, or the default one when the form is not valid."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        default = default_filter(self.actor)
        return default.start, default.end


class AnalysisForm(PeriodForm):
    survey = forms.TypedChoiceField(label=_("Survey"), required=False, coerce=int, empty_value=None)
    dimension = forms.ChoiceField(label=_("Dimension"), required=False, choices=[("", _("All dimensions")), *Dimension.choices])
    segment = forms.ChoiceField(label=_("Value tier"), required=False, choices=[("", _("All tiers")), *ValueTier.choices])
    account = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, surveys_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].choices = [("", _("All surveys")), *surveys_choices]  # type: ignore[attr-defined]

    def analysis_filter(self) -> AnalysisFilter:
        start, end = self.period()
        data = self.cleaned_data if self.is_valid() else {}
        return AnalysisFilter(start=start, end=end, survey_id=data.get("survey"), segment=data.get("segment") or None,
                              account_id=data.get("account"))

    def dimension_value(self) -> str | None:
        return (self.cleaned_data.get("dimension") or None) if self.is_valid() else None
