"""The job contract, in-process: what a job shows, when it runs, how it stops and how it recovers.
Jobs are run by calling ``jobs.run`` directly, as the worker's ``run_job`` task does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guanxi.dataio import jobs
from guanxi.dataio.jobs import JobContext, job_cancel, job_start, recover_stale_jobs, registered_kinds, run
from guanxi.dataio.models import Job, JobState, JobStepLog

pytestmark = pytest.mark.django_db


def start(kind: str = "demo.count", actor=None, **params) -> Job:
    """Create a job without enqueueing it (the test is the worker)."""
    with transaction.atomic():
        job = Job.objects.create(owner=actor, kind=kind, params=params)
    return job


def steps(job: Job) -> list[int]:
    return list(JobStepLog.objects.filter(job=job).order_by("step").values_list("step", flat=True))


def make_stale(job: Job, seconds: int = 3600) -> None:
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=seconds))


def claim(job: Job) -> JobContext:
    """Do what a worker does before calling the handler, and stop there (as if killed)."""
    claimed = jobs._claim(job.pk)
    assert claimed is not None
    return JobContext(claimed)


def test_it_knows_the_shipped_handlers_from_app_startup():
    assert {"trash.purge", "demo.count"} <= set(registered_kinds())


def test_finished_job_shows_succeeded_full_progress_message_and_result(carol):
    job = start(actor=carol, n=4)
    run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.is_finished
    assert job.progress == 100
    assert job.result["counted"] == 4
    assert job.message == job.result["message"] != ""
    assert job.finished_at is not None and job.attempts == 1
    assert steps(job) == [1, 2, 3, 4]


def test_enqueue_waits_for_the_transaction_to_commit(carol, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        job = job_start(actor=carol, kind="demo.count", params={"n": 2})
        assert not DBTaskResult.objects.exists()  # a worker must not see a job that may yet roll back
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [str(job.pk)]
    job.refresh_from_db()
    assert job.task_result_id == str(task.pk)


def test_a_rolled_back_start_leaves_neither_job_nor_task(carol):
    with pytest.raises(RuntimeError), transaction.atomic():
        job_start(actor=carol, kind="demo.count", params={"n": 2})
        raise RuntimeError("the caller's transaction fails")
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()


def test_starting_an_unknown_kind_is_refused(carol):
    with pytest.raises(ValueError, match="No job handler"):
        job_start(actor=carol, kind="no.such.kind")


def test_a_task_delivered_twice_runs_the_job_once(carol):
    job = start(actor=carol, n=3)
    run(str(job.pk))
    run(str(job.pk))
    job.refresh_from_db()
    assert job.attempts == 1 and steps(job) == [1, 2, 3]


def test_a_second_delivery_while_the_job_runs_does_nothing(carol):
    job = start(actor=carol, n=3)
    claim(job)  # first delivery is running it
    run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.attempts == 1 and steps(job) == []


def test_progress_never_goes_down_and_keeps_the_message_when_none_is_given(carol):
    job = start(actor=carol, n=3)
    ctx = claim(job)
    ctx.progress(60, "half way")
    ctx.progress(30)
    job.refresh_from_db()
    assert job.progress == 60 and job.message == "half way"
    ctx.progress(250, "over the top")
    job.refresh_from_db()
    assert job.progress == 100


def test_progress_and_checkpoint_refresh_the_heartbeat(carol):
    job = start(actor=carol, n=3)
    ctx = claim(job)
    make_stale(job)
    ctx.progress(10)
    job.refresh_from_db()
    assert timezone.now() - job.heartbeat_at < timedelta(seconds=5)
    make_stale(job)
    ctx.save_checkpoint({"next": 2})
    job.refresh_from_db()
    assert timezone.now() - job.heartbeat_at < timedelta(seconds=5) and job.checkpoint == {"next": 2}


def test_cancelling_a_running_job_stops_it_at_its_next_progress_report(carol, monkeypatch):
    reached = []

    def handler(ctx: JobContext) -> dict:
        ctx.progress(10, "first")
        job_cancel(actor=carol, job=Job.objects.get(pk=ctx.job.pk))  # the user clicks "cancel" meanwhile
        ctx.progress(20, "second")
        reached.append("after the cancellation")
        return {}

    monkeypatch.setitem(jobs._HANDLERS, "test.cancel", handler)
    job = start("test.cancel", actor=carol)
    run(str(job.pk))
    job.refresh_from_db()
    assert reached == []
    assert job.state == JobState.CANCELLED and job.progress == 10 and str(carol) in job.message


def test_a_step_interrupted_by_cancellation_is_rolled_back_with_its_checkpoint(carol):
    job = start(actor=carol, n=5)
    ctx = claim(job)
    Job.objects.filter(pk=job.pk).update(state=JobState.CANCELLED)
    with pytest.raises(jobs.JobStopped):
        jobs._HANDLERS["demo.count"](ctx, n=5)
    job.refresh_from_db()
    assert steps(job) == [] and job.checkpoint is None


def test_a_job_cancelled_while_queued_never_runs(carol):
    job = start(actor=carol, n=3)
    job_cancel(actor=carol, job=job)
    run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and steps(job) == []


def test_a_job_cancelled_after_its_last_step_reports_the_work_as_done(carol, monkeypatch):
    def handler(ctx: JobContext) -> dict:
        ctx.progress(100)
        job_cancel(actor=carol, job=Job.objects.get(pk=ctx.job.pk))
        return {"changed": 7}

    monkeypatch.setitem(jobs._HANDLERS, "test.late_cancel", handler)
    job = start("test.late_cancel", actor=carol)
    run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result == {"changed": 7}


def test_a_failing_handler_ends_failed_with_a_reference_not_its_internals(carol, monkeypatch):
    def handler(ctx: JobContext) -> dict:
        raise KeyError("SELECT secret FROM internals")

    monkeypatch.setitem(jobs._HANDLERS, "test.boom", handler)
    job = start("test.boom", actor=carol)
    run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.finished_at is not None
    assert "KeyError" in job.message and f"job-{job.pk}" in job.message
    assert "secret" not in job.message


def test_deactivating_the_owner_stops_their_running_job(carol, monkeypatch):
    def handler(ctx: JobContext) -> dict:
        ctx.progress(10)
        type(carol).objects.filter(pk=carol.pk).update(is_active=False)
        ctx.progress(20)
        return {}

    monkeypatch.setitem(jobs._HANDLERS, "test.deactivate", handler)
    job = start("test.deactivate", actor=carol)
    run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.progress == 10 and job.finished_at is not None


def test_a_runner_presumed_dead_cannot_write_over_its_successor(carol):
    job = start(actor=carol, n=4)
    old = claim(job)
    old.save_checkpoint({"next": 2}, percent=25)
    make_stale(job)
    assert recover_stale_jobs() == {"requeued": 1, "failed": 0}
    new = claim(job)
    new.save_checkpoint({"next": 3}, percent=50)
    with pytest.raises(jobs.JobStopped):  # the old runner wakes up
        old.save_checkpoint({"next": 9}, percent=99)
    job.refresh_from_db()
    assert job.checkpoint == {"next": 3} and job.progress == 50 and job.attempts == 2


def test_a_job_with_a_live_worker_is_left_alone(carol):
    job = start(actor=carol, n=4)
    claim(job).progress(10)
    assert recover_stale_jobs() == {"requeued": 0, "failed": 0}
    job.refresh_from_db()
    assert job.state == JobState.RUNNING


def test_a_stale_job_is_queued_again_and_resumes_from_its_checkpoint(carol, django_capture_on_commit_callbacks):
    job = start(actor=carol, n=4)
    ctx = claim(job)
    jobs._HANDLERS["demo.count"](ctx, n=2)  # steps 1-2 done, then the worker "dies"
    make_stale(job)
    with django_capture_on_commit_callbacks(execute=True):
        assert recover_stale_jobs() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.message
    assert DBTaskResult.objects.filter(pk=job.task_result_id, status="READY").exists()
    run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and steps(job) == [1, 2, 3, 4]
    assert list(JobStepLog.objects.filter(job=job).values_list("attempt", flat=True)) == [1, 1, 2, 2]


def test_after_max_attempts_crashes_the_job_fails_with_a_clear_message(carol, settings):
    settings.JOB_MAX_ATTEMPTS = 3
    job = start(actor=carol, n=10)
    for _crash in range(3):
        claim(job).save_checkpoint({"next": 1})
        make_stale(job)
        recover_stale_jobs()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 3 and job.finished_at is not None
    assert "3" in job.message
    run(str(job.pk))  # a stray delivery of the last task
    job.refresh_from_db()
    assert job.state == JobState.FAILED


def test_after_max_attempts_the_message_is_in_the_owners_language(carol, settings):
    settings.JOB_MAX_ATTEMPTS = 1
    type(carol).objects.filter(pk=carol.pk).update(language="en")
    job = start(actor=carol, n=10)
    claim(job)
    make_stale(job)
    assert recover_stale_jobs() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.message.startswith("The worker stopped 1 time while running this job") and "not complete" in job.message


def test_a_queued_job_whose_task_was_lost_is_queued_again_once(carol, django_capture_on_commit_callbacks):
    job = start(actor=carol, n=2)  # committed, but the process died before enqueueing
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert recover_stale_jobs() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert DBTaskResult.objects.filter(pk=job.task_result_id, status="READY").exists()
    later = timezone.now() + timedelta(hours=1)
    assert recover_stale_jobs(now=later) == {"requeued": 0, "failed": 0}  # its task is waiting: leave it
    assert DBTaskResult.objects.count() == 1


def test_a_periodic_kind_is_started_once_per_period(monkeypatch):
    monkeypatch.setattr(jobs, "_PERIODIC", {"demo.count": timedelta(days=1)})
    first = jobs.start_periodic_jobs()
    assert [j.kind for j in first] == ["demo.count"] and first[0].owner is None
    assert jobs.start_periodic_jobs() == [], "already started in this period"
    Job.objects.filter(pk=first[0].pk).update(state=JobState.SUCCEEDED, created_at=timezone.now() - timedelta(days=1, minutes=1))
    assert [j.kind for j in jobs.start_periodic_jobs()] == ["demo.count"]


def test_a_periodic_kind_still_running_is_not_started_again(monkeypatch):
    monkeypatch.setattr(jobs, "_PERIODIC", {"demo.count": timedelta(minutes=5)})
    running = Job.objects.create(kind="demo.count", state=JobState.RUNNING, heartbeat_at=timezone.now())
    Job.objects.filter(pk=running.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert jobs.start_periodic_jobs() == []
