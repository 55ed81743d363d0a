"""Exports of the lead and opportunity lists, with the lists' own filters and the visibility rules."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.customers.exports import _labels, _query, _user
from guanxi.dataio.exporting import ExportColumn, ExportSpec, register_export
from guanxi.sales import selectors
from guanxi.sales.lists import LEAD_LIST, OPPORTUNITY_LIST
from guanxi.sales.models import DecisionType, LeadStatus


def lead_columns() -> list[ExportColumn]:
    return [
        ExportColumn("name", gettext_lazy("Contact name"), "name"),
        ExportColumn("company", gettext_lazy("Company"), "company"),
        ExportColumn("title", gettext_lazy("Title"), "title"),
        ExportColumn("mobile", gettext_lazy("Mobile"), "mobile"),
        ExportColumn("email", gettext_lazy("Email"), "email"),
        ExportColumn("wechat", gettext_lazy("WeChat ID"), "wechat"),
        ExportColumn("credit_code", gettext_lazy("Unified social credit code"), "credit_code"),
        ExportColumn("industry", gettext_lazy("Industry"), "industry"),
        ExportColumn("province", gettext_lazy("Province"), "province"),
        ExportColumn("city", gettext_lazy("City"), "city"),
        ExportColumn("source", gettext_lazy("Source"), "source"),
        ExportColumn("status", gettext_lazy("Status"), "status", _labels(LeadStatus)),
        ExportColumn("external_id", gettext_lazy("External id"), "external_id"),
        ExportColumn("owner", gettext_lazy("Owner"), "owner__username", _user),
        ExportColumn("created", gettext_lazy("Created"), "created_at"),
        ExportColumn("notes", gettext_lazy("Notes"), "notes"),
    ]


def lead_queryset(actor: Any, params: dict[str, Any]) -> Any:
    list_params = LEAD_LIST.parse(_query(params))
    return selectors.lead_filtered(actor=actor, params=list_params).order_by(*LEAD_LIST.order(list_params))


def opportunity_columns() -> list[ExportColumn]:
    return [
        ExportColumn("name", gettext_lazy("Name"), "name"),
        ExportColumn("account", gettext_lazy("Account"), "account__name"),
        ExportColumn("pipeline", gettext_lazy("Pipeline"), "pipeline__name_zh"),
        ExportColumn("stage", gettext_lazy("Stage"), "stage__name_zh"),
        ExportColumn("amount", gettext_lazy("Amount"), "amount"),
        ExportColumn("currency", gettext_lazy("Currency"), "currency"),
        ExportColumn("probability", gettext_lazy("Probability %"), "probability"),
        ExportColumn("expected_close", gettext_lazy("Expected close date"), "expected_close"),
        ExportColumn("decision_type", gettext_lazy("Decision-group type"), "decision_type", _labels(DecisionType)),
        ExportColumn("source", gettext_lazy("Source"), "source"),
        ExportColumn("owner", gettext_lazy("Owner"), "owner__username", _user),
        ExportColumn("closed", gettext_lazy("Closed"), "closed_at"),
        ExportColumn("external_id", gettext_lazy("External id"), "external_id"),
        ExportColumn("created", gettext_lazy("Created"), "created_at"),
    ]


def opportunity_queryset(actor: Any, params: dict[str, Any]) -> Any:
    list_params = OPPORTUNITY_LIST.parse(_query(params))
    return selectors.opportunity_filtered(actor=actor, params=list_params).order_by(*OPPORTUNITY_LIST.order(list_params))


register_export(ExportSpec("lead", gettext_lazy("Leads"), lead_columns, lead_queryset, lambda: _("leads")))
register_export(ExportSpec("opportunity", gettext_lazy("Opportunities"), opportunity_columns, opportunity_queryset,
                           lambda: _("opportunities")))
