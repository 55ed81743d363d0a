import csv
import io

import openpyxl
import pytest

from guanxi.customers.models import Account
from guanxi.customers.services import account_create
from guanxi.dataio import exporting, jobs
from guanxi.dataio.exporting import content_disposition, neutralise
from guanxi.dataio.models import Job, JobState
from guanxi.dataio.tests.dataio_helpers import private_media  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

PAYLOADS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "＝HYPERLINK()", "＋1", "－1", "＠x", " =indented"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_starters_get_an_apostrophe(payload):
    assert neutralise(payload) == "'" + payload


def test_phone_numbers_and_ordinary_text_are_left_alone():
    assert neutralise("+8613800138000") == "+8613800138000"
    assert neutralise("北京华为") == "北京华为"
    assert neutralise("a=b") == "a=b"
    assert neutralise(-5) == -5
    assert neutralise("+86 138") == "'+86 138"  # not E.164: could be the start of an expression


@pytest.fixture
def book(carol, dave):
    a = account_create(actor=carol, data={"name": "=HYPERLINK(\"http://evil.example\",\"点我\")", "phone": "13800138000"})
    b = account_create(actor=carol, data={"name": "北京华为科技有限公司", "notes": "@SUM(1+1)", "province": "北京"})
    c = account_create(actor=dave, data={"name": "戴夫的客户有限公司", "province": "北京"})
    return a, b, c


def csv_rows(response, encoding="utf-8-sig"):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode(encoding))))


def test_csv_export_neutralises_formulas_keeps_phones_and_starts_with_a_bom(client, carol, book):
    client.force_login(carol)
    response = client.post("/export/account/", {"format": "csv", "sort": "name"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, data = rows[0], rows[1:]
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in data}
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\")" in by_name
    assert [r for r in data if r[0].startswith("=")] == []
    evil = by_name["'=HYPERLINK(\"http://evil.example\",\"点我\")"]
    assert "+8613800138000" in evil.values()
    assert "'@SUM(1+1)" in by_name["北京华为科技有限公司"].values()


def test_xlsx_export_has_no_formula_cells_and_phones_stay_text(client, carol, book):
    client.force_login(carol)
    response = client.post("/export/account/", {"format": "xlsx"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    values = [c.value for c in cells]
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\")" in values
    phone = next(c for c in cells if c.value == "+8613800138000")
    assert phone.data_type == "s"


def test_export_respects_visibility_and_the_list_filters(client, carol, dave, book):
    client.force_login(dave)
    names = [r[0] for r in csv_rows(client.post("/export/account/", {"format": "csv"}))[1:]]
    assert names == ["戴夫的客户有限公司"]
    client.force_login(carol)
    names = [r[0] for r in csv_rows(client.post("/export/account/", {"format": "csv", "province": "北京"}))[1:]]
    assert names == ["北京华为科技有限公司"]
    names = [r[0] for r in csv_rows(client.post("/export/account/", {"q": "华为"}))[1:]]
    assert names == ["北京华为科技有限公司"]


def test_unknown_filters_are_refused_not_passed_to_the_orm(client, carol, book):
    client.force_login(carol)
    response = client.post("/export/account/", {"owner__password": "x"}, HTTP_REFERER="/accounts/")
    assert response.status_code == 302
    assert not Job.objects.exists()


def test_gb18030_export_for_older_excel(client, carol, book):
    client.force_login(carol)
    response = client.post("/export/account/", {"format": "csv", "encoding": "gb18030"})
    assert "charset=gb18030" in response["Content-Type"]
    assert "北京华为科技有限公司" in [r[0] for r in csv_rows(response, "gb18030")]


def test_chinese_file_names_follow_rfc_6266_and_5987():
    header = content_disposition('客户 "导出"\r\n.csv')
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E5%AE%A2%E6%88%B7" in header
    assert "\r" not in header and "\n" not in header and '"导出"' not in header


def test_large_exports_run_as_a_job_with_the_rows_visible_when_it_runs_and_only_the_owner_downloads(client, carol, dave, book, monkeypatch):
    monkeypatch.setattr(exporting, "EXPORT_INLINE_MAX", 1)
    client.force_login(carol)
    response = client.post("/export/account/", {"format": "xlsx"})
    job = Job.objects.get(kind="dataio.export")
    assert response.status_code == 302 and response["Location"] == f"/export/jobs/{job.pk}/"
    # Visibility is decided when the job runs: an account transferred away meanwhile is not exported.
    Account.objects.filter(name="北京华为科技有限公司").update(owner=dave)
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.message
    assert job.result["rows"] == 1
    assert client.get(f"/export/jobs/{job.pk}/").status_code == 200
    download = client.get(f"/export/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    client.force_login(dave)
    assert client.get(f"/export/jobs/{job.pk}/download/").status_code == 404
    assert client.get(f"/api/v1/exports/jobs/{job.pk}/download").status_code == 404
    assert client.get(f"/export/jobs/{job.pk}/").status_code == 404


def test_api_export_job_and_download(client, carol, dave, book):
    client.force_login(carol)
    r = client.post("/api/v1/exports/", {"object_type": "account", "filters": {"province": "北京"}, "format": "csv"},
                    content_type="application/json")
    assert r.status_code == 202, r.content
    job_id = r.json()["job_id"]
    jobs.run(job_id)
    assert client.get(f"/api/v1/jobs/{job_id}").json()["state"] == "succeeded"
    download = client.get(f"/api/v1/exports/jobs/{job_id}/download")
    assert download.status_code == 200
    assert [r[0] for r in csv_rows(download)[1:]] == ["北京华为科技有限公司"]
    r = client.post("/api/v1/exports/", {"object_type": "account", "filters": {"owner__password": "x"}}, content_type="application/json")
    assert r.status_code == 400


def test_xlsx_writer_round_trips_text_numbers_and_dates():
    from datetime import date, datetime
    from decimal import Decimal

    from guanxi.dataio.parsing import open_table

    buf = io.BytesIO()
    rows = [["A & B <c>", 12, Decimal("3.50"), date(2024, 2, 29), datetime(2024, 3, 1, 8, 30), None, " 空格 ", "=1+1", True]]
    assert exporting.write_xlsx(buf, ["名称", "n", "amount", "day", "at", "none", "space", "f", "flag"], rows) == 1
    sheet = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    values = [c.value for c in next(sheet.iter_rows(min_row=2))]
    assert values[:5] == ["A & B <c>", 12, 3.5, datetime(2024, 2, 29), datetime(2024, 3, 1, 8, 30)]
    assert values[5:] == [None, " 空格 ", "'=1+1", True]
    table = open_table(buf.getvalue(), filename="export.xlsx")  # our own exports import back
    assert table.headers[0] == "名称" and next(table.rows())[1][0] == "A & B <c>"
