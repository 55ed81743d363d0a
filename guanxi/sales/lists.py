"""List definitions of leads and opportunities: the allow-list of filters, sorts and columns used
by the web lists, the API lists, saved views, exports and bulk actions alike (guanxi.core.listing)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.listing import Column, Filter, ListDefinition, ListParamError, choices_of
from guanxi.customers.lists import _owner_filter
from guanxi.customers.models import ProcessClass, TimeClass, ValueTier
from guanxi.customers.regions import region_filter
from guanxi.sales.models import DecisionType, LeadStatus, StageKind


def _open_filter(qs: QuerySet[Any], values: list[str], actor: Any) -> QuerySet[Any]:
    """status=open | won | lost (the stage's kind, from the denormalised column where it can)."""
    cond = Q()
    for v in values:
        if v not in StageKind.values:
            raise ListParamError(_("Unknown value for %(name)s") % {"name": "status"}, code="list.invalid_value")
        cond |= Q(is_open=True) if v == StageKind.OPEN else Q(is_open=False, stage__kind=v)
    return qs.filter(cond)


LEAD_LIST = ListDefinition(
    object_type="lead",
    filters=[
        Filter("status", _("Status"), "choice", choices=choices_of(LeadStatus)),
        Filter("source", _("Source"), "text"),
        Filter("company", _("Company"), "text"),
        Filter("industry", _("Industry"), "text"),
        Filter("province", _("Province"), "exact", apply=region_filter("province")),
        Filter("city", _("City"), "exact", apply=region_filter("city")),
        Filter("owner", _("Owner"), "custom", apply=_owner_filter),
        Filter("team", _("Team"), "int", lookup="team_id"),
        Filter("has_budget", _("Budget confirmed"), "bool"),
        Filter("has_authority", _("Decision maker reached"), "bool"),
        Filter("has_need", _("Need confirmed"), "bool"),
        Filter("has_timeline", _("Timeline known"), "bool"),
        Filter("created", _("Created"), "date_range", lookup="created_at__date"),
    ],
    columns=[
        Column("name", _("Contact name"), sort=("name", "id")),
        Column("company", _("Company"), sort=("company", "id")),
        Column("title", _("Title"), default=False),
        Column("mobile", _("Mobile")),
        Column("email", _("Email"), default=False),
        Column("source", _("Source")),
        Column("status", _("Status")),
        Column("owner", _("Owner")),
        Column("created", _("Created"), sort=("created_at", "id")),
        Column("updated", _("Updated"), sort=("updated_at", "id"), default=False),
    ],
    default_sort="-created",
)

OPPORTUNITY_LIST = ListDefinition(
    object_type="opportunity",
    filters=[
        Filter("pipeline", _("Pipeline"), "int", lookup="pipeline_id"),
        Filter("stage", _("Stage"), "int", lookup="stage_id"),
        Filter("status", _("Status"), "custom", choices=choices_of(StageKind), apply=_open_filter),
        Filter("account", _("Account"), "int", lookup="account_id"),
        Filter("owner", _("Owner"), "custom", apply=_owner_filter),
        Filter("team", _("Team"), "int", lookup="team_id"),
        Filter("expected_close", _("Expected close date"), "date_range"),
        Filter("amount", _("Amount"), "number_range"),
        Filter("currency", _("Currency"), "exact"),
        Filter("decision_type", _("Decision-group type"), "choice", choices=choices_of(DecisionType)),
        Filter("source", _("Source"), "text"),
        Filter("loss_reason", _("Loss reason"), "int", lookup="loss_reason_id"),
        Filter("closed", _("Closed"), "date_range", lookup="closed_at__date"),
        Filter("created", _("Created"), "date_range", lookup="created_at__date"),
        # The account's archive classification: one join on the narrow classification table.
        Filter("value_tier", _("By value"), "choice", lookup="account__classification__value_tier", choices=choices_of(ValueTier)),
        Filter("time_class", _("By time"), "choice", lookup="account__classification__time_class", choices=choices_of(TimeClass)),
        Filter("process_class", _("By transaction"), "choice", lookup="account__classification__process_class",
               choices=choices_of(ProcessClass)),
    ],
    columns=[
        Column("name", _("Name"), sort=("name", "id")),
        Column("account", _("Account")),
        Column("stage", _("Stage")),
        Column("amount", _("Amount"), sort=("amount", "id")),
        Column("probability", _("Probability %"), default=False),
        Column("expected_close", _("Expected close date")),  # nullable: no keyset sort on it
        Column("decision_type", _("Decision-group type"), default=False),
        Column("owner", _("Owner")),
        Column("team", _("Team"), default=False),
        Column("created", _("Created"), sort=("created_at", "id"), default=False),
        Column("updated", _("Updated"), sort=("updated_at", "id")),
    ],
    default_sort="-updated",
)

SALES_LISTS = {"lead": LEAD_LIST, "opportunity": OPPORTUNITY_LIST}


def register_lists() -> None:
    """Saved views and ``params_from`` look lists up in the archive's registry."""
    from guanxi.customers.lists import LISTS

    LISTS.update(SALES_LISTS)
