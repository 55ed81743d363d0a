"""RFC 9457 problem details: the one shape every API error takes.

Each error has a stable machine-readable ``code`` (``account.duplicate_uscc``); ``type`` is a
URN built from it, so clients can switch on either.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:guanxi:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": str(detail),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> HttpResponse:
    from guanxi.core.context import current_request_id

    body = problem_body(status, code, detail, request_id=current_request_id(), **extra)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for key, value in (headers or {}).items():
        response[key] = value
    return response
