"""API authentication: a browser session (with CSRF) or a personal API token (Bearer)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from guanxi.core.errors import PermissionDenied
from guanxi.users.models import ApiToken, TokenScope

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token.startswith(ApiToken.PREFIX) or len(token) > 200:
            return None
        row = (
            ApiToken.objects.select_related("user", "user__role", "user__department")
            .filter(key_hash=ApiToken.hash_key(token))
            .first()
        )
        if row is None or not row.is_active or not row.user.is_active:
            return None
        request.user = row.user  # set first, so a refusal below is logged with who asked
        request.api_token = row  # type: ignore[attr-defined]
        if row.scope == TokenScope.READ and request.method not in SAFE_METHODS:
            raise PermissionDenied(code="auth.token_read_only", detail="This API token may only read.")
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row


class ActiveSessionAuth(SessionAuth):
    """Django's session with CSRF enforced on unsafe methods (ninja checks it for cookie auth)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and not user.is_active:
            return None
        return user


api_auth = [TokenAuth(), ActiveSessionAuth()]
