"""Exports of the account and contact lists, with the list's own filters and the visibility rules
(the queryset comes from the same selectors as the list pages). Column headers are the same
labels the importer recognises, so an exported file imports back unchanged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.customers import selectors
from guanxi.customers.custom_fields import active_fields
from guanxi.customers.lists import ACCOUNT_LIST, CONTACT_LIST
from guanxi.customers.models import AccountKind, Nature, ProcessClass, TimeClass, ValueTier
from guanxi.dataio.exporting import ExportColumn, ExportSpec, register_export


def _labels(enum: Any) -> Callable[[Any], str]:
    table: dict[str, str] = {}

    def fmt(value: Any) -> str:
        if not table:  # built on first use, in the language the export runs in
            table.update({str(v): str(label) for v, label in enum.choices})
        return table.get(value, value or "") if value else ""

    return fmt


def _custom(key: str) -> Callable[[Any], Any]:
    def fmt(custom: Any) -> Any:
        value = (custom or {}).get(key)
        return ", ".join(map(str, value)) if isinstance(value, list) else value

    return fmt


def _user(values: Any) -> str:
    return values or ""


def _query(params: dict[str, Any]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in params.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


def account_columns() -> list[ExportColumn]:
    cols = [
        ExportColumn("name", gettext_lazy("Name"), "name"),
        ExportColumn("short_name", gettext_lazy("Short name"), "short_name"),
        ExportColumn("credit_code", gettext_lazy("Unified social credit code"), "credit_code"),
        ExportColumn("kind", gettext_lazy("Kind"), "kind", _labels(AccountKind)),
        ExportColumn("nature", gettext_lazy("Nature"), "nature", _labels(Nature)),
        ExportColumn("industry", gettext_lazy("Industry"), "industry"),
        ExportColumn("province", gettext_lazy("Province"), "province"),
        ExportColumn("city", gettext_lazy("City"), "city"),
        ExportColumn("address", gettext_lazy("Address"), "address"),
        ExportColumn("phone", gettext_lazy("Phone"), "phone"),
        ExportColumn("other_phones", gettext_lazy("Other phones"), "other_phones"),
        ExportColumn("website", gettext_lazy("Website"), "website"),
        ExportColumn("source", gettext_lazy("Source"), "source"),
        ExportColumn("external_id", gettext_lazy("External id"), "external_id"),
        ExportColumn("owner", gettext_lazy("Owner"), "owner__username", _user),
        ExportColumn("team", gettext_lazy("Team"), "team__name", _user),
        ExportColumn("value_tier", gettext_lazy("By value"), "classification__value_tier", _labels(ValueTier)),
        ExportColumn("time_class", gettext_lazy("By time"), "classification__time_class", _labels(TimeClass)),
        ExportColumn("process_class", gettext_lazy("By transaction"), "classification__process_class", _labels(ProcessClass)),
        ExportColumn("created", gettext_lazy("Created"), "created_at"),
        ExportColumn("notes", gettext_lazy("Notes"), "notes"),
    ]
    cols += [ExportColumn(f"custom.{cf.key}", cf.label, "custom", _custom(cf.key)) for cf in active_fields("account")]
    return cols


def account_queryset(actor: Any, params: dict[str, Any]) -> Any:
    """The account list as the actor sees it, with the list's filters, search box and sort."""
    list_params = ACCOUNT_LIST.parse(_query(params))
    qs = selectors.account_filtered(actor=actor, params=list_params)
    return qs.order_by(*ACCOUNT_LIST.order(list_params))


def contact_columns() -> list[ExportColumn]:
    cols = [
        ExportColumn("name", gettext_lazy("Name"), "name"),
        ExportColumn("title", gettext_lazy("Title"), "title"),
        ExportColumn("department_name", gettext_lazy("Department"), "department_name"),
        ExportColumn("mobile", gettext_lazy("Mobile"), "mobile"),
        ExportColumn("other_phones", gettext_lazy("Other phones"), "other_phones"),
        ExportColumn("email", gettext_lazy("Email"), "email"),
        ExportColumn("wechat", gettext_lazy("WeChat ID"), "wechat"),
        ExportColumn("birthday", gettext_lazy("Birthday"), "birthday"),
        ExportColumn("external_id", gettext_lazy("External id"), "external_id"),
        ExportColumn("owner", gettext_lazy("Owner"), "owner__username", _user),
        ExportColumn("notes", gettext_lazy("Notes"), "notes"),
    ]
    cols += [ExportColumn(f"custom.{cf.key}", cf.label, "custom", _custom(cf.key)) for cf in active_fields("contact")]
    return cols


def contact_queryset(actor: Any, params: dict[str, Any]) -> Any:
    list_params = CONTACT_LIST.parse(_query(params))
    qs = selectors.contact_filtered(actor=actor, params=list_params)
    return qs.order_by(*CONTACT_LIST.order(list_params))


register_export(ExportSpec("account", gettext_lazy("Accounts"), account_columns, account_queryset, lambda: _("accounts")))
register_export(ExportSpec("contact", gettext_lazy("Contacts"), contact_columns, contact_queryset, lambda: _("contacts")))
