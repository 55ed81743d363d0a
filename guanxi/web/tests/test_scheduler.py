"""The scheduler (``manage.py scheduler``) runs periodic work: stale-job recovery every minute,
login-failure cleanup every hour, the trash purge once a day — and a restart does not repeat it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from guanxi.core.models import ScheduledRun
from guanxi.customers.models import Account
from guanxi.customers.services import account_create, account_delete
from guanxi.dataio import jobs
from guanxi.dataio.models import Job, JobState
from guanxi.users.models import LoginFailure

pytestmark = pytest.mark.django_db


def scheduler_once() -> str:
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    # Stand in for the db_worker: run whatever the scheduler queued.
    for job in Job.objects.filter(state=JobState.QUEUED, kind="trash.purge"):
        jobs.run(str(job.pk))
    return out.getvalue()


def deleted_long_ago(actor, name):
    account = account_create(actor=actor, data={"name": name})
    account_delete(actor=actor, account=account)
    Account.all_objects.filter(pk=account.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    return account


def test_scheduler_once_requeues_a_job_whose_worker_died(settings):
    settings.LANGUAGE_CODE = "en"  # job messages are written in the owner's (here: the site's) language
    stale = timezone.now() - timedelta(minutes=30)
    job = Job.objects.create(kind="demo.count", state=JobState.RUNNING, attempts=1, started_at=stale, heartbeat_at=stale)

    scheduler_once()

    job.refresh_from_db()
    assert job.state == JobState.QUEUED  # to resume from its checkpoint
    assert job.attempts == 1 and job.finished_at is None


def test_scheduler_once_fails_a_job_whose_worker_died_too_often(settings):
    stale = timezone.now() - timedelta(minutes=30)
    job = Job.objects.create(
        kind="demo.count", state=JobState.RUNNING, attempts=settings.JOB_MAX_ATTEMPTS, started_at=stale, heartbeat_at=stale
    )

    scheduler_once()

    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.finished_at is not None


def test_scheduler_purges_old_trash_once_a_day_even_across_restarts(carol):
    first = deleted_long_ago(carol, "杭州西湖茶叶有限公司")
    recent = account_create(actor=carol, data={"name": "杭州龙井贸易有限公司"})
    account_delete(actor=carol, account=recent)

    scheduler_once()
    assert not Account.all_objects.filter(pk=first.pk).exists()
    assert Account.all_objects.filter(pk=recent.pk).exists(), "a record deleted today stays restorable"

    # Another record expires; a restarted scheduler the same day must not purge again.
    second = deleted_long_ago(carol, "宁波港口物流有限公司")
    output = scheduler_once()
    assert "trash.purge" not in output
    assert Account.all_objects.filter(pk=second.pk).exists()
    assert Job.objects.filter(kind="trash.purge").count() <= 1

    # The next day it runs again.
    ScheduledRun.objects.update(last_run_at=timezone.now() - timedelta(days=1, minutes=1))
    Job.objects.filter(kind="trash.purge").update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    scheduler_once()
    assert not Account.all_objects.filter(pk=second.pk).exists()


def test_scheduler_forgets_old_failed_sign_ins_hourly():
    LoginFailure.objects.create(username="mallory", ip="203.0.113.9")
    LoginFailure.objects.filter(username="mallory").update(at=timezone.now() - timedelta(hours=2))
    LoginFailure.objects.create(username="carol", ip="203.0.113.10")

    scheduler_once()

    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["carol"]


def test_scheduler_once_says_nothing_is_due_right_after_a_run():
    scheduler_once()
    assert scheduler_once().strip() == "Nothing due."
