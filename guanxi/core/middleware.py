from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from guanxi.core.context import Source, bind_request
from guanxi.core.problems import problem_response

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
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
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
