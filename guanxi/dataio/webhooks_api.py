"""Webhooks API (/api/v1/webhooks/), administrators only: endpoints, the delivery log, redelivery.
The signing secret is returned once, in the answer to the create call, and never again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StringConstraints

from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.pagination import keyset_page
from guanxi.dataio import webhooks

router = Router(tags=["webhooks"])

EventName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class EndpointCreate(Schema):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    events: Annotated[list[EventName], Field(min_length=1, max_length=50)]
    description: Annotated[str, StringConstraints(max_length=200)] = ""


class EndpointUpdate(Schema):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    events: Annotated[list[EventName], Field(min_length=1, max_length=50)] | None = None
    active: StrictBool | None = None
    description: Annotated[str, StringConstraints(max_length=200)] | None = None


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    active: bool
    created_by_id: int | None
    created_at: datetime


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(..., description="Shown once: verify X-Guanxi-Signature with it. Store it now.")


class DeliveryOut(Schema):
    id: UUID
    endpoint_id: int
    event: str
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


class EventOut(Schema):
    name: str
    label: str


class PageParams(Schema):
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


@router.get("/events", response={200: list[EventOut], **ERROR_RESPONSES})
def list_events(request: HttpRequest) -> Any:
    webhooks.endpoints_for(request.user)  # type: ignore[arg-type]  # administrators only
    return [{"name": k, "label": str(v)} for k, v in webhooks.known_events().items()]


@router.get("/", response={200: list[EndpointOut], **ERROR_RESPONSES})
def list_endpoints(request: HttpRequest) -> Any:
    return list(webhooks.endpoints_for(request.user).order_by("id")[:500])  # type: ignore[arg-type]


@router.post("/", response={201: EndpointCreatedOut, **ERROR_RESPONSES})
def create_endpoint(request: HttpRequest, payload: EndpointCreate) -> Any:
    endpoint = webhooks.endpoint_create(actor=request.user, url=payload.url, events=payload.events,  # type: ignore[arg-type]
                                        description=payload.description)
    return Status(201, endpoint)


@router.get("/{int:endpoint_id}", response={200: EndpointOut, **ERROR_RESPONSES})
def get_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    return webhooks.get_endpoint(request.user, endpoint_id)  # type: ignore[arg-type]


@router.patch("/{int:endpoint_id}", response={200: EndpointOut, **ERROR_RESPONSES})
def update_endpoint(request: HttpRequest, endpoint_id: int, payload: EndpointUpdate) -> Any:
    endpoint = webhooks.get_endpoint(request.user, endpoint_id)  # type: ignore[arg-type]
    return webhooks.endpoint_update(actor=request.user, endpoint=endpoint, data=payload.model_dump(exclude_unset=True))  # type: ignore[arg-type]


@router.delete("/{int:endpoint_id}", response={204: None, **ERROR_RESPONSES})
def delete_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    webhooks.endpoint_delete(actor=request.user, endpoint=webhooks.get_endpoint(request.user, endpoint_id))  # type: ignore[arg-type]
    return Status(204, None)


@router.get("/{int:endpoint_id}/deliveries", response={200: CursorPage[DeliveryOut], **ERROR_RESPONSES})
def list_deliveries(request: HttpRequest, endpoint_id: int, params: Query[PageParams]) -> Any:
    """The delivery log of one endpoint, newest first."""
    endpoint = webhooks.get_endpoint(request.user, endpoint_id)  # type: ignore[arg-type]
    page = keyset_page(webhooks.deliveries_for(request.user, endpoint), order=("-created_at", "-id"),  # type: ignore[arg-type]
                       after=params.after, limit=params.limit)
    return CursorPage[DeliveryOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/deliveries/{uuid:delivery_id}/redeliver", response={202: DeliveryOut, **ERROR_RESPONSES})
def redeliver(request: HttpRequest, delivery_id: UUID) -> Any:
    delivery = webhooks.get_delivery(request.user, delivery_id)  # type: ignore[arg-type]
    return Status(202, webhooks.redeliver(actor=request.user, delivery=delivery))  # type: ignore[arg-type]
