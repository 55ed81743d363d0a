from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from guanxi.core.context import Source, bind_request
from guanxi.core.problems import problem_response

access_log = logging.getLogger("guanxi.request")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (the caller's X-Request-ID when it is sane), binds it to every log
    line and returns it in the response, and labels the change source (web or api)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        source = Source.API if request.path.startswith("/api/") else Source.WEB
        # Bound for the whole request, including Django's own response logging after the middleware
        # chain returns; the next request on this thread rebinds it.
        bind_request(request_id=request_id, source=source)
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        # One JSON access-log line per request (gunicorn's own access log knows no request id).
        access_log.info(
            "%s %s %s", request.method, request.path, response.status_code,
            extra={"method": request.method, "path": request.path, "status": response.status_code,
                   "duration_ms": round((time.monotonic() - started) * 1000, 1)},
        )
        return response


class RequestSizeLimitMiddleware:
    """Refuses bodies over REQUEST_MAX_BYTES before anything reads them (413, problem+json)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return problem_response(400, "request.bad_content_length", "Content-Length is not a number.")
        if length > settings.REQUEST_MAX_BYTES:
            return problem_response(
                413,
                "request.too_large",
                f"The request body is larger than the limit of {settings.REQUEST_MAX_BYTES} bytes.",
            )
        return self.get_response(request)


_API_ERROR_CODES = {400: "bad_request", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed", 500: "internal_error"}


class ApiProblemMiddleware:
    """Every API error is problem+json, including the ones answered before any Guanxi code runs:
    an unknown URL (404 from the resolver), a method the route does not take (405 from ninja), a
    request Django cannot read (400) or a crash outside the API's own handlers (500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/problem+json")
        ):
            status = response.status_code
            problem = problem_response(status, _API_ERROR_CODES.get(status, "error"), HTTPStatus(status).phrase)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    problem[header] = response[header]
            return problem
        return response


# An escaped NUL in a JSON string: \u0000 preceded by an even number of backslashes.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    if content_type == "application/json" or content_type.endswith("+json"):
        body = request.body
        return b"\x00" in body or bool(_JSON_NUL.search(body))
    return False


class NulCharacterMiddleware:
    """PostgreSQL can neither store nor compare text holding a NUL character (U+0000), in text or
    jsonb columns: refuse it in the path, the query string, forms and JSON bodies up front (400)
    rather than fail deep inside a query (500). SQLite would store it; both now refuse alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            detail = "Text must not contain NUL characters (U+0000)."
            if request.path.startswith("/api/"):
                return problem_response(400, "request.nul_character", detail)
            return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
