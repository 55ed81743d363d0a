"""/healthz says the process is alive; /readyz that the database and the job backend answer."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return str(exc)
    return None


def _check_job_backend() -> str | None:
    from django_tasks import default_task_backend

    try:
        errors = list(default_task_backend.check())
        if errors:
            return "; ".join(str(e.msg) for e in errors)
        if default_task_backend.__class__.__name__ == "DatabaseBackend":
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.exists()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; we report it
        return str(exc)
    return None


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "jobs": _check_job_backend()}
    ready = all(v is None for v in checks.values())
    if not ready:
        logger.error("readiness check failed", extra={"checks": checks})
    body = {"status": "ok" if ready else "unavailable", "checks": {k: v or "ok" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if ready else 503)
