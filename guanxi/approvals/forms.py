"""Forms of the approval pages: the decision on a request, and a new flow with its condition and steps."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.approvals.models import ApproverKind, Decision, StepRule
from guanxi.approvals.registry import registered_actions
from guanxi.users.models import Role

OPERATORS = [("", "—"), ("gt", ">"), ("gte", "≥"), ("lt", "<"), ("lte", "≤"), ("eq", "=")]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Required to reject or to return the request."))


class FlowForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"))
    name = forms.CharField(label=_("Name"), max_length=200)
    priority = forms.IntegerField(label=_("Priority"), min_value=0, max_value=32767, initial=0,
                                  help_text=_("The first matching flow (lowest number) applies."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    cond_field = forms.ChoiceField(label=_("Condition: field"), required=False,
                                   help_text=_("Leave empty for a flow that always applies."))
    cond_op = forms.ChoiceField(label=_("Condition: operator"), required=False, choices=OPERATORS)
    cond_value = forms.CharField(label=_("Condition: value"), required=False, max_length=200,
                                 help_text=_("E.g. 5000 for ¥5,000, or 20 for 20 %."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions = registered_actions()
        cast(forms.ChoiceField, self.fields["action"]).choices = [(a.code, f"{a.label} ({a.code})") for a in actions]
        names = sorted({name for a in actions for name in a.fields})
        cast(forms.ChoiceField, self.fields["cond_field"]).choices = [("", "—"), *[(n, n) for n in names]]

    def condition(self) -> dict[str, Any]:
        data = self.cleaned_data
        if not data.get("cond_field"):
            return {}
        return {"field": data["cond_field"], "op": data.get("cond_op") or "", "value": data.get("cond_value") or ""}


class StepForm(forms.Form):
    approver_kind = forms.ChoiceField(label=_("Approved by"), required=False, choices=[("", "—"), *ApproverKind.choices])
    role_code = forms.ChoiceField(label=_("Role"), required=False)
    levels = forms.IntegerField(label=_("Manager levels"), min_value=1, max_value=5, initial=1, required=False)
    rule = forms.ChoiceField(label=_("Rule"), choices=StepRule.choices, initial=StepRule.ANY)
    remind_after_hours = forms.IntegerField(label=_("Remind after (hours)"), min_value=0, max_value=720, initial=24, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role_code"]).choices = [("", "—"), *[(r.code, str(r)) for r in Role.objects.order_by("code")]]

    def step(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("approver_kind"):
            return None
        return {"approver_kind": data["approver_kind"], "role_code": data.get("role_code") or "", "levels": data.get("levels") or 1,
                "rule": data.get("rule") or StepRule.ANY, "remind_after_hours": 24 if data.get("remind_after_hours") is None
                else data["remind_after_hours"]}


StepFormSet = forms.formset_factory(StepForm, extra=3, max_num=10, absolute_max=10)
