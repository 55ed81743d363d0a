from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guanxi.users.models import TokenScope

COMMON_TIMEZONES = [
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Asia/Seoul",
    "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York", "America/Los_Angeles", "UTC",
]


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), max_length=1024, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=[(z, z) for z in COMMON_TIMEZONES + sorted(zoneinfo.available_timezones() - set(COMMON_TIMEZONES))])


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices)
    expires_at = forms.DateTimeField(label=_("Expires at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
