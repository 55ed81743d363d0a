from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
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


# The navigation's markup per language, URLconf, script prefix and current page: a pure function
# of those, rendered once per process instead of 16 reverse() calls and a template loop per page.
_NAV_HTML: dict[tuple[Any, ...], str] = {}
_NAV_HTML_MAX = 2000  # languages × pages; a bound in case view names were unbounded
_ITEM = '<li><a href="{}">{}</a></li>'
_CURRENT_ITEM = '<li><a href="{}" aria-current="page">{}</a></li>'


def navigation_html(current: str) -> str:
    names = tuple(name for name, _label, _also in NAVIGATION)
    key = (get_language(), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, current, names)
    html = _NAV_HTML.get(key)
    if html is None:
        items = []
        for name, label, also in NAVIGATION:
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue
            active = current == name or current in also
            items.append((format_html(_CURRENT_ITEM if active else _ITEM, url, label),))
        html = format_html_join("", "{}", items)
        if len(_NAV_HTML) < _NAV_HTML_MAX:
            _NAV_HTML[key] = html
    return html


def navigation(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"guanxi_version": settings.GUANXI_VERSION, "nav_html": ""}
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return context
    context["nav_html"] = navigation_html(request.resolver_match.view_name if request.resolver_match else "")
    return context
