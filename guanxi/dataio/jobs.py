"""Start, run, report on and recover background jobs.

A handler is a plain function registered under a kind::

    @job_handler("trash.purge")
    def purge(ctx: JobContext, **params) -> dict: ...

It reports with ``ctx.progress(pct, message)`` and, to be resumable after a crash, saves its
position with ``ctx.save_checkpoint(data)`` and starts from ``ctx.checkpoint`` (None on the first
attempt). Handlers must be idempotent from their checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from guanxi.core.context import Source, bound
from guanxi.core.errors import NotFound
from guanxi.dataio.models import Job, JobState

logger = logging.getLogger(__name__)

Handler = Callable[..., dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}


class JobCancelled(Exception):
    pass


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


class JobContext:
    def __init__(self, job: Job) -> None:
        self.job = job

    @property
    def checkpoint(self) -> Any:
        return self.job.checkpoint

    def progress(self, percent: float, message: str = "") -> None:
        pct = max(0, min(100, int(percent)))
        now = timezone.now()
        updated = Job.objects.filter(pk=self.job.pk, state=JobState.RUNNING).update(
            progress=pct, message=message[:500], heartbeat_at=now
        )
        if not updated:
            raise JobCancelled()
        self.job.progress, self.job.message, self.job.heartbeat_at = pct, message[:500], now

    def save_checkpoint(self, data: Any, *, percent: float | None = None, message: str = "") -> None:
        Job.objects.filter(pk=self.job.pk).update(checkpoint=data, heartbeat_at=timezone.now())
        self.job.checkpoint = data
        if percent is not None:
            self.progress(percent, message)


def job_start(*, actor: Any, kind: str, params: dict[str, Any] | None = None) -> Job:
    if kind not in _HANDLERS:
        raise ValueError(f"No job handler for {kind!r}")
    job = Job.objects.create(owner=actor if getattr(actor, "pk", None) else None, kind=kind, params=params or {})
    transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: Job) -> None:
    from guanxi.dataio.tasks import run_job

    result = run_job.enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id)[:64])


def run(job_id: str) -> None:
    """Run one job to its end. Called by the worker through the ``run_job`` task."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished or job.state == JobState.RUNNING:
            return
        job.state = JobState.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["state", "attempts", "started_at", "heartbeat_at"])
    handler = _HANDLERS.get(job.kind)
    ctx = JobContext(job)
    with bound(request_id=f"job-{job.pk}", source=Source.TASK):
        try:
            if handler is None:
                raise LookupError(f"No handler for job kind {job.kind!r}")
            result = handler(ctx, **job.params)
        except JobCancelled:
            logger.info("job cancelled", extra={"job": str(job.pk)})
            return
        except Exception as exc:
            logger.exception("job failed", extra={"job": str(job.pk)})
            Job.objects.filter(pk=job.pk).update(
                state=JobState.FAILED, message=f"{type(exc).__name__}: {exc}"[:500], finished_at=timezone.now()
            )
            return
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
        state=JobState.SUCCEEDED, progress=100, result=result or {}, finished_at=timezone.now(),
        message=(result or {}).get("message", "")[:500] if isinstance(result, dict) else "",
    )


def recover_stale_jobs(*, now: Any = None) -> dict[str, int]:
    """Jobs whose worker stopped reporting (kill -9, OOM, power loss) resume from their checkpoint,
    or fail clearly after JOB_MAX_ATTEMPTS. Run by the scheduler every minute."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_SECONDS)
    requeued = failed = 0
    for job in Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff):
        with transaction.atomic():
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                n = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, heartbeat_at__lt=cutoff).update(
                    state=JobState.FAILED, finished_at=now,
                    message=f"The worker stopped {job.attempts} times while running this job; it was not completed.",
                )
                failed += n
            else:
                n = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, heartbeat_at__lt=cutoff).update(
                    state=JobState.QUEUED, message="The worker stopped; the job will resume from its last checkpoint."
                )
                if n:
                    requeued += 1
                    transaction.on_commit(lambda job=job: _enqueue(job))
    return {"requeued": requeued, "failed": failed}


def job_cancel(*, actor: Any, job: Job) -> Job:
    if job.owner_id != actor.pk and not actor.is_admin:
        raise NotFound()
    Job.objects.filter(pk=job.pk, state__in=[JobState.QUEUED, JobState.RUNNING]).update(
        state=JobState.CANCELLED, finished_at=timezone.now(), message="Cancelled."
    )
    job.refresh_from_db()
    return job


def jobs_visible_to(actor: Any) -> Any:
    """Jobs and their results are private to their owner (administrators see all)."""
    if not getattr(actor, "is_authenticated", False):
        return Job.objects.none()
    return Job.objects.all() if actor.is_admin else Job.objects.filter(owner_id=actor.pk)


def get_job(actor: Any, job_id: Any) -> Job:
    try:
        return jobs_visible_to(actor).get(pk=job_id)  # type: ignore[no-any-return]
    except (Job.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
