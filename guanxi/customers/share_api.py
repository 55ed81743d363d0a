from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt

from guanxi.audit import lifecycle, sharing
from guanxi.core.api import ERROR_RESPONSES
from guanxi.core.errors import NotFound
from guanxi.customers.models import Account
from guanxi.users.models import Team, User

router = Router(tags=["sharing"])


class ShareIn(Schema):
    model_config = ConfigDict(extra="forbid")
    user_id: StrictInt | None = Field(None, ge=1)
    team_id: StrictInt | None = Field(None, ge=1)
    can_edit: StrictBool = False


class ShareOut(Schema):
    id: int
    user_id: int | None
    team_id: int | None
    can_edit: bool


@router.get("/{int:account_id}/shares", response={200: list[ShareOut], **ERROR_RESPONSES})
def list_shares(request: HttpRequest, account_id: int) -> Any:
    account = lifecycle.get_visible(request.user, Account, account_id)
    return list(sharing.shares_of(account))


@router.post("/{int:account_id}/shares", response={201: ShareOut, **ERROR_RESPONSES})
def create_share(request: HttpRequest, account_id: int, payload: ShareIn) -> Any:
    """Share an account with one user or one team, read-only or editable."""
    account = lifecycle.get_visible(request.user, Account, account_id)
    user = User.objects.filter(pk=payload.user_id, is_active=True).first() if payload.user_id else None
    team = Team.objects.filter(pk=payload.team_id).first() if payload.team_id else None
    if (payload.user_id and user is None) or (payload.team_id and team is None):
        raise NotFound(code="share.target_not_found", detail="No such user or team.")
    return Status(201, sharing.share_create(actor=request.user, obj=account, user=user, team=team, can_edit=payload.can_edit))  # type: ignore[arg-type]


@router.delete("/{int:account_id}/shares/{int:share_id}", response={204: None, **ERROR_RESPONSES})
def delete_share(request: HttpRequest, account_id: int, share_id: int) -> Any:
    account = lifecycle.get_visible(request.user, Account, account_id)
    sharing.share_delete(actor=request.user, obj=account, share_id=share_id)  # type: ignore[arg-type]
    return Status(204, None)
