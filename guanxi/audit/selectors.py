from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet

from guanxi.audit.models import AuditEntry


def history_for(obj: models.Model) -> QuerySet[AuditEntry]:
    """The history of one record. Callers must already have checked that the actor may see ``obj``."""
    ct = ContentType.objects.get_for_model(type(obj))
    return AuditEntry.objects.filter(content_type=ct, object_id=obj.pk).select_related("actor")


def history_for_ids(model: type[models.Model], ids: list[int]) -> QuerySet[AuditEntry]:
    """The joint history of several records of one type (e.g. an account and those merged into it)."""
    ct = ContentType.objects.get_for_model(model)
    return AuditEntry.objects.filter(content_type=ct, object_id__in=ids).select_related("actor")


@dataclass(frozen=True)
class ChangeLine:
    field: str
    label: str
    old: str
    new: str


def _text(value: Any, field: Any, names: dict[Any, str] | None) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if names is not None:
        return names.get(value, f"#{value}")
    if field is not None and (field.many_to_one or field.one_to_one):
        return f"#{value}"
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name[:-3] if name.endswith("_id") else name)
    except FieldDoesNotExist:  # a field removed since the entry was written: show its stored name
        return None


def _named(field: Any) -> bool:
    """People, teams and departments are named in the history; other linked records stay ids,
    since the reader may not be allowed to see them."""
    return field is not None and (field.many_to_one or field.one_to_one) and field.related_model._meta.app_label == "users"


def with_change_lines(model: type[models.Model], entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Give each entry ``lines`` (field label, old → new) for people rather than programs, with
    one query per kind of named object."""
    entries = list(entries)
    wanted: dict[type[models.Model], set[Any]] = {}
    for entry in entries:
        for name, pair in entry.changes.items():
            field = _field(model, name)
            if _named(field) and isinstance(pair, list):
                wanted.setdefault(field.related_model, set()).update(v for v in pair if isinstance(v, int))
    names = {
        related: {pk: str(obj) for pk, obj in related._base_manager.in_bulk(list(ids)).items()}
        for related, ids in wanted.items()
    }
    for entry in entries:
        lines = []
        for name, pair in entry.changes.items():
            field = _field(model, name)
            label = str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else name
            lookup = names.get(field.related_model, {}) if _named(field) else None
            old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            lines.append(ChangeLine(name, label, _text(old, field, lookup), _text(new, field, lookup)))
        entry.lines = lines  # type: ignore[attr-defined]
    return entries
