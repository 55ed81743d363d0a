"""Building blocks for import writers: upsert rounds, the 查重 message, audit entries in bulk."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action, AuditEntry
from guanxi.audit.services import _SKIP, _plain, diff
from guanxi.core.context import Source, current_request_id
from guanxi.dataio.bulk import insert_values
from guanxi.dataio.importing import ValidRow


def upsert_rounds(rows: list[ValidRow], key: str) -> list[list[ValidRow]]:
    """Split a batch so no key occurs twice in one round: the second row with a key then updates
    the record the first one created, exactly as if it came in a later batch."""
    seen: dict[Any, int] = {}
    rounds: list[list[ValidRow]] = []
    for row in rows:
        value = row.values.get(key)
        n = seen.get(value, 0) if value not in (None, "") else 0
        if value not in (None, ""):
            seen[value] = n + 1
        while len(rounds) <= n:
            rounds.append([])
        rounds[n].append(row)
    return rounds


def exists_message(obj: Any) -> str:
    """DOMAIN §1 查重: say that the record exists and who owns it (or that it is in the public
    pool), and nothing else about a record the importer may not change."""
    owner = getattr(obj, "owner", None)
    if owner is None:
        return _("This customer already exists in the public pool; claim it there first.")
    return _("This record already exists, owned by %(owner)s.") % {"owner": owner}


_SIMPLE = (str, int, bool, float, type(None))
_ATTNAMES: dict[type[models.Model], tuple[str, ...]] = {}
_PROTOTYPES: dict[type[models.Model], tuple[dict[str, Any], tuple[tuple[str, Any], ...]]] = {}


def snapshot(obj: models.Model) -> dict[str, Any]:
    """guanxi.audit.services.snapshot, at import speed (the field list is computed once per model)."""
    model = type(obj)
    names = _ATTNAMES.get(model)
    if names is None:
        names = _ATTNAMES[model] = tuple(f.attname for f in model._meta.concrete_fields if f.attname not in _SKIP)
    d = obj.__dict__
    return {a: (v if type(v) in _SIMPLE else _plain_memo(v)) for a in names for v in (d[a],)}


_last_plain: tuple[Any, Any] = (None, None)


def _plain_memo(value: Any) -> Any:
    """_plain, remembering the last datetime: every record of a batch carries the same ``now``.
    (One tuple swapped whole, so concurrent callers never see half an update.)"""
    global _last_plain
    if type(value) is datetime:
        last = _last_plain
        if last[0] is value:
            return last[1]
        _last_plain = (value, _plain(value))
        return _last_plain[1]
    return _plain(value)


def new_instance(model: type[models.Model], **values: Any) -> Any:
    """``model(**values)`` without Django's per-field __init__ work: a copy of a prototype's
    defaults (callable and mutable defaults such as list/dict are made fresh per instance)."""
    proto = _PROTOTYPES.get(model)
    if proto is None:
        blank = model()
        fresh = tuple((f.attname, f.default) for f in model._meta.concrete_fields if f.has_default() and callable(f.default))
        proto = _PROTOTYPES[model] = ({k: v for k, v in blank.__dict__.items() if k != "_state"}, fresh)
    obj = model.__new__(model)
    d = dict(proto[0])
    for attname, default in proto[1]:
        if attname not in values:  # e.g. created_at=timezone.now, when the caller gives created_at
            d[attname] = default()
    d["_state"] = models.base.ModelState()
    d.update(values)
    obj.__dict__ = d
    return obj


def taken_message(obj: Any) -> str:
    """A unique value (credit code, external id) that belongs to another record: who owns that one."""
    owner = getattr(obj, "owner", None)
    if owner is None:
        return _("Another record with this value is in the public pool.")
    return _("Another record already has this value (owner: %(owner)s).") % {"owner": owner}


AUDIT_COLUMNS = ("at", "actor_id", "actor_name", "source", "action", "content_type_id", "object_id", "object_repr", "changes",
                 "request_id")
# Already in the entry's own columns (object_id, at, actor): left out of a create entry's changes.
_IN_ENTRY = ("id", "created_at", "created_by_id")


def _json_ready(value: Any) -> Any:
    return value if type(value) in _SIMPLE else _plain(value)


class AuditBuffer:
    """Collects one audit entry per created or updated record and writes them all at once (one
    COPY on PostgreSQL). A create entry lists the record's non-empty values, as the services'
    entries do, minus what the entry itself records (its id, time and author)."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.actor_id = getattr(actor, "pk", None)
        self.actor_name = actor.get_username() if getattr(actor, "is_authenticated", False) else ""
        self.request_id = current_request_id()
        self.now = timezone.now()
        self.entries: list[tuple[Any, ...]] = []
        self._types: dict[type[models.Model], int] = {}

    def _content_type(self, model: type[models.Model]) -> int:
        ct = self._types.get(model)
        if ct is None:
            ct = self._types[model] = ContentType.objects.get_for_model(model).pk
        return ct

    def row(self, model: type[models.Model], pk: Any, text: str, action: str, changes: dict[str, Any]) -> tuple[Any, ...]:
        """One entry as a row, not yet added (an import builds its new records' entries while
        planning and adds those whose records were written); ``changes`` must be JSON-ready."""
        return (self.now, self.actor_id, self.actor_name, Source.IMPORT, action, self._content_type(model), pk, text[:200],
                json.dumps(changes, ensure_ascii=False), self.request_id)

    def entry(self, model: type[models.Model], pk: Any, text: str, action: str, changes: dict[str, Any]) -> None:
        """One entry; ``changes`` must be JSON-ready (see ``created_changes``)."""
        self.entries.append(self.row(model, pk, text, action, changes))

    def created(self, obj: models.Model, extra: dict[str, Any] | None = None) -> None:
        changes = {k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "", [], {}) and k not in _IN_ENTRY}
        changes.update(extra or {})
        self.entry(type(obj), obj.pk, str(obj), Action.CREATE, changes)

    def updated(self, obj: models.Model, changes: dict[str, Any]) -> None:
        self.entry(type(obj), obj.pk, str(obj), Action.UPDATE, changes)

    def flush(self) -> None:
        insert_values(AuditEntry, AUDIT_COLUMNS, self.entries)
        self.entries = []


