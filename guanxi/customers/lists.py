"""List definitions of the customer archive: which filters, sorts and columns accounts, contacts
and orders offer, in the web UI, the API, exports and bulk actions alike."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.listing import Column, Filter, ListDefinition, ListParamError, choices_of
from guanxi.customers.models import (
    AccountKind,
    CustomFieldType,
    Nature,
    OrderStatus,
    ProcessClass,
    TimeClass,
    ValueTier,
)
from guanxi.customers.regions import region_filter


def _owner_filter(qs: QuerySet[Any], values: list[str], actor: Any) -> QuerySet[Any]:
    """owner=me, owner=none (public pool) or user ids."""
    cond = Q()
    for v in values:
        if v == "me":
            cond |= Q(owner_id=actor.pk)
        elif v == "none":
            cond |= Q(owner__isnull=True)
        elif v.isdigit() and 0 < int(v) < 2**63:
            cond |= Q(owner_id=int(v))
        else:
            raise ListParamError(_("owner must be me, none or a user id."), code="list.invalid_value")
    return qs.filter(cond)


def _tag_filter(qs: QuerySet[Any], values: list[str], actor: Any) -> QuerySet[Any]:
    # A subquery keeps one row per account (a join on tags would repeat rows and break keyset pages).
    model = qs.model
    through = model.tags.through
    ids = through.objects.filter(tag__name__in=values).values(f"{model._meta.model_name}_id")
    return qs.filter(pk__in=ids)


def _custom_filters(object_type: str) -> list[Filter]:
    from guanxi.customers.custom_fields import active_fields

    filters = []
    for cf in active_fields(object_type):
        path = f"custom__{cf.key}"
        name = f"cf_{cf.key}"
        if cf.field_type == CustomFieldType.TEXT:
            filters.append(Filter(name, cf.label, "text", lookup=path))
        elif cf.field_type == CustomFieldType.NUMBER:
            filters.append(Filter(name, cf.label, "number_range", lookup=path, apply=_json_number_range(path)))
        elif cf.field_type == CustomFieldType.DATE:
            filters.append(Filter(name, cf.label, "date_range_text", lookup=path, apply=_text_range(path)))
        elif cf.field_type == CustomFieldType.CHOICE:
            filters.append(Filter(name, cf.label, "choice", lookup=path, choices=tuple((c, c) for c in cf.choices)))
        elif cf.field_type == CustomFieldType.MULTI_CHOICE:
            filters.append(Filter(name, cf.label, "multi", lookup=path, apply=_multi_choice(path, set(cf.choices))))
    return filters


def _text_range(path: str) -> Any:
    """Dates in custom fields are stored as ISO strings, which sort like dates."""

    def apply(qs: QuerySet[Any], values: list[str], actor: Any) -> QuerySet[Any]:
        from guanxi.core.listing import _parse_date

        suffix, value = values[0], values[1]
        if suffix not in ("from", "to"):
            raise ListParamError(_("Use __from or __to with a date filter."), code="list.invalid_value")
        op = "gte" if suffix == "from" else "lte"
        return qs.filter(**{f"{path}__{op}": _parse_date(value).isoformat()})

    return apply


def _json_number_range(path: str) -> Any:
    """JSON values compare as JSON numbers; Decimal is not JSON, so compare with int or float."""

    def apply(qs: QuerySet[Any], values: list[str], actor: Any) -> QuerySet[Any]:
        from guanxi.core.listing import _parse_decimal

        suffix, raw = values[0], values[1]
        if suffix not in ("min", "max"):
            raise ListParamError(_("Use __min or __max with a number filter."), code="list.invalid_value")
        number = _parse_decimal(raw)
        value: int | float = int(number) if number == number.to_integral_value() else float(number)
        return qs.filter(**{f"{path}__{'gte' if suffix == 'min' else 'lte'}": value})

    return apply


def _multi_choice(path: str, allowed: set[str]) -> Any:
    def apply(qs: QuerySet[Any], values: list[str], actor: Any) -> QuerySet[Any]:
        if any(v not in allowed for v in values):
            raise ListParamError(_("Unknown choice."), code="list.invalid_value")
        cond = Q()
        for v in values:
            # The JSON text of the list contains "v" exactly when v is one of its items.
            cond |= Q(**{f"{path}__icontains": f'"{v}"'})
        return qs.filter(cond)

    return apply


ACCOUNT_LIST = ListDefinition(
    object_type="account",
    filters=[
        Filter("kind", _("Kind"), "choice", choices=choices_of(AccountKind)),
        Filter("nature", _("Nature"), "choice", choices=choices_of(Nature)),
        Filter("industry", _("Industry"), "text"),
        Filter("province", _("Province"), "exact", apply=region_filter("province")),
        Filter("city", _("City"), "exact", apply=region_filter("city")),
        Filter("source", _("Source"), "text"),
        Filter("credit_code", _("Unified social credit code"), "exact"),
        Filter("owner", _("Owner"), "custom", apply=_owner_filter),
        Filter("team", _("Team"), "int", lookup="team_id"),
        Filter("tag", _("Tag"), "custom", apply=_tag_filter),
        Filter("time_class", _("By time"), "choice", lookup="classification__time_class", choices=choices_of(TimeClass)),
        Filter("process_class", _("By transaction"), "choice", lookup="classification__process_class", choices=choices_of(ProcessClass)),
        Filter("value_tier", _("By value"), "choice", lookup="classification__value_tier", choices=choices_of(ValueTier)),
        Filter("created", _("Created"), "date_range", lookup="created_at__date"),
        Filter("last_activity", _("Last activity"), "date_range", lookup="last_activity_at__date"),
    ],
    columns=[
        Column("name", _("Name"), sort=("name_sort", "id")),
        Column("short_name", _("Short name"), default=False),
        Column("nature", _("Nature")),
        Column("industry", _("Industry"), default=False),
        Column("province", _("Province"), default=False),
        Column("city", _("City")),
        Column("phone", _("Phone"), default=False),
        Column("credit_code", _("Unified social credit code"), default=False),
        Column("value_tier", _("By value")),
        Column("time_class", _("By time"), default=False),
        Column("process_class", _("By transaction"), default=False),
        Column("owner", _("Owner")),
        Column("team", _("Team"), default=False),
        Column("created", _("Created"), sort=("created_at", "id"), default=False),
        Column("updated", _("Updated"), sort=("updated_at", "id")),
    ],
    default_sort="name",
    extra_filters=lambda: _custom_filters("account"),
)

CONTACT_LIST = ListDefinition(
    object_type="contact",
    filters=[
        Filter("title", _("Title"), "text"),
        Filter("department_name", _("Department"), "text"),
        Filter("email", _("Email"), "text"),
        Filter("owner", _("Owner"), "custom", apply=_owner_filter),
        Filter("account", _("Account"), "int", lookup="account_links__account_id"),
        Filter("created", _("Created"), "date_range", lookup="created_at__date"),
    ],
    columns=[
        Column("name", _("Name"), sort=("name_sort", "id")),
        Column("title", _("Title")),
        Column("department_name", _("Department"), default=False),
        Column("mobile", _("Mobile")),
        Column("email", _("Email")),
        Column("wechat", _("WeChat ID"), default=False),
        Column("owner", _("Owner")),
        Column("created", _("Created"), sort=("created_at", "id"), default=False),
    ],
    default_sort="name",
    extra_filters=lambda: _custom_filters("contact"),
)

ORDER_LIST = ListDefinition(
    object_type="order",
    filters=[
        Filter("status", _("Status"), "choice", choices=choices_of(OrderStatus)),
        Filter("account", _("Account"), "int", lookup="account_id"),
        Filter("currency", _("Currency"), "exact"),
        Filter("order_date", _("Order date"), "date_range"),
        Filter("amount", _("Amount"), "number_range"),
        Filter("owner", _("Owner"), "custom", apply=lambda qs, v, a: _order_owner(qs, v, a)),
    ],
    columns=[
        Column("number", _("Order number")),
        Column("account", _("Account")),
        Column("order_date", _("Order date"), sort=("order_date", "id")),
        Column("status", _("Status")),
        Column("amount", _("Amount"), sort=("amount", "id")),
        Column("gross_profit", _("Gross profit"), sort=("gross_profit", "id")),
    ],
    default_sort="-order_date",
    extra_filters=lambda: _custom_filters("order"),
)


def _order_owner(qs: QuerySet[Any], values: list[str], actor: Any) -> QuerySet[Any]:
    """Orders are owned through their account."""
    cond = Q()
    for v in values:
        if v == "me":
            cond |= Q(account__owner_id=actor.pk)
        elif v.isdigit() and 0 < int(v) < 2**63:
            cond |= Q(account__owner_id=int(v))
        else:
            raise ListParamError(_("owner must be me or a user id."), code="list.invalid_value")
    return qs.filter(cond)


LISTS = {"account": ACCOUNT_LIST, "contact": CONTACT_LIST, "order": ORDER_LIST}
