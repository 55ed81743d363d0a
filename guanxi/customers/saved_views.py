"""Saved list views: personal, or shared with everyone. Owned objects: only their owner (or an
administrator) changes or deletes them (SECURITY.md, auxiliary objects)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.customers.lists import LISTS
from guanxi.customers.models import SavedView
from guanxi.users.models import User

MAX_VIEWS_PER_USER = 100


def saved_view_save(*, actor: User, object_type: str, name: str, params: dict[str, Any], shared: bool = False,
                    view: SavedView | None = None) -> SavedView:
    if object_type not in LISTS:
        raise ValidationFailed({"object_type": [_("Unknown list.")]})
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": [_("Give the view a name of 1 to 100 characters.")]})
    # Validate through the list definition so a saved view can only hold allowed names.
    parsed = LISTS[object_type].parse(params)
    if view is None:
        if SavedView.objects.filter(owner=actor).count() >= MAX_VIEWS_PER_USER:
            raise ValidationFailed({"name": [_("You have too many saved views; delete one first.")]})
        view = SavedView(owner=actor, object_type=object_type)
    elif view.owner_id != actor.pk and not actor.is_admin:
        raise PermissionDenied()
    view.name = name
    view.shared = bool(shared)
    view.params = parsed.as_querydict()
    view.save()
    return view


def saved_view_get(*, actor: User, pk: Any) -> SavedView:
    from django.db.models import Q

    view = SavedView.objects.filter(pk=pk).filter(Q(owner_id=actor.pk) | Q(shared=True)).first() if str(pk).isdigit() else None
    if view is None:
        raise NotFound()
    return view


def saved_view_delete(*, actor: User, view: SavedView) -> None:
    if view.owner_id != actor.pk and not actor.is_admin:
        raise PermissionDenied()
    view.delete()
