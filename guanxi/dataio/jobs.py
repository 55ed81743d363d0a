"""Start, run, report on and recover background jobs.

A handler is a plain function registered under a kind::

    @job_handler("customers.classify_all", every=timedelta(days=1))
    def classify_all(ctx: JobContext, **params) -> dict: ...

It reports with ``ctx.progress(pct, message)`` and, to be resumable after a crash, saves its
position with ``ctx.save_checkpoint(data, percent=..., message=...)`` and starts from
``ctx.checkpoint`` (None on the first attempt). Call ``save_checkpoint`` inside the same
``transaction.atomic()`` as the step's own writes: the step and the checkpoint then commit together,
so a step is never lost nor done twice, whenever the worker dies. A handler that goes longer than
JOB_HEARTBEAT_TIMEOUT_SECONDS without reporting is presumed dead; call ``ctx.heartbeat()`` in long
steps.

Every report is also a stop point: it raises ``JobStopped`` when the job was cancelled, its owner was
deactivated, or recovery handed the job to another runner. Each run claims the job with a new
attempt number (a fencing token), and every write of a runner is conditional on still holding it,
so a runner presumed dead that wakes up can neither report nor finish over its successor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist

from guanxi.core.context import Source, bound
from guanxi.core.errors import GuanxiError, NotFound
from guanxi.dataio.models import Job, JobState
from guanxi.users.models import User

logger = logging.getLogger(__name__)

Handler = Callable[..., dict[str, Any] | None]
_HANDLERS: dict[str, Handler] = {}
_PERIODIC: dict[str, timedelta] = {}
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class JobStopped(Exception):
    """This runner no longer owns the job (cancelled, owner deactivated, or taken over)."""


def job_handler(kind: str, *, every: timedelta | None = None) -> Callable[[Handler], Handler]:
    """Register ``fn`` for ``kind``; with ``every`` the scheduler also starts it periodically."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        if every is not None:
            _PERIODIC[kind] = every
        return fn

    return register


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


def _language_of(job: Job) -> str:
    owner = job.owner if job.owner_id else None
    return owner.language if owner is not None else settings.LANGUAGE_CODE


class JobContext:
    """What a handler gets: the job, its checkpoint and the ways to report."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.attempt = job.attempts

    @property
    def checkpoint(self) -> Any:
        return self.job.checkpoint

    def progress(self, percent: float, message: str | None = None) -> None:
        """Report progress (never goes down) and, if given, a message; None keeps the last one."""
        self._report(percent=percent, message=message)

    def heartbeat(self) -> None:
        """Say "still alive" during a long step without changing what the user sees."""
        self._report()

    def save_checkpoint(self, data: Any, *, percent: float | None = None, message: str | None = None) -> None:
        """Store where to resume from; call it in the transaction that did the step's work."""
        self._report(percent=percent, message=message, checkpoint=data)
        self.job.checkpoint = data

    def _ours(self) -> QuerySet[Job]:
        return Job.objects.filter(pk=self.job.pk, state=JobState.RUNNING, attempts=self.attempt)

    def _report(self, *, percent: float | None = None, message: str | None = None, **fields: Any) -> None:
        now = timezone.now()
        fields["heartbeat_at"] = now
        pct = None
        if percent is not None:
            pct = max(0, min(100, int(percent)))
            fields["progress"] = Greatest(F("progress"), Value(pct), output_field=models.PositiveSmallIntegerField())
        if message is not None:
            fields["message"] = str(message)[:500]
        # SECURITY.md: deactivating a user stops their running jobs too.
        if not self._ours().filter(Q(owner__isnull=True) | Q(owner__is_active=True)).update(**fields):
            self._stop()
        self.job.heartbeat_at = now
        if pct is not None:
            self.job.progress = max(self.job.progress, pct)
        if message is not None:
            self.job.message = str(message)[:500]

    def _stop(self) -> NoReturn:
        raise JobStopped()

    def _settle_stop(self) -> None:
        """After a stop, outside the handler's (rolled back) transaction: a job we still hold was
        stopped because its owner was deactivated, so record that; cancelled or taken-over jobs
        are someone else's to describe."""
        self._ours().filter(owner__is_active=False).update(
            state=JobState.CANCELLED, finished_at=timezone.now(), message=_("Stopped: the owner's account was deactivated.")
        )

    def _finish(self, *, state: str, message: str, result: Any = None) -> None:
        now = timezone.now()
        fields: dict[str, Any] = {"state": state, "message": message[:500], "finished_at": now, "heartbeat_at": now}
        if state == JobState.SUCCEEDED:
            fields.update(progress=100, result=result)
        if self._ours().update(**fields) or state != JobState.SUCCEEDED:
            return
        # Cancelled after its last step: every change was made, so say so rather than "cancelled".
        fields["message"] = _("Finished before the cancellation took effect.")
        Job.objects.filter(pk=self.job.pk, state=JobState.CANCELLED, attempts=self.attempt).update(**fields)

    def _release(self) -> bool:
        """The worker is shutting down (SIGTERM, Ctrl+C): hand the job back to the queue now."""
        return bool(
            self._ours().update(
                state=JobState.QUEUED,
                heartbeat_at=timezone.now(),
                message=_("The worker was stopped; the job will resume from its last checkpoint."),
            )
        )


