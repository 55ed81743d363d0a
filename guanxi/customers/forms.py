from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import GuanxiError, ValidationFailed, VersionConflict
from guanxi.customers.custom_fields import active_fields
from guanxi.customers.models import Account, CustomField, CustomFieldType
from guanxi.customers.services import ACCOUNT_WRITABLE


class AccountForm(forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1,
        error_messages={"required": _("This form is out of date. Reload the page and try again."),
                        "invalid": _("This form is out of date. Reload the page and try again."),
                        "min_value": _("This form is out of date. Reload the page and try again.")},
    )

    class Meta:
        model = Account
        fields = [f for f in ACCOUNT_WRITABLE if f not in ("other_phones", "custom")]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Editing needs the version the form was opened at (optimistic locking); creating does not.
        self.fields["version"].required = bool(self.instance.pk)
        current = self.instance.custom if self.instance and self.instance.pk else {}
        for cf in active_fields("account"):
            self.fields[f"cf_{cf.key}"] = custom_form_field(cf, current.get(cf.key))

    def _post_clean(self) -> None:
        # Model validation (uniqueness, credit code) runs in the service, once, for web and API alike.
        pass

    def service_data(self) -> dict[str, Any]:
        """The cleaned data as the account services expect it (custom fields gathered in ``custom``)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version" and not k.startswith("cf_")}
        custom = {k[3:]: v for k, v in self.cleaned_data.items() if k.startswith("cf_")}
        if custom:
            data["custom"] = custom
        return data


def custom_form_field(cf: CustomField, initial: Any) -> forms.Field:
    """A plain text/choice widget per custom field; values are validated by the service."""
    common: dict[str, Any] = {"label": cf.label, "required": False, "initial": initial}
    if cf.field_type == CustomFieldType.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in cf.choices]], **common)
    if cf.field_type == CustomFieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(choices=[(c, c) for c in cf.choices], widget=forms.CheckboxSelectMultiple, **common)
    if cf.field_type == CustomFieldType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if cf.field_type == CustomFieldType.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), max_length=30, **common)
    return forms.CharField(max_length=1000, **common)


class CustomFieldForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Object"), choices=[("account", _("Account")), ("contact", _("Contact")), ("order", _("Order"))])
    key = forms.CharField(label=_("Key"), max_length=50, help_text=_("Letters, digits and underscores; used in imports and the API."))
    label = forms.CharField(label=_("Label"), max_length=100)
    label_en = forms.CharField(label=_("English label"), max_length=100, required=False)
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    choices = forms.CharField(label=_("Choices"), required=False, max_length=20000, help_text=_("Comma-separated, for choice fields."))
    required = forms.BooleanField(label=_("Required"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    position = forms.IntegerField(label=_("Position"), required=False, min_value=0, max_value=1000, initial=0)


class TransferForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=None)  # type: ignore[arg-type,var-annotated]
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: object, users: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].queryset = users  # type: ignore[attr-defined]


def add_service_errors(form: forms.BaseForm, exc: GuanxiError, *, field_name: Callable[[str], str] = lambda f: f) -> None:
    """Show a service error on its form: field errors next to their inputs (``field_name`` maps
    service keys to form fields), a version conflict with the values someone else saved."""
    if isinstance(exc, ValidationFailed):
        for field, errs in exc.errors.items():
            name = field_name(field)
            for err in errs:
                form.add_error(name if name in form.fields else None, err)
    elif isinstance(exc, VersionConflict):
        changed = ", ".join(f"{form.fields[k].label}: {v if v not in (None, '') else '—'}"
                            for k, v in exc.changed.items() if k in form.fields)
        current = gettext("Current values: %(values)s") % {"values": changed}
        form.add_error(None, f"{exc.detail} {current}" if changed else exc.detail)
        # Re-render with the current version: saving again is now a deliberate choice made
        # after seeing the other person's values.
        data = cast(QueryDict, form.data).copy()
        data["version"] = str(exc.current_version)
        form.data = data
    else:
        form.add_error(None, exc.detail)
