from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field, StrictInt

from guanxi.audit import lifecycle
from guanxi.core.api import ERROR_RESPONSES, CursorPage
from guanxi.core.pagination import keyset_page
from guanxi.customers import bulk, pool
from guanxi.customers.models import Account
from guanxi.customers.schemas import AccountOut

router = Router(tags=["public pool"])


class PoolParams(Schema):
    after: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class ReleaseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=200)


@router.get("/pool", response={200: CursorPage[AccountOut], **ERROR_RESPONSES})
def list_pool(request: HttpRequest, params: Query[PoolParams]) -> Any:
    """Accounts in the public pool (公海), oldest in the pool first."""
    page = keyset_page(pool.pool_queryset(actor=request.user), order=("name_sort", "id"), after=params.after, limit=params.limit)  # type: ignore[arg-type]
    return CursorPage[AccountOut](items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/pool/{int:account_id}/claim", response={200: AccountOut, **ERROR_RESPONSES})
def claim(request: HttpRequest, account_id: int) -> Any:
    """Claim an account from the pool. Two reps claiming at once: one wins, the other gets 409 pool.already_claimed."""
    return pool.pool_claim(actor=request.user, account_id=account_id)  # type: ignore[arg-type]


@router.post("/{int:account_id}/release", response={200: AccountOut, **ERROR_RESPONSES})
def release(request: HttpRequest, account_id: int, payload: ReleaseIn) -> Any:
    account = lifecycle.get_visible(request.user, Account, account_id)
    return pool.pool_release(actor=request.user, account=account, reason=payload.reason)  # type: ignore[arg-type]


class BulkIn(Schema):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(..., pattern="^(assign_owner|add_tag|move_to_pool|delete)$")
    ids: list[Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]] = Field(..., min_length=1, max_length=bulk.BULK_MAX)
    owner_id: Annotated[StrictInt, Field(ge=1, le=2**63 - 1)] | None = None
    tag: str | None = Field(None, max_length=50)


class BulkOut(Schema):
    job_id: str | None = None
    result: dict[str, int] | None = None


@router.post("/bulk", response={200: BulkOut, **ERROR_RESPONSES})
def bulk_action(request: HttpRequest, payload: BulkIn) -> Any:
    """Assign owner, add tag, move to pool or delete. Over 1,000 ids run as a job: poll /api/v1/jobs/{job_id}."""
    args = {k: v for k, v in {"owner_id": payload.owner_id, "tag": payload.tag}.items() if v is not None}
    return bulk.bulk_start(actor=request.user, ids=payload.ids, action=payload.action, args=args)  # type: ignore[arg-type]
