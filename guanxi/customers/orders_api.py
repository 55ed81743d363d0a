"""Orders API (/api/v1/orders/): thin — parse, call a service or the list engine, return."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictInt, StringConstraints

from guanxi.audit import lifecycle
from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.pagination import keyset_page
from guanxi.customers import orders as services
from guanxi.customers.lists import ORDER_LIST
from guanxi.customers.models import Account, Order, OrderStatus
from guanxi.users.visibility import visible_to

router = Router(tags=["orders"])

Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2, allow_inf_nan=False)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3)]


class OrderWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    number: Annotated[str, StringConstraints(max_length=50)] | None = None
    order_date: date | None = None
    status: OrderStatus | None = None
    amount: Money | None = None
    gross_profit: Money | None = None
    currency: Currency | None = None
    external_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    notes: Annotated[str, StringConstraints(max_length=5000)] | None = None


class OrderCreate(OrderWrite):
    account_id: StrictInt = Field(..., ge=1, le=2**63 - 1)
    order_date: date  # type: ignore[assignment]
    amount: Money  # type: ignore[assignment]


class OrderUpdate(OrderWrite):
    version: StrictInt = Field(..., ge=1, description="The version you read; a stale version is refused with 409.")


class OrderOut(Schema):
    id: int
    account_id: int
    number: str | None
    order_date: date
    status: str
    amount: Decimal
    gross_profit: Decimal
    currency: str
    external_id: str | None
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime


class OrderListParams(Schema):
    account_id: int | None = Field(None, ge=1, le=2**63 - 1)
    status: list[OrderStatus] = Field(default_factory=list, description="Repeat for several statuses.")
    date_from: date | None = Field(None, description="Orders dated on or after this day (YYYY-MM-DD).")
    date_to: date | None = Field(None, description="Orders dated on or before this day (YYYY-MM-DD).")
    sort: str = Field("-order_date", max_length=20, description="order_date, amount or gross_profit; '-' for descending.")
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


@router.get("/", response={200: CursorPage[OrderOut], **ERROR_RESPONSES})
def list_orders(request: HttpRequest, params: Query[OrderListParams]) -> Any:
    # The same list engine as the web page, from the visible orders: every query parameter goes
    # through the allow-list, so an unknown filter or sort name is a 400 list.*, never ignored.
    raw = request.GET.copy()
    for api_name, list_name in (("account_id", "account"), ("date_from", "order_date__from"), ("date_to", "order_date__to")):
        if api_name in raw:
            raw.setlist(list_name, raw.pop(api_name))
    parsed = ORDER_LIST.parse(raw)
    qs = ORDER_LIST.apply(visible_to(request.user, Order.objects.all()), parsed, request.user)
    page = keyset_page(qs, order=ORDER_LIST.order(parsed), after=params.after, limit=params.limit)
    return CursorPage[OrderOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/", response={201: OrderOut, **ERROR_RESPONSES})
def create_order(request: HttpRequest, payload: OrderCreate) -> Any:
    data = payload.model_dump(exclude_unset=True)
    account = lifecycle.get_visible(request.user, Account, data.pop("account_id"))
    return Status(201, services.order_create(actor=request.user, account=account, data=data))  # type: ignore[arg-type]


@router.get("/{int:order_id}", response={200: OrderOut, **ERROR_RESPONSES})
def get_order(request: HttpRequest, order_id: int) -> Any:
    return lifecycle.get_visible(request.user, Order, order_id)


@router.patch("/{int:order_id}", response={200: OrderOut, **ERROR_RESPONSES})
def update_order(request: HttpRequest, order_id: int, payload: OrderUpdate) -> Any:
    order = lifecycle.get_visible(request.user, Order, order_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return services.order_update(actor=request.user, order=order, version=version, data=data)  # type: ignore[arg-type]


@router.delete("/{int:order_id}", response={204: None, **ERROR_RESPONSES})
def delete_order(request: HttpRequest, order_id: int, version: int | None = Query(None, ge=1)) -> Any:  # type: ignore[type-arg]
    order = lifecycle.get_visible(request.user, Order, order_id)
    services.order_delete(actor=request.user, order=order, version=version)  # type: ignore[arg-type]
    return Status(204, None)
