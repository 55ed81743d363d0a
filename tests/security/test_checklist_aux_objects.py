"""SECURITY.md, auxiliary objects: saved views, mapping templates, API tokens, uploads, jobs and
their files belong to one person. Anyone else — a colleague, their manager, another team — gets 404
on every verb and never finds them in a list; a saved view shared with everyone is usable by all and
changeable by its owner only."""

from __future__ import annotations

import json

import pytest

from guanxi.customers.models import SavedView
from guanxi.dataio.models import Job, MappingTemplate
from guanxi.users.models import ApiToken
from tests.security.world import World, changed_tables, db_fingerprint

pytestmark = pytest.mark.django_db

OTHERS = ["bob", "dave", "grace"]  # carol's manager, another team, a read-only colleague


@pytest.fixture
def w(org):
    return World(org)


def _no_change(w, persona, requests):
    """Run ``requests(client_web, client_api)`` as ``persona``; every answer is 404; nothing changed."""
    web, api = w.web_client(persona), w.api_client(persona)
    before = db_fingerprint()
    for response in requests(web, api):
        assert response.status_code == 404, (response.wsgi_request.method, response.wsgi_request.path, response.status_code)
    assert changed_tables(before, db_fingerprint()) == []


# --- saved views ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", OTHERS)
def test_a_private_saved_view_is_404_to_everyone_else(w, persona):
    view = w.saved_view("carol")
    _no_change(w, persona, lambda web, api: [web.get(f"/accounts/?view={view.pk}"), web.post(f"/accounts/views/{view.pk}/delete/")])
    page = w.web_client(persona).get("/accounts/").content.decode()
    assert view.name not in page


@pytest.mark.parametrize("persona", OTHERS)
def test_a_shared_saved_view_is_usable_but_read_only_to_others(w, persona):
    view = SavedView.objects.create(owner=w.user("carol"), object_type="account", name="华东重点客户", params={"city": "上海"}, shared=True)
    client = w.web_client(persona)
    assert client.get(f"/accounts/?view={view.pk}").status_code == 200
    r = client.post(f"/accounts/views/{view.pk}/delete/")
    assert r.status_code == 403
    r = client.post("/accounts/views/save/", {"view_name": view.name, "city": "北京", "shared": "on"})
    assert r.status_code == 302
    view.refresh_from_db()
    assert (view.params, view.owner) == ({"city": "上海"}, w.user("carol"))


def test_the_owner_deletes_their_own_view(w):
    view = w.saved_view("carol")
    assert w.web_client("carol").post(f"/accounts/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


# --- mapping templates and uploads ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["bob", "dave"])
def test_mapping_templates_and_uploads_are_404_to_everyone_else(w, persona):
    template, upload = w.mapping_template("carol"), w.upload("carol")
    own_upload = w.upload(persona)

    def requests(web, api):
        return [
            web.get(f"/import/{own_upload.pk}/mapping/?template={template.pk}"),
            web.post(f"/import/templates/{template.pk}/delete/"),
            api.delete(f"/api/v1/imports/templates/{template.pk}"),
            web.get(f"/import/{upload.pk}/mapping/"),
            web.post(f"/import/{upload.pk}/mapping/", {"col_0": "name", "key": "credit_code"}),
            web.get(f"/import/{upload.pk}/dry-run/"),
            web.post(f"/import/{upload.pk}/start/"),
            web.get(f"/import/{upload.pk}/"),
            api.get(f"/api/v1/imports/{upload.pk}"),
            api.post(f"/api/v1/imports/{upload.pk}/dry-run", json.dumps({}), content_type="application/json"),
            api.post(f"/api/v1/imports/{upload.pk}/start", json.dumps({}), content_type="application/json"),
        ]

    w.api_client(persona)  # the token exists before the fingerprint
    _no_change(w, persona, requests)
    listed = w.api_client(persona).get("/api/v1/imports/templates?object_type=account").json()
    assert template.pk not in [t["id"] for t in listed]
    assert MappingTemplate.objects.filter(pk=template.pk).exists()


def test_saving_a_template_of_the_same_name_never_overwrites_someone_elses(w):
    template = w.mapping_template("carol")
    r = w.api_client("dave").post("/api/v1/imports/templates", json.dumps(
        {"object_type": "account", "name": template.name, "mapping": {"名称": "name", "电话": "phone"}}), content_type="application/json")
    assert r.status_code == 201
    template.refresh_from_db()
    assert template.mapping == {"名称": "name"} and template.owner == w.user("carol")


# --- API tokens -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["bob", "dave", "alice"])
def test_someone_elses_token_cannot_be_revoked_or_listed(w, persona):
    token = w.token("carol")
    w.api_client(persona)
    _no_change(w, persona, lambda web, api: [web.post(f"/settings/tokens/{token.pk}/revoke/"), api.delete(f"/api/v1/users/me/tokens/{token.pk}")])
    assert token.pk not in [t["id"] for t in w.api_client(persona).get("/api/v1/users/me/tokens").json()]
    assert token.name not in w.web_client(persona).get("/settings/").content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


# --- jobs and their files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", OTHERS)
def test_someone_elses_job_is_404_including_its_progress_partial(w, persona):
    job = w.job("carol")

    def requests(web, api):
        return [web.get(f"/jobs/{job.pk}/"), web.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true"), api.get(f"/api/v1/jobs/{job.pk}"),
                api.post(f"/api/v1/jobs/{job.pk}/cancel")]

    w.api_client(persona)
    _no_change(w, persona, requests)
    assert str(job.pk) not in json.dumps(w.api_client(persona).get("/api/v1/jobs/").json())
    assert str(job.pk) not in w.web_client(persona).get("/jobs/").content.decode()
    assert Job.objects.get(pk=job.pk).state == "queued"


@pytest.mark.parametrize("persona", ["bob", "dave", "alice"])
def test_export_and_failed_rows_files_are_downloadable_by_the_job_owner_only(w, persona):
    export = w.finished_job("dataio.export", "file")
    failed = w.finished_job("dataio.import", "failed_file")

    def requests(web, api):
        return [web.get(f"/export/jobs/{export.pk}/"), web.get(f"/export/jobs/{export.pk}/download/"),
                api.get(f"/api/v1/exports/jobs/{export.pk}/download"), web.get(f"/import/jobs/{failed.pk}/failed-rows/"),
                api.get(f"/api/v1/imports/jobs/{failed.pk}/failed-rows")]

    w.api_client(persona)
    _no_change(w, persona, requests)
    carol_web, carol_api = w.web_client("carol"), w.api_client("carol")
    for r in (carol_web.get(f"/export/jobs/{export.pk}/download/"), carol_api.get(f"/api/v1/exports/jobs/{export.pk}/download"),
              carol_web.get(f"/import/jobs/{failed.pk}/failed-rows/"), carol_api.get(f"/api/v1/imports/jobs/{failed.pk}/failed-rows")):
        assert r.status_code == 200
        assert b"".join(r.streaming_content).decode("utf-8-sig").startswith("名称")
