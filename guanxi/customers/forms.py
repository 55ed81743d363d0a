from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import Account
from guanxi.customers.services import ACCOUNT_WRITABLE


class AccountForm(forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = Account
        fields = [f for f in ACCOUNT_WRITABLE if f != "other_phones"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def _post_clean(self) -> None:
        # Model validation (uniqueness, credit code) runs in the service, once, for web and API alike.
        pass


class TransferForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=None)  # type: ignore[arg-type]
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: object, users: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].queryset = users  # type: ignore[attr-defined]
