from django_tasks import task

from guanxi.dataio import jobs


@task()
def run_job(job_id: str) -> None:
    jobs.run(job_id)
