from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse

from guanxi.core.errors import GuanxiError
from guanxi.core.logging import log_denied

# The API answers 401 itself (problem+json); health probes and static files are public.
PUBLIC_PREFIXES = ("/api/", "/healthz", "/readyz", "/static/")


class GuanxiLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every web page needs a login unless its view says ``@login_not_required``."""

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> HttpResponse | None:
        if request.path.startswith(PUBLIC_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)  # type: ignore[no-any-return,return-value]

    def handle_no_permission(self, request: HttpRequest, view_func: Any) -> HttpResponse:  # type: ignore[override]
        response = super().handle_no_permission(request, view_func)
        if request.headers.get("HX-Request") == "true":
            # Signed out (or deactivated) while a page polls: htmx would follow a 302 and swap the
            # sign-in page into the progress card. A 401 carries no data and HX-Redirect sends the
            # whole window to the sign-in page instead.
            refused = HttpResponse(status=401)
            refused["HX-Redirect"] = response["Location"]
            return refused
        return response


class GuanxiErrorMiddleware:
    """Maps service errors raised in web views to the same statuses the API uses: not visible → 404,
    read-only → 403. Validation errors are handled in the views, next to their forms."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Every refused page — a service's NotFound/PermissionDenied, Django's Http404 or
        # PermissionDenied, a CSRF failure — is logged here, once (the API logs its own in core.api).
        # A URL that matches no route is not a refusal; Django logs it as "Not Found".
        if response.status_code in (403, 404) and not request.path.startswith("/api/") and getattr(request, "resolver_match", None):
            default = "permission_denied" if response.status_code == 403 else "not_found"
            log_denied(request, status=response.status_code, code=getattr(request, "denied_code", default))
        return response  # type: ignore[no-any-return]

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/") or not isinstance(exception, GuanxiError):
            return None
        from guanxi.web.views import render_error

        request.denied_code = exception.code  # type: ignore[attr-defined]
        return render_error(request, exception.status, exception.detail)
