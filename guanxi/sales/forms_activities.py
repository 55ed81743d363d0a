"""Forms of the activity, SPIN, target and calendar pages. They only parse what the browser sent;
every rule is checked by the services (``activities``, ``spin``, ``targets``), whose errors are put
back on these forms with ``add_service_errors``. Field names are stable (browser tests fill them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.sales.models import (
    ActivityKind,
    CallOutcome,
    SpinKind,
    TargetMeasure,
    TargetPeriod,
    TargetScope,
)

OUT_OF_DATE = _("This form is out of date. Reload the page and try again.")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
PLANNABLE = [(k.value, k.label) for k in (ActivityKind.CALL, ActivityKind.VISIT)]
SPIN_KINDS = tuple(SpinKind.values)


def version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1,
                              error_messages={"invalid": OUT_OF_DATE, "min_value": OUT_OF_DATE})


def lines(text: str) -> list[str]:
    """One entry per non-empty line (questions, needs)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices, initial=ActivityKind.CALL)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    due_at = forms.CharField(label=_("Due"), required=False, widget=DATETIME_INPUT,
                             help_text=_("In your time zone."))
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=0, initial=30)
    remind_minutes_before = forms.IntegerField(label=_("Remind minutes before"), min_value=0, required=False,
                                               help_text=_("Leave empty for no reminder."))
    description = forms.CharField(label=_("Description"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    account_id = forms.TypedChoiceField(label=_("Account"), required=False, coerce=int, empty_value=None)
    contact_id = forms.TypedChoiceField(label=_("Contact"), required=False, coerce=int, empty_value=None)
    opportunity_id = forms.TypedChoiceField(label=_("Opportunity"), required=False, coerce=int, empty_value=None)
    version = version_field()

    def __init__(self, *args: Any, accounts: list[tuple[int, str]], contacts: list[tuple[int, str]],
                 opportunities: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        empty = [("", "—")]
        self.fields["account_id"].choices = empty + accounts  # type: ignore[attr-defined]
        self.fields["contact_id"].choices = empty + contacts  # type: ignore[attr-defined]
        self.fields["opportunity_id"].choices = empty + opportunities  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class CompleteForm(forms.Form):
    result = forms.CharField(label=_("Result"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2}))
    version = version_field()


class CallPlanForm(forms.Form):
    """Plan a SPIN call: library questions (checkboxes ``library_questions``) and free questions, one
    per line, in ``custom_S`` / ``custom_P`` / ``custom_I`` / ``custom_N``. Without an activity the
    same form creates the call or visit too (``kind``, ``subject``, ``due_at``)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=PLANNABLE, initial=ActivityKind.VISIT)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    due_at = forms.CharField(label=_("Due"), required=False, widget=DATETIME_INPUT, help_text=_("In your time zone."))
    objective = forms.CharField(label=_("Call objective"), required=False, max_length=300)
    library_questions = forms.TypedMultipleChoiceField(label=_("Questions from the library"), required=False, coerce=int,
                                                       widget=forms.CheckboxSelectMultiple)
    custom_S = forms.CharField(label=_("Your own situation questions (背景), one per line"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    custom_P = forms.CharField(label=_("Your own problem questions (难点), one per line"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    custom_I = forms.CharField(label=_("Your own implication questions (影响), one per line"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))
    custom_N = forms.CharField(label=_("Your own need-payoff questions (解决), one per line"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, library: list[Any], with_activity: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["library_questions"].choices = [(q.pk, q.text) for q in library]  # type: ignore[attr-defined]
        if not with_activity:
            for name in ("kind", "subject", "due_at"):
                del self.fields[name]

    def questions(self) -> list[dict[str, Any]]:
        """The plan's questions for ``call_plan_create``: picks first (S, P, I, N order), then own ones."""
        chosen = [{"library_question_id": pk} for pk in self.cleaned_data.get("library_questions") or []]
        own = [{"kind": k, "text": t} for k in SPIN_KINDS for t in lines(self.cleaned_data.get(f"custom_{k}", ""))]
        return chosen + own


class CallLogForm(forms.Form):
    """Log the call: ``asked`` (ids of planned questions), ``extra_S`` … ``extra_N`` (asked off-plan,
    one per line), ``hidden_needs`` / ``explicit_needs`` (one per line), ``outcome`` and the next step
    (``next_kind``, ``next_subject``, ``next_due_at``; leave the subject empty for none)."""

    asked = forms.TypedMultipleChoiceField(label=_("Questions asked"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple)
    extra_S = forms.CharField(label=_("Other situation questions asked (背景), one per line"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    extra_P = forms.CharField(label=_("Other problem questions asked (难点), one per line"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    extra_I = forms.CharField(label=_("Other implication questions asked (影响), one per line"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    extra_N = forms.CharField(label=_("Other need-payoff questions asked (解决), one per line"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    hidden_needs = forms.CharField(label=_("Hidden needs found (隐藏性需求), one per line"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    explicit_needs = forms.CharField(label=_("Explicit needs found (明确性需求), one per line"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect)
    next_kind = forms.ChoiceField(label=_("Next step: kind"), choices=ActivityKind.choices, initial=ActivityKind.VISIT, required=False)
    next_subject = forms.CharField(label=_("Next step: subject"), required=False, max_length=200,
                                   help_text=_("The agreed next step becomes a new activity. Leave empty for none."))
    next_due_at = forms.CharField(label=_("Next step: due"), required=False, widget=DATETIME_INPUT, help_text=_("In your time zone."))
    version = version_field()

    def __init__(self, *args: Any, planned: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asked"].choices = [(q.pk, f"{q.kind} · {q.text}") for q in planned]  # type: ignore[attr-defined]

    def extra(self) -> list[dict[str, Any]]:
        return [{"kind": k, "text": t} for k in SPIN_KINDS for t in lines(self.cleaned_data.get(f"extra_{k}", ""))]

    def next_step(self) -> dict[str, Any] | None:
        subject = self.cleaned_data.get("next_subject", "").strip()
        if not subject:
            return None
        return {"kind": self.cleaned_data.get("next_kind") or ActivityKind.TASK, "subject": subject,
                "due_at": self.cleaned_data.get("next_due_at") or None}


class SpinQuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("SPIN type"), choices=SpinKind.choices)
    text = forms.CharField(label=_("Question"), max_length=500)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False, help_text=_("Empty: every industry."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class TargetForm(forms.Form):
    scope = forms.ChoiceField(label=_("Scope"), choices=TargetScope.choices, initial=TargetScope.USER)
    team_id = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    user_id = forms.TypedChoiceField(label=_("Sales rep"), required=False, coerce=int, empty_value=None)
    period = forms.ChoiceField(label=_("Period"), choices=TargetPeriod.choices, initial=TargetPeriod.MONTH)
    period_start = forms.DateField(label=_("Period start"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                   help_text=_("Any day of the period."))
    measure = forms.ChoiceField(label=_("Measure"), choices=TargetMeasure.choices, initial=TargetMeasure.AMOUNT)
    value = forms.CharField(label=_("Target"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def __init__(self, *args: Any, teams: list[tuple[int, str]], users: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team_id"].choices = [("", "—"), *teams]  # type: ignore[attr-defined]
        self.fields["user_id"].choices = [("", "—"), *users]  # type: ignore[attr-defined]
