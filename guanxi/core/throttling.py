"""API rate limits: per client IP (before authentication, so token guessing is limited too) and
per token or user (after authentication). Both answer 429 with Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja.throttling import SimpleRateThrottle

from guanxi.core.problems import problem_response


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def hit(key: str, limit: int, window: int = 60) -> int | None:
    """Count one hit in a fixed window; return seconds to wait if over ``limit``, else None."""
    bucket = int(time.time() // window)
    cache_key = f"rl:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        return max(1, int((bucket + 1) * window - time.time()) + 1)
    return None


class ApiIpRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            wait = hit(f"ip:{client_ip(request)}", settings.API_RATE_LIMIT_ANON_PER_MINUTE * 5)
            if wait is not None:
                return problem_response(
                    429, "rate_limited", "Too many requests from this address.", headers={"Retry-After": str(wait)}
                )
        return self.get_response(request)


class TokenRateThrottle(SimpleRateThrottle):
    """Per API token (or per user for session calls)."""

    scope = "token"

    def __init__(self) -> None:
        super().__init__(f"{settings.API_RATE_LIMIT_PER_MINUTE}/m")

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "api_token", None)
        ident = f"t{token.pk}" if token is not None else f"u{getattr(request.user, 'pk', None) or client_ip(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
