"""Loaded by the dataio app (``autodiscover_modules("dataio_specs")`` in its ``ready``): the periodic
approval reminder job.

Approvals sit below dataio in INSTALLED_APPS, so the engine (``services``) never imports dataio:
``send_reminders`` is a plain function. Only this plug-in module, which dataio itself loads, knows
the job machinery — the same way every app hands its import/export specs to dataio."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from guanxi.approvals.services import send_reminders
from guanxi.dataio.jobs import JobContext, job_handler


@job_handler("approvals.send_reminders", every=timedelta(minutes=15))
def reminders_job(ctx: JobContext, **params: Any) -> dict[str, Any]:
    return {"sent": send_reminders()}
