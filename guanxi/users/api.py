from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from guanxi.core.api import ERROR_RESPONSES
from guanxi.users import services
from guanxi.users.models import ApiToken, TokenScope

router = Router(tags=["users"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    language: str
    timezone: str
    role: str | None
    department_id: int | None
    team_ids: list[int]

    @staticmethod
    def resolve_role(obj: Any) -> str | None:
        return obj.role.code if obj.role_id else None

    @staticmethod
    def resolve_team_ids(obj: Any) -> list[int]:
        return sorted(t.pk for t in obj.teams.all())


class PreferencesIn(Schema):
    model_config = ConfigDict(extra="forbid")
    language: Annotated[str, StringConstraints(max_length=10)] | None = None
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    scope: TokenScope = TokenScope.READ
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    key_prefix: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    key: str


@router.get("/me", response={200: MeOut, **ERROR_RESPONSES})
def me(request: HttpRequest) -> Any:
    return request.user


@router.patch("/me", response={200: MeOut, **ERROR_RESPONSES})
def update_me(request: HttpRequest, payload: PreferencesIn) -> Any:
    return services.user_set_preferences(actor=request.user, language=payload.language, timezone_name=payload.timezone)  # type: ignore[arg-type]


@router.get("/me/tokens", response={200: list[TokenOut], **ERROR_RESPONSES})
def list_tokens(request: HttpRequest) -> Any:
    return list(ApiToken.objects.filter(user_id=request.user.pk)[:100])  # type: ignore[misc]


@router.post("/me/tokens", response={201: TokenCreatedOut, **ERROR_RESPONSES})
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    token, key = services.token_create(actor=request.user, name=payload.name, scope=payload.scope, expires_at=payload.expires_at)  # type: ignore[arg-type]
    token.key = key  # type: ignore[attr-defined]
    return Status(201, token)


@router.delete("/me/tokens/{int:token_id}", response={204: None, **ERROR_RESPONSES})
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    services.token_revoke(actor=request.user, token_id=token_id)  # type: ignore[arg-type]
    return Status(204, None)
