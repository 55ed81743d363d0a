import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.customers.models import Account
from guanxi.dataio import jobs
from guanxi.dataio.models import ImportUpload, Job, MappingTemplate
from guanxi.dataio.tests.dataio_helpers import private_media  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

GBK_CSV = ("公司全称,信用代码,座机,等级\n"
           "北京华为科技有限公司,91110000802100433B,010-65529988,重点\n"
           "上海浦东贸易有限公司,12345,021-68889999,\n").encode("gb18030")


def test_upload_map_dry_run_commit_and_progress_in_the_browser(client, carol):
    client.force_login(carol)
    response = client.post("/import/", {"object_type": "account", "file": SimpleUploadedFile("客户.csv", GBK_CSV)})
    assert response.status_code == 302
    upload = ImportUpload.objects.get()
    assert response["Location"] == f"/import/{upload.pk}/mapping/"

    page = client.get(response["Location"]).content.decode()
    assert "gb18030" in page and "北京华为科技有限公司" in page
    selects = re.findall(r'<select id="(col_\d)".*?</select>', page, re.S)
    blocks = dict(zip(selects, re.split(r'<select id="col_\d"', page)[1:], strict=True))
    selected = {col: m.group(1) for col, block in blocks.items()
                if (m := re.search(r'<option value="([a-z_.]+)" selected', block.split("</select>")[0]))}
    assert selected == {"col_0": "name", "col_1": "credit_code", "col_2": "phone"}  # 等级 is not suggested

    # The user fixes the mapping: 等级 → notes, and saves it as a template on the way.
    form = {"col_0": "name", "col_1": "credit_code", "col_2": "phone", "col_3": "notes", "key": "credit_code"}
    response = client.post(f"/import/{upload.pk}/mapping/", {**form, "action": "save_template", "template_name": "老系统导出"})
    assert response.status_code == 302
    assert MappingTemplate.objects.get(owner=carol).mapping["等级"] == "notes"
    response = client.post(f"/import/{upload.pk}/mapping/", {**form, "action": "dry_run"})
    assert response["Location"] == f"/import/{upload.pk}/dry-run/"

    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="row-errors"' in page and "信用代码" in page
    assert Account.objects.count() == 0

    response = client.post(f"/import/{upload.pk}/start/")
    assert response["Location"] == f"/import/{upload.pk}/"
    job = Job.objects.get(kind="dataio.import")
    page = client.get(f"/import/{upload.pk}/").content.decode()
    assert 'data-testid="job-progress"' in page and "hx-get" in page
    jobs.run(str(job.pk))
    partial = client.get(f"/import/{upload.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert f"/import/jobs/{job.pk}/failed-rows/" in partial and "hx-trigger" not in partial
    assert Account.objects.get().notes == "重点"


def test_mapping_errors_are_shown_and_nothing_moves_on(client, carol):
    client.force_login(carol)
    client.post("/import/", {"object_type": "account", "file": SimpleUploadedFile("a.csv", GBK_CSV)})
    upload = ImportUpload.objects.get()
    response = client.post(f"/import/{upload.pk}/mapping/", {"col_0": "", "col_1": "phone", "col_2": "phone", "key": "credit_code"})
    assert response.status_code == 422
    assert 'data-testid="mapping-errors"' in response.content.decode()


def test_a_refused_file_says_why(client, carol):
    client.force_login(carol)
    response = client.post("/import/", {"object_type": "account", "file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 64)})
    assert response.status_code == 422
    assert ".xlsx" in response.content.decode()


def test_other_users_uploads_are_404(client, carol, dave):
    client.force_login(carol)
    client.post("/import/", {"object_type": "account", "file": SimpleUploadedFile("a.csv", GBK_CSV)})
    upload = ImportUpload.objects.get()
    client.force_login(dave)
    for url in (f"/import/{upload.pk}/mapping/", f"/import/{upload.pk}/dry-run/", f"/import/{upload.pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/import/{upload.pk}/start/").status_code == 404
    assert client.get(f"/api/v1/imports/{upload.pk}").status_code == 404
    assert not Job.objects.exists()


def test_the_account_list_offers_export_and_import(client, carol):
    client.force_login(carol)
    page = client.get("/accounts/?province=北京").content.decode()
    assert 'action="/export/account/"' in page and 'name="province" value="北京"' in page
    assert 'href="/import/?type=account"' in page


def test_api_upload_dry_run_and_start(client, carol):
    client.force_login(carol)
    r = client.post("/api/v1/imports/", {"object_type": "account", "file": SimpleUploadedFile("a.csv", GBK_CSV)})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["encoding"] == "gb18030" and body["mapping"][:3] == ["name", "credit_code", "phone"]
    upload_id = body["id"]
    r = client.post(f"/api/v1/imports/{upload_id}/dry-run", {"mapping": ["name", "credit_code", "phone", "notes"], "key": "credit_code"},
                    content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["error_count"] == 1 and r.json()["errors"][0] == {"row": 3, "column": "信用代码", "message": r.json()["errors"][0]["message"]}
    r = client.post(f"/api/v1/imports/{upload_id}/dry-run", {"mapping": ["owner", "", "", ""]}, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "import.mapping_invalid"
    r = client.post(f"/api/v1/imports/{upload_id}/start", {"mapping": ["name", "credit_code", "phone", "notes"]}, content_type="application/json")
    assert r.status_code == 202, r.content
    jobs.run(r.json()["job_id"])
    status = client.get(r.json()["status_url"]).json()
    assert status["state"] == "succeeded" and status["result"]["counts"]["created"] == 1
    assert client.post(f"/api/v1/imports/{upload_id}/start", {}, content_type="application/json").status_code == 409
