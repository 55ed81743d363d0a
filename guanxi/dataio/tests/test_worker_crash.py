"""A real worker is killed with SIGKILL in the middle of a job; the job resumes and ends with every
step done exactly once.

Database choice: the worker subprocesses use the very database pytest-django created for this
session — the on-disk SQLite test file (settings never use :memory:), or the PostgreSQL test
database when DATABASE_URL points to PostgreSQL. The test is ``transaction=True`` so what it writes
is committed and visible to the subprocesses, and the same scenario runs on both backends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from guanxi.dataio.jobs import job_start, recover_stale_jobs
from guanxi.dataio.models import Job, JobState, JobStepLog

N_STEPS = 20


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker(log: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GUANXI_ENV": "test", "DATABASE_URL": database_url(), "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--skip-checks", "--interval", "0.1", *extra],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, *, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_is_killed_resumes_and_does_every_step_exactly_once(tmp_path, settings):
    settings.JOB_HEARTBEAT_TIMEOUT_SECONDS = 1
    log = tmp_path / "worker.log"
    job = job_start(actor=None, kind="demo.count", params={"n": N_STEPS, "delay": 0.1})

    first = worker(log)
    try:
        wait_for(lambda: Job.objects.filter(pk=job.pk, progress__gt=0).exists(), timeout=20, what="progress > 0", log=log)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)

    job.refresh_from_db()
    done = list(JobStepLog.objects.filter(job=job).order_by("step").values_list("step", flat=True))
    assert job.state == JobState.RUNNING and 0 < job.progress < 100, "killed mid-job: it still looks running"
    assert done == list(range(1, len(done) + 1)) and job.checkpoint == {"next": len(done) + 1}, "step log and checkpoint agree"

    # Not yet stale: nobody may take the job from a worker that might still be alive.
    assert recover_stale_jobs(now=job.heartbeat_at + timedelta(seconds=0.5)) == {"requeued": 0, "failed": 0}
    wait_for(lambda: timezone.now() > job.heartbeat_at + timedelta(seconds=1.05), timeout=5, what="stale heartbeat", log=log)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING, "a dead worker leaves the job running with a stale heartbeat"
    assert recover_stale_jobs() == {"requeued": 1, "failed": 0}

    second = worker(log, "--batch")
    assert second.wait(timeout=60) == 0, log.read_text()[-3000:]

    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.progress == 100 and job.attempts == 2
    assert job.result["counted"] == N_STEPS
    rows = list(JobStepLog.objects.filter(job=job).order_by("step").values_list("step", "attempt"))
    assert [step for step, _ in rows] == list(range(1, N_STEPS + 1)), "no step lost, none done twice"
    assert rows[len(done)] == (len(done) + 1, 2), "the second attempt resumed right after the last committed step"
    assert {attempt for _, attempt in rows[: len(done)]} == {1}
