from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (URL name, label, URL names that also light this entry up). An app that is not installed
# (its URL name does not resolve) simply has no entry, so later apps plug in with one line here.
NAVIGATION = [
    ("web:home", _("Home"), ()),
    ("customers:account_list", _("Accounts"), ("customers:account_detail", "customers:account_edit", "customers:account_create")),
    ("customers:contact_list", _("Contacts"), ("customers:contact_detail", "customers:contact_edit", "customers:contact_create")),
    ("customers:order_list", _("Orders"), ()),
    ("customers:pool", _("Public pool"), ()),
    ("customers:duplicates", _("Duplicates"), ("customers:account_merge",)),
    ("sales:my_day", _("My day"), ("sales:calendar", "sales:activity_detail", "sales:activity_create", "sales:activity_edit",
                                          "sales:call_plan_create", "sales:call_plan_log", "sales:spin_library")),
    ("sales:board", _("Pipeline"), ("sales:board_pipeline", "sales:opportunity_list", "sales:opportunity_detail")),
    ("sales:lead_list", _("Leads"), ("sales:lead_detail", "sales:lead_convert")),
    ("sales:dashboard", _("Sales dashboard"), ("sales:forecast", "sales:targets", "sales:call_quality")),
    ("service:complaint_list", _("Complaints"), ("service:complaint_detail", "service:complaint_create")),
    ("service:followup_list", _("Follow-ups"), ("service:followup_detail",)),
    ("service:dashboard", _("Service dashboard"), ("service:survey_list", "service:survey_detail", "service:analysis")),
    ("approvals:inbox", _("Approvals"), ("approvals:request_detail", "approvals:flows")),
    ("web:jobs", _("Jobs"), ("web:job_detail",)),
    ("web:trash", _("Trash"), ()),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"guanxi_version": settings.GUANXI_VERSION, "nav_items": []}
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return context
    current = request.resolver_match.view_name if request.resolver_match else ""
    for name, label, also in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        context["nav_items"].append({"url": url, "label": label, "active": current == name or current in also})
    return context