def job_start(*, actor: User | None, kind: str, params: dict[str, Any] | None = None) -> Job:
    """Create the job and queue it once the surrounding transaction commits."""
    if kind not in _HANDLERS:
        raise ValueError(f"No job handler for {kind!r}")
    with transaction.atomic():
        job = Job.objects.create(owner=actor if getattr(actor, "pk", None) else None, kind=kind, params=params or {})
        # robust: a queue that is down must not fail the caller's request; the job stays queued
        # and recover_stale_jobs enqueues it again.
        transaction.on_commit(partial(_enqueue, job.pk), robust=True)
    return job


def _enqueue(job_id: Any) -> None:
    from guanxi.dataio.tasks import run_job

    result = run_job.enqueue(str(job_id))
    Job.objects.filter(pk=job_id).update(task_result_id=str(result.id)[:64])


def _claim(job_id: Any) -> Job | None:
    """Take a queued job (atomically, so a task delivered twice runs the job once)."""
    now = timezone.now()
    try:
        claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
            state=JobState.RUNNING,
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), Value(now)),
            heartbeat_at=now,
        )
    except (ValidationError, ValueError):
        return None
    if not claimed:
        return None  # finished, cancelled, or being run by another delivery of the same task
    return Job.objects.select_related("owner").get(pk=job_id)


def _failure_message(job: Job, exc: Exception) -> str:
    if isinstance(exc, GuanxiError):
        return exc.detail
    return _("The job failed (%(error)s). The server log has the details under job-%(id)s.") % {
        "error": type(exc).__name__,
        "id": job.pk,
    }


def run(job_id: str) -> None:
    """Run one job to its end. Called by the worker through the ``run_job`` task."""
    job = _claim(job_id)
    if job is None:
        return
    ctx = JobContext(job)
    with bound(request_id=f"job-{job.pk}", source=Source.TASK), translation.override(_language_of(job)):
        try:
            ctx.heartbeat()  # stops at once if the owner was deactivated while the job waited
            handler = _HANDLERS.get(job.kind)
            if handler is None:
                raise LookupError(f"No handler for job kind {job.kind!r}")
            result = handler(ctx, **job.params)
            result = {} if result is None else result
            json.dumps(result)  # a result that cannot be stored fails this job rather than leaving it running
        except JobStopped:
            logger.info("job stopped", extra={"job": str(job.pk), "attempt": ctx.attempt})
            ctx._settle_stop()
            return
        except (KeyboardInterrupt, SystemExit):
            if ctx._release():
                transaction.on_commit(partial(_enqueue, job.pk), robust=True)
            raise
        except Exception as exc:  # any handler error ends the job as failed, with a reference
            logger.exception("job failed", extra={"job": str(job.pk), "attempt": ctx.attempt})
            ctx._finish(state=JobState.FAILED, message=_failure_message(job, exc))
            return
        message = result.get("message") if isinstance(result, dict) else None
        ctx._finish(state=JobState.SUCCEEDED, result=result, message=str(message or _("Finished.")))


