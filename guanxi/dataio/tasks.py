from django_tasks import task

from guanxi.dataio import jobs


@task()
def run_job(job_id: str) -> None:
    """The one task: run a Job row. Safe to deliver twice (``jobs.run`` claims the job atomically)."""
    jobs.run(job_id)
