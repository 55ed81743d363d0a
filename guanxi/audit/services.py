"""The one audit writer. Services call it explicitly (no signals) inside their transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models

from guanxi.audit.models import Action, AuditEntry
from guanxi.core.context import current_request_id, current_source

M = TypeVar("M", bound=models.Model)

# Derived columns (search index text, sort keys) are noise in a change history.
_SKIP = {"updated_at", "version", "search_text", "name_sort", "name_key"}


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys by id), JSON-ready."""
    return {
        f.attname: _plain(getattr(obj, f.attname))
        for f in obj._meta.concrete_fields
        if f.attname not in _SKIP
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def audit_record(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    before: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    source: str | None = None,
) -> AuditEntry:
    """Write one entry. For updates pass ``before`` (a ``snapshot``); the changed fields are computed."""
    if changes is None:
        after = snapshot(obj)
        if action == Action.CREATE:
            changes = {k: [None, v] for k, v in after.items() if v not in (None, "", [], {})}
        elif before is not None:
            changes = diff(before, after)
        else:
            changes = {}
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=str(user.get_username()) if user else "",
        source=source or current_source(),
        action=action,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        changes=changes,
        request_id=current_request_id(),
    )


def audited_update(*, actor: Any, obj: M, changes: dict[str, Any], validate: bool = False) -> M:
    """Apply already-cleaned ``changes`` to ``obj`` (locked by the caller), save it and audit the
    update. For reference records an administrator keeps (types, policies, rules, survey items);
    owned records go through ``lifecycle.record_update`` (visibility, versions)."""
    before = snapshot(obj)
    for name, value in changes.items():
        setattr(obj, name, value)
    if validate:
        obj.full_clean()
    obj.save()
    audit_record(actor=actor, obj=obj, action=Action.UPDATE, before=before)
    return obj
