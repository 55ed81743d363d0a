"""Writes to the organisation's own objects: preferences, API tokens, login throttling."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.users.models import ApiToken, LoginFailure, TokenScope, User

MAX_TOKENS_PER_USER = 50


def valid_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return "/" in name or name == "UTC"


def user_set_preferences(*, actor: User, language: str | None = None, timezone_name: str | None = None) -> User:
    errors: dict[str, list[str]] = {}
    if language is not None and language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose 简体中文 (zh-hans) or English (en).")]
    if timezone_name is not None and not valid_timezone(timezone_name):
        errors["timezone"] = [_("Not a known time zone, e.g. Asia/Shanghai.")]
    if errors:
        raise ValidationFailed(errors)
    fields = []
    if language is not None:
        actor.language = language
        fields.append("language")
    if timezone_name is not None:
        actor.timezone = timezone_name
        fields.append("timezone")
    if fields:
        actor.save(update_fields=fields)
    return actor


@transaction.atomic
def token_create(*, actor: User, name: str, scope: str, expires_at: datetime | None) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret; the secret is not stored and never shown again."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = [_("Give the token a name of 1 to 100 characters.")]
    if scope not in TokenScope.values:
        errors["scope"] = [_("Scope must be read or read_write.")]
    if expires_at is not None:
        # Naive input is local time; storing in UTC also avoids offsets PostgreSQL refuses (> ±15:59).
        expires_at = (timezone.make_aware(expires_at) if timezone.is_naive(expires_at) else expires_at).astimezone(UTC)
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry date must be in the future.")]
    if ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count() >= MAX_TOKENS_PER_USER:
        errors["name"] = [_("You have too many active tokens; revoke one first.")]
    if errors:
        raise ValidationFailed(errors)
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=actor, name=name, scope=scope, expires_at=expires_at, key_prefix=key[:10], key_hash=ApiToken.hash_key(key)
    )
    return token, key


def token_revoke(*, actor: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=actor).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# --- Login throttling: 5 failures per username or per IP in 15 minutes lock both for 15 minutes ----


def login_locked_for(*, username: str, ip: str | None) -> int:
    """Seconds until a login for this username/IP may be tried again; 0 when it may now."""
    window = timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    since = timezone.now() - window
    limit = settings.LOGIN_THROTTLE_MAX_FAILURES
    condition = Q(username__iexact=username[:150])
    waits = []
    for q in (condition, Q(ip=ip) if ip else None):
        if q is None:
            continue
        recent = list(LoginFailure.objects.filter(q, at__gte=since).order_by("-at").values_list("at", flat=True)[:limit])
        if len(recent) >= limit:
            # Locked until the window has passed since the limit-th most recent failure.
            waits.append(int((recent[-1] + window - timezone.now()).total_seconds()) + 1)
    return max(waits, default=0)


def login_failed(*, username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip=ip or None)


def login_succeeded(*, username: str) -> None:
    LoginFailure.objects.filter(username__iexact=username[:150]).delete()


def purge_login_failures() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS * 2)
    return LoginFailure.objects.filter(at__lt=cutoff).delete()[0]


def user_label(user: Any) -> str:
    return str(user) if user is not None else ""
