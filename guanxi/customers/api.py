from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from guanxi.audit import lifecycle
from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.errors import NotFound
from guanxi.core.pagination import keyset_page
from guanxi.customers import selectors, services
from guanxi.customers.models import Account
from guanxi.customers.schemas import AccountCreate, AccountOut, AccountTransfer, AccountUpdate
from guanxi.users.models import User

router = Router(tags=["accounts"])


class AccountListParams(Schema):
    q: str = Field("", max_length=100, description="Search: Chinese substring, pinyin, initials, phone or credit code.")
    sort: str = Field("name", max_length=20, description="A sortable column, '-' for descending: name, created, updated.")
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


ACCOUNT_FILTER_DOC = (
    "Filters (repeat a parameter for several values): kind, nature, industry, province, city, source, credit_code, "
    "owner (me | none | user id), team, tag, time_class (future|new|old), process_class (none|past|current|upcoming), "
    "value_tier (key|general|scattered), created__from / created__to, last_activity__from / __to (YYYY-MM-DD), "
    "and cf_<key> for custom fields (number: cf_<key>__min / __max; date: __from / __to). Unknown names → 400."
)


@router.get("/", response={200: CursorPage[AccountOut], **ERROR_RESPONSES}, description=ACCOUNT_FILTER_DOC)
def list_accounts(request: HttpRequest, params: Query[AccountListParams]) -> CursorPage[AccountOut]:
    parsed = selectors.params_from(request.GET, object_type="account")
    page = selectors.account_list(actor=request.user, params=parsed, after=params.after, limit=params.limit)  # type: ignore[arg-type]
    return CursorPage[AccountOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/", response={201: AccountOut, **ERROR_RESPONSES})
def create_account(request: HttpRequest, payload: AccountCreate) -> Status[Account]:
    data = payload.model_dump(exclude_unset=True)
    return Status(201, services.account_create(actor=request.user, data=data))  # type: ignore[arg-type]


class TrashParams(Schema):
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


@router.get("/trash", response={200: CursorPage[AccountOut], **ERROR_RESPONSES})
def account_trash(request: HttpRequest, params: Query[TrashParams]) -> CursorPage[AccountOut]:
    """Your deleted accounts (every one for an administrator), most recently deleted first."""
    qs = lifecycle.trash_for(request.user, Account)  # type: ignore[arg-type]
    page = keyset_page(qs, order=("-deleted_at", "-id"), after=params.after, limit=params.limit)
    return CursorPage[AccountOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.get("/{int:account_id}", response={200: AccountOut, **ERROR_RESPONSES})
def get_account(request: HttpRequest, account_id: int) -> Account:
    return lifecycle.get_visible(request.user, Account, account_id)


@router.patch("/{int:account_id}", response={200: AccountOut, **ERROR_RESPONSES})
def update_account(request: HttpRequest, account_id: int, payload: AccountUpdate) -> Account:
    account = lifecycle.get_visible(request.user, Account, account_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return services.account_update(actor=request.user, account=account, version=version, data=data)  # type: ignore[arg-type]


@router.delete("/{int:account_id}", response={204: None, **ERROR_RESPONSES})
def delete_account(request: HttpRequest, account_id: int, version: int | None = Query(None, ge=1)) -> Status[None]:  # type: ignore[type-arg]
    account = lifecycle.get_visible(request.user, Account, account_id)
    services.account_delete(actor=request.user, account=account, version=version)  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/{int:account_id}/restore", response={200: AccountOut, **ERROR_RESPONSES})
def restore_account(request: HttpRequest, account_id: int) -> Account:
    account = lifecycle.get_visible(request.user, Account, account_id, include_deleted=True)
    if account.deleted_at is None:
        raise NotFound()
    return services.account_restore(actor=request.user, account=account)  # type: ignore[arg-type]


@router.post("/{int:account_id}/transfer", response={200: AccountOut, **ERROR_RESPONSES})
def transfer_account(request: HttpRequest, account_id: int, payload: AccountTransfer) -> Account:
    account = lifecycle.get_visible(request.user, Account, account_id)
    new_owner = User.objects.filter(pk=payload.owner_id, is_active=True).first()
    if new_owner is None:
        raise NotFound(code="user.not_found", detail="No active user with this id.")
    return services.account_transfer(actor=request.user, account=account, new_owner=new_owner, version=payload.version)  # type: ignore[arg-type]
