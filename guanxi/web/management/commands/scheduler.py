"""``manage.py scheduler``: runs Guanxi's periodic work next to the ``db_worker``.

Every minute it re-queues or fails jobs whose worker died (and starts the periodic job kinds
dataio declares), every hour it forgets old failed sign-ins, and once a day it empties the trash
of records deleted longer ago than TRASH_RETENTION_DAYS. The last run of each is stored in the
database (``ScheduledRun``), so a restarted scheduler does not repeat daily work, and two
schedulers started by mistake do not run the same job twice: a run is claimed with a
compare-and-set update before it starts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from guanxi.core.context import Source, bound
from guanxi.core.models import ScheduledRun, SoftDeleteModel

logger = logging.getLogger("guanxi.scheduler")

NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def job_tick() -> Any:
    """Re-queue or fail jobs whose worker died, and start the periodic job kinds that dataio
    declares (``job_handler(kind, every=...)``), which dedupe on their own job rows."""
    from guanxi.dataio import jobs

    tick = getattr(jobs, "scheduler_tick", None)
    return tick() if tick is not None else jobs.recover_stale_jobs()


def purge_login_failures() -> Any:
    from guanxi.users.services import purge_login_failures as purge

    return {"deleted": purge()}


def trash_models() -> list[type[Any]]:
    """Every concrete model with a trash (soft delete): owned records and delegated ones like orders."""
    return [m for m in apps.get_models() if issubclass(m, SoftDeleteModel) and not m._meta.proxy]


def purge_trash() -> Any:
    """Start the ``trash.purge`` job when dataio provides one (its progress shows in the jobs list)
    unless one is already under way or ran today; otherwise purge here, model by model, so one
    failing model does not keep the others' trash full."""
    from guanxi.dataio import jobs
    from guanxi.dataio.models import Job, JobState

    if "trash.purge" in jobs.registered_kinds():
        recent = Job.objects.filter(kind="trash.purge").filter(
            Q(created_at__gt=timezone.now() - timedelta(hours=23)) | Q(state__in=[JobState.QUEUED, JobState.RUNNING])
        )
        if recent.exists():
            return {"job": "already started today"}
        return {"job": str(jobs.job_start(actor=None, kind="trash.purge").pk)}
    from guanxi.audit.lifecycle import purge_expired

    purged: dict[str, int] = {}
    for model in trash_models():
        try:
            purged[model._meta.label_lower] = purge_expired(model)
        except Exception:
            logger.exception("trash purge failed", extra={"model": model._meta.label_lower})
    return {"purged": purged}


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    run: Callable[[], Any]


SCHEDULE = [
    Periodic("jobs.tick", timedelta(minutes=1), job_tick),
    Periodic("users.purge_login_failures", timedelta(hours=1), purge_login_failures),
    Periodic("trash.purge", timedelta(days=1), purge_trash),
]


def claim(periodic: Periodic, now: datetime) -> datetime | None:
    """Mark ``periodic`` as run at ``now`` if it is due; returns the previous run time, or None
    when it is not due or another scheduler claimed it first."""
    row, _ = ScheduledRun.objects.get_or_create(name=periodic.name, defaults={"last_run_at": NEVER})
    previous = row.last_run_at
    if previous + periodic.every > now:
        return None
    won = ScheduledRun.objects.filter(pk=row.pk, last_run_at=previous).update(last_run_at=now)
    return previous if won else None


def run_due(*, now: datetime | None = None, schedule: list[Periodic] | None = None) -> dict[str, Any]:
    """Run every job that is due once; returns what each one reported."""
    now = now or timezone.now()
    results: dict[str, Any] = {}
    for periodic in schedule or SCHEDULE:
        previous = claim(periodic, now)
        if previous is None:
            continue
        with bound(request_id=f"scheduler-{periodic.name}", source=Source.TASK):
            try:
                results[periodic.name] = periodic.run()
                logger.info("scheduled job done", extra={"job": periodic.name, "result": results[periodic.name]})
            except Exception as exc:
                # Give the claim back so the job is retried on the next tick rather than a day later.
                ScheduledRun.objects.filter(name=periodic.name, last_run_at=now).update(last_run_at=previous)
                logger.exception("scheduled job failed", extra={"job": periodic.name})
                results[periodic.name] = {"error": f"{type(exc).__name__}: {exc}"}
    return results


class Command(BaseCommand):
    help = "Run periodic work (stale job recovery, login-failure cleanup, trash purge) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run each due job once and exit.")
        parser.add_argument("--interval", type=float, default=15.0, help="Seconds between checks (default 15).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.report(run_due())
            return
        self.stdout.write(f"Scheduler started; checking every {options['interval']:g} s. Ctrl-C stops it.")
        try:
            while True:
                close_old_connections()
                try:
                    run_due()  # each job logs what it did; no "nothing due" line every tick
                except Exception:  # a database restart must not end the scheduler; try again next tick
                    logger.exception("scheduler tick failed")
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            self.stdout.write("Scheduler stopped.")

    def report(self, results: dict[str, Any]) -> None:
        if not results:
            self.stdout.write("Nothing due.")
        for name, result in results.items():
            self.stdout.write(f"{name}: {result}")
