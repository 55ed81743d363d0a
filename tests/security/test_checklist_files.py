"""SECURITY.md, upload and download paths: uploads are stored under server-generated names in
private storage (the user's file name is only metadata); a download goes through its job's owner
check and reads only files the server wrote; Content-Disposition follows RFC 6266 with an RFC 5987
``filename*`` so Chinese names survive and no name can break the header."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from guanxi.dataio.exporting import content_disposition
from guanxi.dataio.importing import upload_create
from guanxi.dataio.models import ImportUpload, Job, JobState
from tests.security.world import World

pytestmark = pytest.mark.django_db

CSV = "名称,电话\n路径测试有限公司,13800138000\n".encode()
HOSTILE_NAMES = ["../../../etc/passwd.csv", "..\\..\\windows\\win.ini.csv", "/etc/cron.d/evil.csv", "....//....//x.csv",
                 "客户名单.csv\x00.exe", 'a"; filename=evil.sh.csv', "..", "%2e%2e%2fsecret.csv"]


@pytest.fixture
def w(org):
    return World(org)


def _disposition_names(header: str) -> tuple[str, str]:
    """(ASCII fallback, decoded RFC 5987 name) of an attachment header."""
    assert header.startswith("attachment;"), header
    assert "\r" not in header and "\n" not in header
    fallback = re.search(r'filename="([^"\\]*)"', header)
    extended = re.search(r"filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+)$", header)
    assert fallback and extended, header
    assert fallback.group(1).isascii()
    return fallback.group(1), unquote(extended.group(1), encoding="utf-8", errors="strict")


# --- uploads ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", [n for n in HOSTILE_NAMES if "\x00" not in n])
def test_an_upload_is_stored_under_a_server_generated_name_whatever_it_was_called(w, filename):
    upload = upload_create(actor=w.user("carol"), object_type="account", filename=filename, data=CSV)
    assert re.fullmatch(r"dataio/uploads/[0-9a-f]{32}", upload.stored_name), upload.stored_name
    media = Path(default_storage.location).resolve()
    stored = (media / upload.stored_name).resolve()
    assert stored.is_file() and media in stored.parents and stored.read_bytes() == CSV
    assert "/" not in upload.original_name and "\\" not in upload.original_name


def test_the_web_upload_form_keeps_the_file_name_as_metadata_only(w):
    client = w.web_client("carol")
    r = client.post("/import/", {"object_type": "account", "file": ContentFile(CSV, name="../../客户名单.csv")})
    assert r.status_code == 302, r.content[:500]
    upload = ImportUpload.objects.get()
    assert upload.original_name == "客户名单.csv"
    assert re.fullmatch(r"dataio/uploads/[0-9a-f]{32}", upload.stored_name)


def test_the_api_upload_keeps_the_file_name_as_metadata_only(w):
    r = w.api_client("carol").post("/api/v1/imports/", {"object_type": "account", "file": ContentFile(CSV, name="../../客户名单.csv")})
    assert r.status_code == 201, r.content
    assert r.json()["original_name"] == "客户名单.csv"
    assert "stored_name" not in r.json()


def test_stored_files_are_not_served_by_any_url(w):
    upload = w.upload("carol")
    for client in (Client(), w.web_client("carol")):
        for url in (f"/media/{upload.stored_name}", f"/{upload.stored_name}", f"/static/../{upload.stored_name}"):
            assert client.get(url).status_code in (302, 404), url


# --- downloads read only files the server wrote ----------------------------------------------------------


TAMPERED = ["../../../etc/passwd", "/etc/passwd", "dataio/results/../../../config/settings.py", "dataio/uploads/" + "a" * 32,
            str(Path(settings.BASE_DIR) / "config" / "settings.py"), "dataio/results/" + "g" * 32 + ".csv",
            "dataio/results/%s.csv/../../x.csv" % ("a" * 32)]


@pytest.mark.parametrize("stored", TAMPERED)
def test_a_tampered_job_result_never_serves_another_file(w, stored):
    export = Job.objects.create(owner=w.user("carol"), kind="dataio.export", state=JobState.SUCCEEDED,
                                result={"file": stored, "filename": "x.csv"})
    failed = Job.objects.create(owner=w.user("carol"), kind="dataio.import", state=JobState.SUCCEEDED, result={"failed_file": stored})
    web, api = w.web_client("carol"), w.api_client("carol")
    for r in (web.get(f"/export/jobs/{export.pk}/download/"), api.get(f"/api/v1/exports/jobs/{export.pk}/download"),
              web.get(f"/import/jobs/{failed.pk}/failed-rows/"), api.get(f"/api/v1/imports/jobs/{failed.pk}/failed-rows")):
        assert r.status_code == 404


def test_a_job_of_another_kind_cannot_be_downloaded_as_an_export(w):
    stored = default_storage.save(f"dataio/results/{uuid.uuid4().hex}.csv", ContentFile(b"x"))
    job = Job.objects.create(owner=w.user("carol"), kind="customers.bulk", state=JobState.SUCCEEDED, result={"file": stored})
    assert w.web_client("carol").get(f"/export/jobs/{job.pk}/download/").status_code == 404


@pytest.mark.parametrize("job_id", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "not-a-uuid"])
def test_job_ids_that_are_not_uuids_are_404(w, job_id):
    assert w.web_client("carol").get(f"/export/jobs/{job_id}/download/").status_code == 404
    assert w.api_client("carol").get(f"/api/v1/exports/jobs/{job_id}/download").status_code == 404


# --- Content-Disposition -------------------------------------------------------------------------------------


def test_a_small_export_is_named_in_chinese_with_an_ascii_fallback(w):
    w.account("carol")
    r = w.web_client("carol").post("/export/account/", {"format": "csv"})
    assert r.status_code == 200
    fallback, name = _disposition_names(r["Content-Disposition"])
    assert name.endswith(".csv") and re.search(r"[\u4e00-\u9fff]", name), name
    assert fallback.endswith(".csv")
    assert r["Cache-Control"] == "private, no-store" or "no-store" in r.get("Cache-Control", "")


def test_the_failed_rows_file_is_named_after_the_upload_in_chinese(w):
    job = w.finished_job("dataio.import", "failed_file")
    ImportUpload.objects.create(owner=w.user("carol"), object_type="account", original_name='华东"客户"\r\n名单.csv',
                                stored_name="dataio/uploads/" + "a" * 32, job=job)
    r = w.web_client("carol").get(f"/import/jobs/{job.pk}/failed-rows/")
    assert r.status_code == 200
    _fallback, name = _disposition_names(r["Content-Disposition"])
    assert "华东" in name and "名单" in name and name.endswith(".csv")


@pytest.mark.parametrize("filename", ["客户-20261127.csv", 'a"b.csv', "a\\b.csv", "a\r\nSet-Cookie: x=1.csv", "a;b.csv",
                                      "../../etc/passwd", "", "😀表情.xlsx", "\x00\x1f.csv", "名" * 300 + ".csv"])
def test_content_disposition_is_well_formed_for_any_name(filename):
    header = content_disposition(filename)
    fallback, name = _disposition_names(header)
    assert "/" not in name and "\\" not in name and '"' not in name
    assert all(ch.isprintable() for ch in name)
    assert "Set-Cookie:" not in header.split(";", 1)[0]
    if filename == "客户-20261127.csv":
        assert name == filename and fallback == "__-20261127.csv"
