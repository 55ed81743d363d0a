"""API rate limits, three of them, all fixed one-minute windows counted in the cache (atomic
``incr``, so several server processes share one count when the cache is Redis):

- per client IP, for API requests that carry no credentials at all (no ``Authorization`` header,
  no session cookie): ``API_RATE_LIMIT_ANON_PER_MINUTE``. Checked before authentication.
- per client IP, for every API request: ``API_RATE_LIMIT_PER_IP_PER_MINUTE``, a ceiling that also
  limits guessing tokens from one address. Checked before authentication.
- per API token (or per signed-in user for session calls): ``API_RATE_LIMIT_PER_MINUTE``.
  Checked after authentication, so one busy client does not slow down the others.

Every refusal is a 429 ``application/problem+json`` with code ``rate_limited`` and a
``Retry-After`` header in whole seconds. Limits are read from settings on every request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja.throttling import BaseThrottle

from guanxi.core.problems import problem_response


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def hit(key: str, limit: int, window: int = 60) -> int | None:
    """Count one hit in a fixed window; return seconds to wait if over ``limit``, else None."""
    now = time.time()
    bucket = int(now // window)
    cache_key = f"rl:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.set(cache_key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        return max(1, int((bucket + 1) * window - now) + 1)
    return None


def has_credentials(request: HttpRequest) -> bool:
    return "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES


def rate_limited(wait: int, detail: str) -> HttpResponse:
    return problem_response(429, "rate_limited", detail, headers={"Retry-After": str(wait)})


class ApiIpRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            ip = client_ip(request)
            wait = hit(f"ip:{ip}", settings.API_RATE_LIMIT_PER_IP_PER_MINUTE)
            if wait is None and not has_credentials(request):
                wait = hit(f"anon:{ip}", settings.API_RATE_LIMIT_ANON_PER_MINUTE)
            if wait is not None:
                return rate_limited(wait, "Too many requests from this address; retry after the number of seconds in Retry-After.")
        return self.get_response(request)


class TokenRateThrottle(BaseThrottle):
    """Per API token (or per user for session calls). django-ninja calls ``allow_request`` and then
    ``wait`` on the one shared instance, so the wait is kept per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    @staticmethod
    def ident(request: HttpRequest) -> str:
        token = getattr(request, "api_token", None)
        if token is not None:
            return f"t{token.pk}"
        user_pk = getattr(getattr(request, "user", None), "pk", None)
        return f"u{user_pk}" if user_pk else f"ip{client_ip(request)}"

    def allow_request(self, request: HttpRequest) -> bool:
        wait = hit(f"token:{self.ident(request)}", settings.API_RATE_LIMIT_PER_MINUTE)
        self._local.wait = wait
        return wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