def created_changes(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A create entry's changes without a snapshot of the record: ``base`` holds what every record
    of the batch shares (owner, team, defaults: see ``base_changes``), ``values`` what this row set
    (custom.* keys as written by ``apply_changes``)."""
    changes = dict(base)
    custom = {}
    for k, v in values.items():
        if v in (None, "", [], {}):
            continue
        if k.startswith("custom."):
            custom[k[7:]] = _json_ready(v)
        else:
            changes[k] = [None, _json_ready(v)]
    if custom:
        changes["custom"] = [None, {**base.get("custom", [None, {}])[1], **custom}]
    return changes


def base_changes(obj: models.Model) -> dict[str, Any]:
    """What a create entry lists for every record built like ``obj`` (a new instance before the
    row's values are set: owner, team, defaults); ``created_changes`` adds each row's values."""
    return {k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "", [], {}) and k not in _IN_ENTRY}


def apply_changes(obj: models.Model, values: dict[str, Any], *, new: bool = False) -> dict[str, list[Any]]:
    """Set ``values`` on ``obj`` (custom.* merged into ``custom``); return the audit diff (none for
    a new record: its create entry lists every value)."""
    before = {} if new else snapshot(obj)
    custom = {}
    for name, value in values.items():  # one pass: this runs for every imported row
        if name[:7] == "custom.":
            custom[name[7:]] = value
        else:
            setattr(obj, name, value)
    if custom:
        obj.custom = {**(obj.custom or {}), **custom}  # type: ignore[attr-defined]
    return {} if new else diff(before, snapshot(obj))
