"""Notifications API (/api/v1/notifications/): the signed-in user's own notifications and
preferences. Another user's notification is 404, administrators included (it is personal)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field, StrictBool, StringConstraints

from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.core.pagination import keyset_page
from guanxi.users import notifications as services

router = Router(tags=["notifications"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class ListParams(Schema):
    unread: bool = Field(False, description="Only unread notifications.")
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class CountOut(Schema):
    unread: int


class MarkReadIn(Schema):
    model_config = ConfigDict(extra="forbid")
    ids: list[Id] = Field(default_factory=list, max_length=500, description="Notifications to mark read.")
    all: StrictBool = Field(False, description="Mark every notification read (ids are then ignored).")


class MarkedOut(Schema):
    marked: int
    unread: int


class PreferenceIO(Schema):
    model_config = ConfigDict(extra="forbid")
    kind: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    in_app: StrictBool
    email: StrictBool


class PreferenceOut(PreferenceIO):
    label: str


@router.get("/", response={200: CursorPage[NotificationOut], **ERROR_RESPONSES})
def list_notifications(request: HttpRequest, params: Query[ListParams]) -> Any:
    qs = services.notifications_for(request.user)
    if params.unread:
        qs = qs.filter(read_at__isnull=True)
    page = keyset_page(qs, order=("-id",), after=params.after, limit=params.limit)
    return CursorPage[NotificationOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.get("/unread-count", response={200: CountOut, **ERROR_RESPONSES})
def unread_count(request: HttpRequest) -> Any:
    return {"unread": services.unread_count(request.user)}


@router.post("/read", response={200: MarkedOut, **ERROR_RESPONSES})
def mark_read(request: HttpRequest, payload: MarkReadIn) -> Any:
    if not payload.all and not payload.ids:
        raise ValidationFailed({"ids": [_("Give the ids to mark read, or all: true.")]})
    marked = services.mark_read(request.user, "all" if payload.all else payload.ids)  # type: ignore[arg-type]
    return {"marked": marked, "unread": services.unread_count(request.user)}


@router.post("/{int:notification_id}/read", response={200: NotificationOut, **ERROR_RESPONSES})
def mark_one_read(request: HttpRequest, notification_id: int) -> Any:
    notification = services.notifications_for(request.user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound()
    services.mark_read(request.user, [notification.pk])  # type: ignore[arg-type]
    notification.refresh_from_db()
    return notification


@router.get("/preferences", response={200: list[PreferenceOut], **ERROR_RESPONSES})
def get_preferences(request: HttpRequest) -> Any:
    return services.preferences(request.user)  # type: ignore[arg-type]


@router.put("/preferences", response={200: list[PreferenceOut], **ERROR_RESPONSES})
def put_preferences(request: HttpRequest, payload: list[PreferenceIO]) -> Any:
    if len(payload) > 100:
        raise ValidationFailed({"body": [_("At most 100 preferences.")]})
    return services.preferences_set(request.user, [p.model_dump() for p in payload])  # type: ignore[arg-type]
