"""Per-request (or per-job) context: request id and the source of a change.

Services read ``current_source()`` when they write audit entries, so a change made through the
API, the web UI, an import or a background job is labelled correctly without every caller
passing it along.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    TASK = "task", _("Background job")
    SYSTEM = "system", _("System")


_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_source: contextvars.ContextVar[str] = contextvars.ContextVar("source", default=Source.SYSTEM)


def current_request_id() -> str:
    return _request_id.get()


def current_source() -> str:
    return _source.get()


@contextlib.contextmanager
def bound(*, request_id: str | None = None, source: str | None = None) -> Iterator[None]:
    tokens: list[tuple[contextvars.ContextVar[str], contextvars.Token[str]]] = []
    if request_id is not None:
        tokens.append((_request_id, _request_id.set(request_id)))
    if source is not None:
        tokens.append((_source, _source.set(source)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind_request(*, request_id: str, source: str) -> None:
    _request_id.set(request_id)
    _source.set(source)
