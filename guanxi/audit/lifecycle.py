"""Generic record lifecycle shared by every owned object: update with optimistic locking, soft
delete, restore from the trash, ownership transfer and purge. Each checks permission through the
one visibility module and writes one audit entry, in one transaction.

App services call these (``account_update`` = validate fields, then ``record_update``) so no app
re-implements versions, trash or transfer rules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import _plain, audit_record, snapshot
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from guanxi.users.models import User
from guanxi.users.visibility import can_create, can_see, editable_by, visible_to

M = TypeVar("M", bound=models.Model)
logger = logging.getLogger(__name__)


def get_visible(actor: Any, model: type[M], pk: Any, *, include_deleted: bool = False) -> M:
    """Fetch one record the actor may see, else NotFound (never reveal that it exists)."""
    manager = model._base_manager if include_deleted else model._default_manager
    try:
        return visible_to(actor, manager.all()).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def get_editable(actor: Any, model: type[M], pk: Any, *, include_deleted: bool = False) -> M:
    obj = get_visible(actor, model, pk, include_deleted=include_deleted)
    if not editable_by(actor, obj):
        raise PermissionDenied()
    return obj


def _lock(obj: M) -> M:
    return type(obj)._base_manager.select_for_update().get(pk=obj.pk)


def _check_version(current: Any, expected: int | None, changes: dict[str, Any] | None = None) -> None:
    """Refuse a stale copy. ``changed`` tells the client the stored value of every field it tried
    to save that differs from what it sent, so the person can see what someone else changed."""
    if expected is not None and current.version != expected:
        changed = {}
        for name, value in (changes or {}).items():
            field = next((f for f in current._meta.concrete_fields if f.attname == name or f.name == name), None)
            if field is None or not field.editable:
                continue
            stored, sent = _plain(getattr(current, field.attname)), _plain(value)
            if stored != sent and not (stored in (None, "") and sent in (None, "")):
                changed[name] = stored
        raise VersionConflict(current_version=current.version, changed=changed)


def _nulls_to_blank(obj: models.Model) -> None:
    """A JSON ``null`` for a text column means "empty". Django's ``full_clean`` skips blank fields,
    so without this a None would reach the database as a NOT NULL violation (a 500, not a 422)."""
    errors: dict[str, list[Any]] = {}
    for field in obj._meta.concrete_fields:
        if field.null or field.primary_key or getattr(obj, field.attname) is not None:
            continue
        if isinstance(field, (models.CharField, models.TextField)):
            setattr(obj, field.attname, "")
        elif field.editable:
            errors[field.name] = [field.error_messages["null"]]
    if errors:
        raise DjangoValidationError(errors)


# What a record's placement was before a lifecycle change: its owner, team and trash state.
PLACEMENT = ("owner_id", "team_id", "deleted_at")
_WATCHERS: dict[type[models.Model], list[Callable[[Any, dict[str, Any]], None]]] = {}


def watch_placement(model: type[models.Model], callback: Callable[[Any, dict[str, Any]], None]) -> None:
    """Call ``callback(record, before)`` in the same transaction whenever a record of ``model``
    changes owner, team or trash state here (update, delete, restore, transfer); ``before`` holds
    its PLACEMENT values before the change. For figures kept per owner or team that must follow
    the record: an app above this one registers, so this module imports nothing of it."""
    _WATCHERS.setdefault(model, []).append(callback)


def _placement(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name, None) for name in PLACEMENT}


def _placement_changed(obj: Any, before: dict[str, Any]) -> None:
    if before != _placement(obj):
        for callback in _WATCHERS.get(type(obj), ()):
            callback(obj, before)


def require_can_create(actor: User, model: type[models.Model]) -> None:
    """403 for a role that may not create records of this kind: the services ask it before saving,
    and the "new" pages before showing a form that could never be saved."""
    if not can_create(actor, model):
        raise PermissionDenied(_("Your role may not create records of this kind."))


@transaction.atomic
def record_create(*, actor: User, obj: M) -> M:
    """Save a new owned record (owner defaults to the actor) and audit it."""
    require_can_create(actor, type(obj))
    if getattr(obj, "owner_id", None) is None and hasattr(obj, "owner_id"):
        obj.owner = actor  # type: ignore[attr-defined]
    if hasattr(obj, "department_id") and obj.department_id is None and obj.owner is not None:  # type: ignore[attr-defined]
        obj.department_id = obj.owner.department_id  # type: ignore[attr-defined]
    if hasattr(obj, "created_by_id"):
        obj.created_by = actor  # type: ignore[attr-defined]
    _nulls_to_blank(obj)
    obj.full_clean()
    obj.save()
    audit_record(actor=actor, obj=obj, action=Action.CREATE)
    return obj


@transaction.atomic
def record_update(*, actor: User, obj: M, version: int | None, changes: dict[str, Any]) -> M:
    """Apply ``changes`` (already validated field values) if ``version`` is still current."""
    if not editable_by(actor, obj):
        raise PermissionDenied() if can_see(actor, obj) else NotFound()
    protected: frozenset[str] = getattr(obj, "PROTECTED_FIELDS", frozenset())
    bad = sorted(set(changes) & protected)
    if bad:
        raise ValidationFailed({name: [_("This field cannot be changed here.")] for name in bad})
    current = _lock(obj)
    if getattr(current, "deleted_at", None) is not None:
        raise NotFound()  # in the trash: restore it first
    _check_version(current, version, changes)
    before = snapshot(current)
    placed = _placement(current)
    for name, value in changes.items():
        setattr(current, name, value)
    _nulls_to_blank(current)
    current.full_clean()
    current.version += 1  # type: ignore[attr-defined]
    current.save()
    audit_record(actor=actor, obj=current, action=Action.UPDATE, before=before)
    _placement_changed(current, placed)
    return current


@transaction.atomic
def record_delete(*, actor: User, obj: M, version: int | None = None) -> M:
    if not editable_by(actor, obj):
        raise PermissionDenied() if can_see(actor, obj) else NotFound()
    current = _lock(obj)
    if current.deleted_at is not None:  # type: ignore[attr-defined]
        raise NotFound()
    _check_version(current, version)
    placed = _placement(current)
    current.deleted_at = timezone.now()  # type: ignore[attr-defined]
    current.deleted_by = actor  # type: ignore[attr-defined]
    current.version += 1  # type: ignore[attr-defined]
    current.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit_record(actor=actor, obj=current, action=Action.DELETE, changes={})
    _placement_changed(current, placed)
    return current


def restorable_until(obj: Any) -> Any:
    return obj.deleted_at + timedelta(days=settings.TRASH_RETENTION_DAYS)


@transaction.atomic
def record_restore(*, actor: User, obj: M) -> M:
    """Bring a record back from the trash: its owner or an administrator, within the retention."""
    current = _lock(obj)
    if current.deleted_at is None or restorable_until(current) < timezone.now():  # type: ignore[attr-defined]
        raise NotFound()
    if not (actor.is_admin or current.owner_id == actor.pk):  # type: ignore[attr-defined]
        raise PermissionDenied(code="trash.restore_forbidden", detail=_("Only the owner or an administrator can restore this record."))
    placed = _placement(current)
    current.deleted_at = None  # type: ignore[attr-defined]
    current.deleted_by = None  # type: ignore[attr-defined]
    current.version += 1  # type: ignore[attr-defined]
    current.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit_record(actor=actor, obj=current, action=Action.RESTORE, changes={})
    _placement_changed(current, placed)
    return current


@transaction.atomic
def record_transfer(*, actor: User, obj: M, new_owner: User, version: int | None = None) -> M:
    """Change a record's owner (and with it its team and department): the only way ownership moves."""
    if not editable_by(actor, obj):
        raise PermissionDenied() if can_see(actor, obj) else NotFound()
    if not new_owner.is_active:
        raise ValidationFailed({"owner": [_("This user is deactivated.")]})
    current = _lock(obj)
    if getattr(current, "deleted_at", None) is not None:
        raise NotFound()
    _check_version(current, version)
    before = snapshot(current)
    placed = _placement(current)
    current.owner = new_owner  # type: ignore[attr-defined]
    current.department_id = new_owner.department_id  # type: ignore[attr-defined]
    first_team = new_owner.teams.order_by("pk").first()
    current.team = first_team  # type: ignore[attr-defined]
    current.version += 1  # type: ignore[attr-defined]
    current.save()
    audit_record(actor=actor, obj=current, action=Action.OWNERSHIP, before=before)
    _placement_changed(current, placed)
    return current


def trash_for(actor: User, model: type[M]) -> models.QuerySet[M]:
    """Deleted records the actor could restore, newest first."""
    cutoff = timezone.now() - timedelta(days=settings.TRASH_RETENTION_DAYS)
    qs = model._base_manager.filter(deleted_at__isnull=False, deleted_at__gte=cutoff)
    if not actor.is_admin:
        qs = qs.filter(owner_id=actor.pk)
    return qs.order_by("-deleted_at", "-pk")


def purge_expired(model: type[models.Model], *, now: Any = None) -> int:
    """Hard-delete records that have been in the trash longer than the retention period."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.TRASH_RETENTION_DAYS)
    expired = model._base_manager.filter(deleted_at__lt=cutoff)
    count = 0
    for obj in expired.iterator():
        try:
            with transaction.atomic():
                audit_record(actor=None, obj=obj, action=Action.PURGE, changes={}, source="task")
                obj.delete()
                count += 1
        except (models.ProtectedError, models.RestrictedError):
            # Still referenced (e.g. an account with orders): keep it rather than stop the purge.
            logger.warning("purge skipped a referenced record", extra={"model": model._meta.label, "pk": obj.pk})
    return count