def _task_waiting(task_result_id: str) -> bool:
    """True if the job's task is still waiting in the queue (so the job is not lost)."""
    if not task_result_id:
        return False
    from guanxi.dataio.tasks import run_job

    if not run_job.get_backend().supports_get_result:
        return True  # cannot tell; never enqueue twice on a guess
    try:
        return run_job.get_result(task_result_id).status == TaskResultStatus.READY
    except (TaskResultDoesNotExist, ValidationError, ValueError):
        return False


def recover_stale_jobs(*, now: datetime | None = None) -> dict[str, int]:
    """Jobs whose worker stopped reporting (kill -9, OOM, power loss) resume from their checkpoint,
    or fail clearly after JOB_MAX_ATTEMPTS; queued jobs whose task was lost are queued again.
    Run by the scheduler (``manage.py scheduler``, through ``scheduler_tick``) every minute."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_SECONDS)
    requeued = failed = 0
    for job in Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=cutoff).select_related("owner"):
        # Conditional on what we read: a runner that reported meanwhile keeps its job.
        still_stale = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts, heartbeat_at__lt=cutoff)
        with translation.override(_language_of(job)):
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                failed += still_stale.update(
                    state=JobState.FAILED,
                    finished_at=now,
                    message=ngettext(
                        "The worker stopped %(n)d time while running this job, so it was given up and is not complete. "
                        "Steps finished before the last checkpoint were kept; start it again to finish.",
                        "The worker stopped %(n)d times while running this job, so it was given up and is not complete. "
                        "Steps finished before the last checkpoint were kept; start it again to finish.",
                        job.attempts,
                    )
                    % {"n": job.attempts},
                )
            elif still_stale.update(
                state=JobState.QUEUED, heartbeat_at=now, message=_("The worker stopped; the job will resume from its last checkpoint.")
            ):
                requeued += 1
                transaction.on_commit(partial(_enqueue, job.pk), robust=True)
    lost = Job.objects.filter(state=JobState.QUEUED).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    for job in lost:
        if _task_waiting(job.task_result_id):
            continue
        if Job.objects.filter(pk=job.pk, state=JobState.QUEUED, heartbeat_at=job.heartbeat_at).update(heartbeat_at=now):
            requeued += 1
            transaction.on_commit(partial(_enqueue, job.pk), robust=True)
    return {"requeued": requeued, "failed": failed}


def start_periodic_jobs(*, now: datetime | None = None) -> list[Job]:
    """Start each periodic kind whose last run is older than its period and that is not running."""
    now = now or timezone.now()
    started = []
    for kind, every in sorted(_PERIODIC.items()):
        recent = Job.objects.filter(kind=kind).filter(Q(created_at__gt=now - every) | Q(state__in=ACTIVE_STATES))
        if not recent.exists():
            started.append(job_start(actor=None, kind=kind))
    return started


def scheduler_tick(*, now: datetime | None = None) -> dict[str, Any]:
    """One minute's work for ``manage.py scheduler``: recover stale jobs, start due periodic ones."""
    outcome: dict[str, Any] = dict(recover_stale_jobs(now=now))
    outcome["started"] = [job.kind for job in start_periodic_jobs(now=now)]
    return outcome


def job_cancel(*, actor: User, job: Job) -> Job:
    """Stop a queued or running job; a running one stops at its next report."""
    if not (actor.is_admin or job.owner_id == actor.pk):
        raise NotFound()
    Job.objects.filter(pk=job.pk, state__in=ACTIVE_STATES).update(
        state=JobState.CANCELLED, finished_at=timezone.now(), message=_("Cancelled by %(user)s.") % {"user": actor}
    )
    job.refresh_from_db()
    return job


def jobs_visible_to(actor: Any) -> QuerySet[Job]:
    """Jobs and their results are private to their owner (administrators see all)."""
    if not getattr(actor, "is_authenticated", False):
        return Job.objects.none()
    return Job.objects.all() if actor.is_admin else Job.objects.filter(owner_id=actor.pk)


def get_job(actor: Any, job_id: Any) -> Job:
    try:
        return jobs_visible_to(actor).get(pk=job_id)
    except (Job.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise NotFound() from exc
