from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

NAVIGATION = [
    ("web:home", _("Home")),
    ("customers:account_list", _("Accounts")),
    ("customers:contact_list", _("Contacts")),
    ("customers:order_list", _("Orders")),
    ("customers:pool", _("Public pool")),
    ("customers:duplicates", _("Duplicates")),
    ("web:jobs", _("Jobs")),
    ("web:trash", _("Trash")),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": []}
    current = request.resolver_match.view_name if request.resolver_match else ""
    items = [{"url": reverse(name), "label": label, "active": current == name} for name, label in NAVIGATION]
    return {"nav_items": items}
