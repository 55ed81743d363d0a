from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictInt, StringConstraints

from guanxi.audit import lifecycle
from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.pagination import keyset_page
from guanxi.customers import contacts as services
from guanxi.customers import selectors
from guanxi.customers.lists import CONTACT_LIST
from guanxi.customers.models import Contact

router = Router(tags=["contacts"])

Str100 = Annotated[str, StringConstraints(max_length=100)]


class ContactWrite(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    title: Str100 | None = None
    department_name: Str100 | None = None
    mobile: Annotated[str, StringConstraints(max_length=40)] | None = None
    other_phones: Annotated[list[Annotated[str, StringConstraints(max_length=40)]], Field(max_length=10)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    wechat: Annotated[str, StringConstraints(max_length=50)] | None = None
    birthday: date | None = None
    external_id: Str100 | None = None
    notes: Annotated[str, StringConstraints(max_length=10000)] | None = None


class ContactCreate(ContactWrite):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]  # type: ignore[assignment]
    account_ids: Annotated[list[Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]], Field(max_length=50)] = []


class ContactUpdate(ContactWrite):
    version: StrictInt = Field(..., ge=1)


class ContactAccounts(Schema):
    model_config = ConfigDict(extra="forbid")
    account_ids: Annotated[list[Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]], Field(max_length=50)]


class ContactOut(Schema):
    id: int
    name: str
    title: str
    department_name: str
    mobile: str
    other_phones: list[str]
    email: str
    wechat: str
    birthday: date | None
    external_id: str | None
    notes: str
    owner_id: int | None
    account_ids: list[int]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_account_ids(obj: Contact) -> list[int]:
        return sorted(link.account_id for link in obj.account_links.all())


class ContactListParams(Schema):
    account_id: int | None = Field(None, ge=1, le=2**63 - 1)
    q: str = Field("", max_length=100, description="Search: name, pinyin, initials or phone.")
    sort: str = Field("name", max_length=20, description="name or created, '-' for descending.")
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


@router.get("/", response={200: CursorPage[ContactOut], **ERROR_RESPONSES}, description=(
    "Filters (repeat a parameter for several values): title, department_name, email, owner (me | none | user id), "
    "created__from / created__to (YYYY-MM-DD) and cf_<key> for custom fields. Unknown names → 400."))
def list_contacts(request: HttpRequest, params: Query[ContactListParams]) -> Any:
    # The contact list's allow-list (as on the web page): an unknown filter or sort name is a 400 list.*.
    raw = request.GET.copy()
    if "account_id" in raw:
        raw.setlist("account", raw.pop("account_id"))
    parsed = CONTACT_LIST.parse(raw)
    qs = selectors.contact_filtered(actor=request.user, params=parsed).prefetch_related("account_links")  # type: ignore[arg-type]
    page = keyset_page(qs, order=CONTACT_LIST.order(parsed), after=params.after, limit=params.limit)
    return CursorPage[ContactOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/", response={201: ContactOut, **ERROR_RESPONSES})
def create_contact(request: HttpRequest, payload: ContactCreate) -> Any:
    data = payload.model_dump(exclude_unset=True)
    account_ids = data.pop("account_ids", [])
    return Status(201, services.contact_create(actor=request.user, data=data, account_ids=account_ids))  # type: ignore[arg-type]


@router.get("/{int:contact_id}", response={200: ContactOut, **ERROR_RESPONSES})
def get_contact(request: HttpRequest, contact_id: int) -> Any:
    return lifecycle.get_visible(request.user, Contact, contact_id)


@router.patch("/{int:contact_id}", response={200: ContactOut, **ERROR_RESPONSES})
def update_contact(request: HttpRequest, contact_id: int, payload: ContactUpdate) -> Any:
    contact = lifecycle.get_visible(request.user, Contact, contact_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return services.contact_update(actor=request.user, contact=contact, version=version, data=data)  # type: ignore[arg-type]


@router.put("/{int:contact_id}/accounts", response={200: ContactOut, **ERROR_RESPONSES})
def set_contact_accounts(request: HttpRequest, contact_id: int, payload: ContactAccounts) -> Any:
    contact = lifecycle.get_visible(request.user, Contact, contact_id)
    return services.contact_set_accounts(actor=request.user, contact=contact, account_ids=payload.account_ids)  # type: ignore[arg-type]


@router.delete("/{int:contact_id}", response={204: None, **ERROR_RESPONSES})
def delete_contact(request: HttpRequest, contact_id: int, version: int | None = Query(None, ge=1)) -> Any:  # type: ignore[type-arg]
    contact = lifecycle.get_visible(request.user, Contact, contact_id)
    services.contact_delete(actor=request.user, contact=contact, version=version)  # type: ignore[arg-type]
    return Status(204, None)
