"""The progress page and the jobs API, as carol (the owner), dave (another team) and bob (her manager)."""

from __future__ import annotations

import pytest

from guanxi.dataio import jobs
from guanxi.dataio.jobs import JobContext
from guanxi.dataio.models import Job, JobState

pytestmark = pytest.mark.django_db


@pytest.fixture
def carols_job(carol) -> Job:
    job = Job.objects.create(owner=carol, kind="demo.count", params={"n": 4})
    claimed = jobs._claim(job.pk)
    assert claimed is not None
    ctx = JobContext(claimed)
    ctx.progress(40, "Counted 2 of 4 & more <b>")
    job.refresh_from_db()
    return job


def test_owner_sees_a_live_progress_bar_that_polls(client, carol, carols_job):
    client.force_login(carol)
    r = client.get(f"/jobs/{carols_job.pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    assert '<progress max="100" value="40"' in html
    assert 'hx-trigger="every 1s"' in html and f'hx-get="/jobs/{carols_job.pk}/"' in html
    assert "Counted 2 of 4 &amp; more &lt;b&gt;" in html  # the message, escaped
    assert "<html" in html  # the full page around it


def test_htmx_poll_gets_only_the_progress_partial(client, carol, carols_job):
    client.force_login(carol)
    r = client.get(f"/jobs/{carols_job.pk}/", headers={"HX-Request": "true"})
    html = r.content.decode()
    assert r.status_code == 200
    assert html.lstrip().startswith("<section") and "<html" not in html
    assert '<progress max="100" value="40"' in html and 'hx-trigger="every 1s"' in html


def test_polling_stops_once_the_job_is_finished(client, carol, carols_job):
    Job.objects.filter(pk=carols_job.pk).update(state=JobState.SUCCEEDED, progress=100, result={"counted": 4})
    client.force_login(carol)
    html = client.get(f"/jobs/{carols_job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'value="100"' in html
    assert "hx-trigger" not in html and "hx-get" not in html


def test_jobs_list_shows_only_my_jobs(client, carol, dave, carols_job):
    Job.objects.create(owner=dave, kind="demo.count")
    client.force_login(carol)
    r = client.get("/api/v1/jobs/")
    assert r.status_code == 200 and [j["id"] for j in r.json()["items"]] == [str(carols_job.pk)]
    client.force_login(dave)
    assert str(carols_job.pk) not in client.get("/jobs/").content.decode()


def test_jobs_list_pages_with_a_cursor(client, carol):
    for _ in range(3):
        Job.objects.create(owner=carol, kind="demo.count")
    client.force_login(carol)
    first = client.get("/api/v1/jobs/?limit=2").json()
    second = client.get(f"/api/v1/jobs/?limit=2&after={first['next_cursor']}").json()
    ids = [j["id"] for j in first["items"] + second["items"]]
    assert len(ids) == 3 == len(set(ids)) and second["next_cursor"] is None
    assert client.get("/api/v1/jobs/?after=WyJ4IiwieSJd").status_code == 400  # ["x","y"]: well-formed, wrong types


@pytest.mark.parametrize("persona", ["dave", "bob"])
def test_other_people_get_404_for_carols_job_in_web_and_api(client, request, carols_job, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/jobs/{carols_job.pk}/").status_code == 404
    assert client.get(f"/jobs/{carols_job.pk}/", headers={"HX-Request": "true"}).status_code == 404
    r = client.get(f"/api/v1/jobs/{carols_job.pk}")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/problem+json")


def test_anonymous_polling_is_sent_to_login_and_api_says_401(client, carols_job):
    assert client.get(f"/jobs/{carols_job.pk}/").status_code == 302
    assert client.get(f"/api/v1/jobs/{carols_job.pk}").status_code == 401


def test_api_shows_what_the_progress_bar_shows(client, carol, carols_job):
    client.force_login(carol)
    body = client.get(f"/api/v1/jobs/{carols_job.pk}").json()
    assert body["state"] == "running" and body["is_finished"] is False
    assert body["progress"] == 40 and body["message"] == "Counted 2 of 4 & more <b>" and body["result"] is None
    Job.objects.filter(pk=carols_job.pk).update(state=JobState.SUCCEEDED, progress=100, result={"counted": 4}, message="Counted to 4.")
    body = client.get(f"/api/v1/jobs/{carols_job.pk}").json()
    assert body["state"] == "succeeded" and body["is_finished"] is True
    assert body["progress"] == 100 and body["result"] == {"counted": 4} and body["message"] == "Counted to 4."


def test_owner_can_cancel_and_the_running_job_then_stops(client, carol, carols_job):
    client.force_login(carol)
    r = client.post(f"/api/v1/jobs/{carols_job.pk}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled" and r.json()["is_finished"] is True
    ctx = JobContext(Job.objects.get(pk=carols_job.pk))
    with pytest.raises(jobs.JobStopped):
        ctx.progress(60)
    html = client.get(f"/jobs/{carols_job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in html


@pytest.mark.parametrize("persona", ["dave", "bob"])
def test_only_the_owner_can_cancel(client, request, carols_job, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(f"/api/v1/jobs/{carols_job.pk}/cancel").status_code == 404
    carols_job.refresh_from_db()
    assert carols_job.state == JobState.RUNNING


def test_cancelling_a_finished_job_changes_nothing(client, carol, carols_job):
    Job.objects.filter(pk=carols_job.pk).update(state=JobState.SUCCEEDED, progress=100, result={"counted": 4})
    client.force_login(carol)
    body = client.post(f"/api/v1/jobs/{carols_job.pk}/cancel").json()
    assert body["state"] == "succeeded" and body["result"] == {"counted": 4}
