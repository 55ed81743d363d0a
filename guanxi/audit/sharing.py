"""Sharing one record with a user or a team, read-only or editable (issue 3 item 4).

Only someone who may edit a record shares it; shares are audited on the record."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext as _

from guanxi.audit.models import Action
from guanxi.audit.services import audit_record
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.users.models import Share, Team, User
from guanxi.users.visibility import can_see, editable_by


def reset_visibility_cache(user: User) -> None:
    for key in ("_gx_shares", "_gx_all_shares", "_gx_scope_cache", "_gx_role_scopes", "_gx_subordinates", "_gx_team_ids"):
        user.__dict__.pop(key, None)


def _audit(actor: User, obj: models.Model, changes: dict[str, Any]) -> None:
    audit_record(actor=actor, obj=obj, action=Action.UPDATE, changes=changes)


@transaction.atomic
def share_create(*, actor: User, obj: models.Model, user: User | None = None, team: Team | None = None, can_edit: bool = False) -> Share:
    if not editable_by(actor, obj):
        raise PermissionDenied() if can_see(actor, obj) else NotFound()
    if (user is None) == (team is None):
        raise ValidationFailed({"target": [_("Share with one user or one team.")]})
    if user is not None and not user.is_active:
        raise ValidationFailed({"user": [_("This user is deactivated.")]})
    ct = ContentType.objects.get_for_model(type(obj))
    share, created = Share.objects.get_or_create(
        content_type=ct, object_id=obj.pk, user=user, team=team, defaults={"can_edit": can_edit, "created_by": actor}
    )
    if not created and share.can_edit != can_edit:
        share.can_edit = can_edit
        share.save(update_fields=["can_edit", "updated_at"])
    target = f"user:{user.username}" if user else f"team:{team.name}"  # type: ignore[union-attr]
    _audit(actor, obj, {"shared_with": [None, f"{target} ({'edit' if can_edit else 'read'})"]})
    reset_visibility_cache(actor)
    return share


@transaction.atomic
def share_delete(*, actor: User, obj: models.Model, share_id: int) -> None:
    if not editable_by(actor, obj):
        raise PermissionDenied() if can_see(actor, obj) else NotFound()
    ct = ContentType.objects.get_for_model(type(obj))
    share = Share.objects.filter(pk=share_id, content_type=ct, object_id=obj.pk).select_related("user", "team").first()
    if share is None:
        raise NotFound()
    target = f"user:{share.user.username}" if share.user else f"team:{share.team.name}"  # type: ignore[union-attr]
    share.delete()
    _audit(actor, obj, {"shared_with": [target, None]})


def shares_of(obj: models.Model) -> models.QuerySet[Share]:
    ct = ContentType.objects.get_for_model(type(obj))
    return Share.objects.filter(content_type=ct, object_id=obj.pk).select_related("user", "team").order_by("id")
