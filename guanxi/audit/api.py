from __future__ import annotations

from datetime import datetime
from typing import Any

from django.apps import apps
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from guanxi.audit import lifecycle
from guanxi.audit.selectors import history_for
from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.errors import NotFound
from guanxi.core.pagination import keyset_page
from guanxi.users.ownership import OwnedModel

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    source: str
    action: str
    object_repr: str
    changes: dict[str, Any]
    request_id: str


def audited_model(object_type: str) -> type[OwnedModel]:
    """Resolve "customers.account" to a model, only among owned (audited) types."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError) as exc:
        raise NotFound(code="audit.unknown_type", detail="Unknown object type.") from exc
    if not issubclass(model, OwnedModel):
        raise NotFound(code="audit.unknown_type", detail="Unknown object type.")
    return model


class HistoryParams(Schema):
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


@router.get("/{object_type}/{int:object_id}", response={200: CursorPage[AuditEntryOut], **ERROR_RESPONSES})
def object_history(request: HttpRequest, object_type: str, object_id: int, params: Query[HistoryParams]) -> Any:
    """The change history of one record you may see (including records in your trash), newest
    first. ``object_type`` is ``app.model``, e.g. ``customers.account``. Read-only: entries can
    never be changed or deleted."""
    obj = lifecycle.get_visible(request.user, audited_model(object_type), object_id, include_deleted=True)
    page = keyset_page(history_for(obj), order=("-at", "-id"), after=params.after, limit=params.limit)
    return CursorPage[AuditEntryOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]
