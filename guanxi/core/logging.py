from __future__ import annotations

import logging
import re
from typing import Any

from guanxi.core.context import current_request_id

security_log = logging.getLogger("guanxi.security")


class RequestIdFilter(logging.Filter):
    """Stamps every log record with the id of the request (or job) that produced it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


# A phone number is personal data: logs keep at most its first 3 and last 4 digits ("+86138****8000").
# As people and E.164 write them: +86 138 0013 8000, 0086…, 13800138000, 138-0013-8000, 010-12345678.
# Dates, counts and ids are left alone (they are not shaped like phone numbers).
_PHONE = re.compile(
    r"(?<![\w.])(?:"
    r"(?:\+|00)\d[\d \-]{5,17}\d"
    r"|1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}"
    r"|0\d{2,3}[ \-]?\d{7,8}"
    r")(?![\w.])"
)
# Secrets never reach a log line: API tokens (gx_…), Bearer values, password/token/secret key=value pairs.
_TOKEN = re.compile(r"\bgx_[A-Za-z0-9_\-]{4,}")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",]+")
_KEY_VALUE = re.compile(r"(?i)((?:password|passwd|pwd|token|secret|api_key|sessionid|csrftoken)[\w\-]*['\"]?\s*[=:]\s*['\"]?)[^\s'\"&,;}]+")


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = [ch for ch in text if ch.isdigit()]
    if len(digits) < 7 or len(digits) > 15:
        return text
    return ("+" if text.startswith("+") else "") + "".join(digits[:3]) + "****" + "".join(digits[-4:])


def redact(text: str) -> str:
    text = _TOKEN.sub("gx_[redacted]", text)
    text = _BEARER.sub(r"\1[redacted]", text)
    text = _KEY_VALUE.sub(r"\1[redacted]", text)
    return _PHONE.sub(_mask_phone, text)


class RedactFilter(logging.Filter):
    """Masks phone numbers and removes secrets from every record before any handler writes it, in
    the message, its arguments and its extra fields, wherever the record came from (Django's own
    ``django.request`` warnings carry the request with its query string)."""

    _STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "request_id"}

    def filter(self, record: logging.LogRecord) -> bool:
        from django.http import HttpRequest

        if isinstance(record.msg, dict):
            record.msg = _redact_data(record.msg)
        else:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a bad format string must not lose the record
                message = str(record.msg)
            record.msg, record.args = redact(message), None
        for key, value in list(record.__dict__.items()):
            if key in self._STANDARD:
                continue
            if isinstance(value, HttpRequest):
                setattr(record, key, f"{value.method} {value.path}")  # never the query string
            elif isinstance(value, str):
                setattr(record, key, redact(value))
            elif isinstance(value, (dict, list, tuple)):
                setattr(record, key, _redact_data(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # Formatters prefer exc_info when present: keep only the redacted text.
            record.exc_text, record.exc_info = redact(record.exc_text), None
        return True


def _redact_data(value: Any, depth: int = 0) -> Any:
    if depth > 5:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_data(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_data(v, depth + 1) for v in value]
    return value


def log_denied(request: Any, *, status: int, code: str) -> None:
    """One line per refused request (404 not visible, 403 not allowed): who, which route, which
    object, and the request id that ties it to the access log and the client's error."""
    match = getattr(request, "resolver_match", None)
    kwargs = {k: str(v) for k, v in (match.kwargs if match else {}).items()}
    user = getattr(request, "user", None)
    security_log.warning(
        "access denied",
        extra={
            "status": status, "code": code, "method": request.method, "path": request.path,
            "route": match.route if match else None,
            "object_id": next(reversed(kwargs.values())) if kwargs else None,
            "route_kwargs": kwargs or None,
            "user_id": user.pk if user is not None and getattr(user, "is_authenticated", False) else None,
            "request_id": getattr(request, "request_id", None) or current_request_id(),
        },
    )
