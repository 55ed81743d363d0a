"""API conventions every router inherits: problem+json errors, cursor pages, shared schemas."""

from __future__ import annotations

import logging
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from guanxi.core.errors import GuanxiError, ValidationFailed
from guanxi.core.logging import log_denied
from guanxi.core.problems import problem_response

logger = logging.getLogger("guanxi.api")

T = TypeVar("T")


class Problem(Schema):
    """RFC 9457 problem details. ``code`` is stable; clients switch on it."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    request_id: str | None = None
    errors: dict[str, Any] | list[Any] | None = None


class CursorPage(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `after` to get the next page; null on the last page.")


ERROR_RESPONSES: dict[int, type[Problem]] = {
    400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 422: Problem, 429: Problem,
}


def _validation_errors(exc: NinjaValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        errors.setdefault(".".join(loc) or "body", []).append(str(err.get("msg", "invalid")))
    return errors


def install_problem_handlers(api: NinjaAPI) -> None:
    def guanxi_error(request: HttpRequest, exc: GuanxiError) -> HttpResponse:
        extra = dict(exc.extra)
        if isinstance(exc, ValidationFailed):
            extra["errors"] = exc.errors
        if exc.status in (403, 404):
            log_denied(request, status=exc.status, code=exc.code)
        return problem_response(exc.status, exc.code, exc.detail, **extra)

    def validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return problem_response(422, "validation_failed", "Some fields are not valid.", errors=_validation_errors(exc))

    def auth_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem_response(401, "auth.required", "Authentication is required: a session or an API token.",
                                headers={"WWW-Authenticate": 'Bearer realm="guanxi"'})

    def authorization_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        log_denied(request, status=403, code="permission_denied")
        return problem_response(403, "permission_denied", str(exc) or "Not allowed.")

    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return problem_response(429, "rate_limited", "Too many requests; retry after the number of seconds in Retry-After.")

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's cookie (session) auth raises HttpError(403) when the CSRF token is missing.
        code = {400: "bad_request", 403: "auth.csrf_failed", 404: "not_found", 405: "method_not_allowed",
                413: "request.too_large"}.get(exc.status_code, "error")
        if exc.status_code in (403, 404):
            log_denied(request, status=exc.status_code, code=code)
        return problem_response(exc.status_code, code, str(exc))

    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        log_denied(request, status=404, code="not_found")
        return problem_response(404, "not_found", "Not found.")

    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        log_denied(request, status=403, code="permission_denied")
        return problem_response(403, "permission_denied", "Not allowed.")

    def model_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        # A model's full_clean() failing below a service that did not translate it: still the client's input.
        errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {"body": exc.messages}
        return problem_response(422, "validation_failed", "Some fields are not valid.", errors=errors)

    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled API error")
        if settings.DEBUG and settings.GUANXI_ENV != "test":
            raise exc
        return problem_response(500, "internal_error", "Something went wrong on our side; the request id identifies it in the logs.")

    api.add_exception_handler(GuanxiError, guanxi_error)  # type: ignore[arg-type]
    api.add_exception_handler(NinjaValidationError, validation)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, auth_error)  # type: ignore[arg-type]
    api.add_exception_handler(AuthorizationError, authorization_error)  # type: ignore[arg-type]
    api.add_exception_handler(Throttled, throttled)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, not_found)  # type: ignore[arg-type]
    api.add_exception_handler(DjangoPermissionDenied, forbidden)  # type: ignore[arg-type]
    api.add_exception_handler(DjangoValidationError, model_validation)  # type: ignore[arg-type]
    api.add_exception_handler(Exception, unexpected)  # type: ignore[arg-type]
