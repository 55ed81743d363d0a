"""Domain errors with stable codes. Services raise them; the API maps them to problem details
and the web views to form errors or 403/404 pages. Apps subclass these in their own errors.py."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class GuanxiError(Exception):
    status = 400
    code = "error"
    default_detail: Any = _("The request could not be processed.")

    def __init__(self, detail: Any = None, *, code: str | None = None, **extra: Any) -> None:
        self.detail = str(detail if detail is not None else self.default_detail)
        if code:
            self.code = code
        self.extra = extra
        super().__init__(self.detail)


class ValidationFailed(GuanxiError):
    status = 422
    code = "validation_failed"
    default_detail = _("Some fields are not valid.")

    def __init__(self, errors: dict[str, list[str]] | None = None, detail: Any = None, **extra: Any) -> None:
        super().__init__(detail, errors=errors or {}, **extra)
        self.errors = errors or {}


class NotFound(GuanxiError):
    status = 404
    code = "not_found"
    default_detail = _("Not found.")


class PermissionDenied(GuanxiError):
    status = 403
    code = "permission_denied"
    default_detail = _("You may see this record but not change it.")


class VersionConflict(GuanxiError):
    """Raised when a client saves a copy older than the stored record (optimistic locking)."""

    status = 409
    code = "version_conflict"
    default_detail = _("Someone else changed this record after you opened it. Nothing was saved.")

    def __init__(self, *, current_version: int, changed: dict[str, Any] | None = None) -> None:
        super().__init__(None, current_version=current_version, changed=changed or {})
        self.current_version = current_version
        self.changed = changed or {}


class Conflict(GuanxiError):
    status = 409
    code = "conflict"
