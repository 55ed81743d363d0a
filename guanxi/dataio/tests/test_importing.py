import csv
import io
import random
from datetime import timedelta

import phonenumbers
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from guanxi.audit.models import AuditEntry
from guanxi.core.errors import PermissionDenied
from guanxi.customers.import_fields import parse_phone
from guanxi.customers.models import Account, Contact, ContactAccount
from guanxi.customers.services import account_create
from guanxi.dataio import importing, jobs
from guanxi.dataio.models import ImportRowError, Job, JobState
from guanxi.dataio.tests.dataio_helpers import import_file, private_media  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

HEADER = "客户名称,统一社会信用代码,电话,省份,联系人,手机,邮箱\n"
GOOD = [
    "北京华为科技有限公司,91110000802100433B,010-65529988,北京,张三,13800138000,zhangsan@example.cn",
    "上海浦东贸易有限公司,91310000MA1FL8TQ36,021 6888 9999,上海,李四,+86 139 1234 5678,lisi@example.cn",
]
BAD = [
    "坏代码有限公司,123456,010-65529988,北京,,,",
    ",91440300MA5DC1UF6H,,广东,王五,12345,not-an-email",
]


def csv_bytes(lines, encoding="utf-8"):
    return (HEADER + "\n".join(lines) + "\n").encode(encoding)


def test_dry_run_reports_each_bad_row_and_writes_nothing(carol):
    upload = importing.upload_create(actor=carol, object_type="account", filename="客户.csv", data=csv_bytes(GOOD + BAD, "gb18030"))
    assert upload.encoding == "gb18030"
    result = importing.import_dry_run(actor=carol, upload=upload)
    assert (result.total, result.valid, result.error_count) == (4, 2, 2)
    assert result.counts["created"] == 2
    problems = {(e.row, e.column) for e in result.errors}
    assert (4, "统一社会信用代码") in problems
    assert {(5, "客户名称"), (5, "手机"), (5, "邮箱")} <= problems
    assert Account.all_objects.count() == 0
    assert Contact.all_objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_import_creates_accounts_with_contacts_owned_by_the_importer(carol):
    _upload, job = import_file(carol, csv_bytes(GOOD))
    assert job.state == JobState.SUCCEEDED, job.message
    assert job.result["counts"]["created"] == 2
    huawei = Account.objects.get(credit_code="91110000802100433B")
    assert huawei.owner == carol
    assert huawei.team_id == carol.teams.first().pk
    assert huawei.phone == "+861065529988"
    assert "bjhwkjyxgs" in huawei.search_text and huawei.name_sort.startswith("bei jing")
    assert huawei.name_key
    contact = Contact.objects.get(mobile="+8613800138000")
    assert contact.owner == carol and contact.email == "zhangsan@example.cn"
    assert ContactAccount.objects.get(contact=contact).account == huawei
    assert Contact.objects.get(name="李四").mobile == "+8613912345678"
    entries = AuditEntry.objects.filter(source="import")
    assert entries.count() == 4  # two accounts, two contacts
    assert entries.filter(object_id=huawei.pk, action="create", content_type__model="account").get().changes["name"] == [None, "北京华为科技有限公司"]


def test_reimporting_the_same_file_creates_no_duplicates(carol):
    import_file(carol, csv_bytes(GOOD))
    _upload, job = import_file(carol, csv_bytes(GOOD))
    assert job.result["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "contacts_created": 0, "contacts_updated": 0}
    assert Account.objects.count() == 2
    assert Contact.objects.count() == 2
    changed = GOOD[0].replace("010-65529988", "010-88889999")
    _upload, job = import_file(carol, csv_bytes([changed]))
    assert job.result["counts"]["updated"] == 1
    huawei = Account.objects.get(credit_code="91110000802100433B")
    assert (huawei.phone, huawei.version) == ("+861088889999", 2)
    assert "1088889999" in huawei.search_text
    update = AuditEntry.objects.get(object_id=huawei.pk, action="update", content_type__model="account")
    assert update.changes == {"phone": ["+861065529988", "+861088889999"]} and update.source == "import"


def test_an_empty_cell_never_blanks_a_stored_value(carol):
    import_file(carol, csv_bytes(GOOD))
    import_file(carol, ("客户名称,统一社会信用代码,电话\n北京华为科技有限公司,91110000802100433B,\n").encode())
    assert Account.objects.get(credit_code="91110000802100433B").phone == "+861065529988"


def test_same_key_twice_in_one_file_updates_the_record_the_first_row_created(carol):
    rows = [GOOD[0], GOOD[0].replace("北京,张三", "天津,张三")]
    _upload, job = import_file(carol, csv_bytes(rows))
    assert job.result["counts"]["created"] == 1 and job.result["counts"]["updated"] == 1
    assert Account.objects.get().province == "天津"


def test_rows_matching_someone_elses_account_fail_with_its_owner_and_change_nothing(carol, dave):
    theirs = account_create(actor=dave, data={"name": "北京华为科技有限公司", "credit_code": "91110000802100433B", "phone": "010-12345678"})
    _upload, job = import_file(carol, csv_bytes(GOOD))
    assert job.result["counts"]["created"] == 1
    error = ImportRowError.objects.get(job=job)
    assert error.row == 2 and str(dave) in error.message
    theirs.refresh_from_db()
    assert (theirs.owner, theirs.phone, theirs.version) == (dave, "+861012345678", 1)
    assert not Contact.objects.filter(name="张三").exists()


def test_a_new_account_copying_one_the_importer_cannot_see_is_refused_by_name(carol, dave):
    account_create(actor=dave, data={"name": "广州白云贸易有限公司"})
    _upload, job = import_file(carol, "客户名称,外部编号\n广州白云贸易（广东）有限公司,X-1\n".encode(), key="external_id")
    assert job.result["failed"] == 1
    assert str(dave) in ImportRowError.objects.get(job=job).message
    assert Account.objects.count() == 1


def test_managers_may_update_their_subordinates_accounts_by_import(bob, carol):
    import_file(carol, csv_bytes(GOOD))
    _upload, job = import_file(bob, csv_bytes([GOOD[0].replace(",北京,", ",河北,")]))
    assert job.result["counts"]["updated"] == 1
    account = Account.objects.get(credit_code="91110000802100433B")
    assert account.province == "河北" and account.owner == carol


def test_read_only_users_cannot_import(grace):
    with pytest.raises(PermissionDenied):
        importing.upload_create(actor=grace, object_type="account", filename="a.csv", data=csv_bytes(GOOD))


def test_failed_rows_file_has_the_original_row_and_the_reason_and_only_its_owner_gets_it(client, carol, dave):
    _upload, job = import_file(carol, csv_bytes(GOOD + BAD + ["=HYPERLINK(\"http://evil\"),,,,,,"]))
    assert job.result["failed"] == 3
    client.force_login(carol)
    response = client.get(f"/import/jobs/{job.pk}/failed-rows/")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][1:-1] == HEADER.strip().split(",")
    assert [r[0] for r in table[1:]] == ["4", "5", "6"]
    assert table[1][1:-1] == BAD[0].split(",") and "统一社会信用代码" in table[1][-1]
    assert table[3][1].startswith("'=HYPERLINK")  # formula neutralised in the failed-rows file too
    assert client.get(f"/api/v1/imports/jobs/{job.pk}/failed-rows").status_code == 200
    client.force_login(dave)
    assert client.get(f"/import/jobs/{job.pk}/failed-rows/").status_code == 404
    assert client.get(f"/api/v1/imports/jobs/{job.pk}/failed-rows").status_code == 404
    assert client.get(f"/import/{_upload.pk}/").status_code == 404


class WorkerKilled(BaseException):
    """Stands for kill -9: nothing in the job runner catches it."""


def test_a_worker_killed_mid_import_resumes_without_losing_or_duplicating_rows(carol, monkeypatch):
    lines = [f"客户{i:02d}有限公司,EXT-{i:02d},1380013{i:04d},联系人{i}" for i in range(10)]
    data = ("客户名称,外部编号,手机,联系人\n" + "\n".join([*lines, "坏行,EXT-99,123,某人"]) + "\n").encode()
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)

    def die_after_second_batch(batch):
        if batch == 2:
            raise WorkerKilled()

    monkeypatch.setattr(importing, "AFTER_BATCH_HOOK", die_after_second_batch)
    _upload, job = import_file(carol, data, key="external_id", run=False)
    with pytest.raises(WorkerKilled):
        jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.checkpoint["done"] == 6
    assert Account.objects.count() == 6 and Contact.objects.count() == 6

    monkeypatch.setattr(importing, "AFTER_BATCH_HOOK", None)
    assert jobs.recover_stale_jobs(now=timezone.now() + timedelta(hours=1))["requeued"] == 1
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.message
    assert Account.objects.count() == 10
    assert sorted(Account.objects.values_list("external_id", flat=True)) == [f"EXT-{i:02d}" for i in range(10)]
    assert Contact.objects.count() == 10 and ContactAccount.objects.count() == 10
    assert AuditEntry.objects.filter(source="import", action="create").count() == 20
    assert ImportRowError.objects.filter(job=job).count() == 1
    assert job.result["total"] == 11 and job.result["counts"]["created"] == 10 and job.result["failed"] == 1
    assert job.attempts == 2


def test_an_upload_is_imported_once(carol):
    upload, _job = import_file(carol, csv_bytes(GOOD))
    with pytest.raises(importing.ImportStateError):
        importing.import_start(actor=carol, upload=upload)
    assert Job.objects.filter(kind="dataio.import").count() == 1


def test_uploads_are_stored_under_server_generated_names(carol):
    upload = importing.upload_create(actor=carol, object_type="account", filename="../../etc/passwd.csv", data=csv_bytes(GOOD))
    assert upload.original_name == "passwd.csv"
    assert upload.stored_name.startswith("dataio/uploads/") and ".." not in upload.stored_name
    assert default_storage.exists(upload.stored_name)


def test_vcard_contacts_import_and_link_to_a_visible_account(carol):
    account_create(actor=carol, data={"name": "北京华为科技有限公司"})
    vcf = ("BEGIN:VCARD\nVERSION:3.0\nFN:张三\nORG:北京华为科技有限公司;销售部\nTITLE:经理\nTEL;TYPE=CELL:138 0013 8000\n"
           "EMAIL:zhangsan@example.cn\nBDAY:1985-04-12\nEND:VCARD\n"
           "BEGIN:VCARD\nVERSION:3.0\nFN:Anna Smith\nORG:Unknown Ltd\nTEL;TYPE=CELL:+1 415 555 0100\nEND:VCARD\n").encode()
    upload, job = import_file(carol, vcf, filename="通讯录.vcf", object_type="contact")
    assert upload.file_format == "vcard" and upload.upsert_key == "mobile"
    assert job.state == JobState.SUCCEEDED, job.message
    assert job.result["counts"]["created"] == 2 and job.result["counts"]["accounts_not_found"] == 1
    zhang = Contact.objects.get(mobile="+8613800138000")
    assert (zhang.title, zhang.department_name, str(zhang.birthday)) == ("经理", "销售部", "1985-04-12")
    assert zhang.accounts.get().name == "北京华为科技有限公司"
    assert Contact.objects.get(name="Anna Smith").mobile == "+14155550100"
    _upload, again = import_file(carol, vcf, filename="通讯录.vcf", object_type="contact")
    assert again.result["counts"]["unchanged"] == 2 and Contact.objects.count() == 2


def test_xlsx_import(carol):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Company", "USCC", "Contact", "Mobile"])
    wb.active.append(["Shenzhen Tech Co., Ltd.", "91440300MA5DC1UF6H", "Wang Wu", 13600001111])
    buf = io.BytesIO()
    wb.save(buf)
    _upload, job = import_file(carol, buf.getvalue(), filename="accounts.xlsx")
    assert job.result["counts"]["created"] == 1, job.result
    assert Contact.objects.get().mobile == "+8613600001111"


def test_fast_mobile_path_agrees_with_phonenumbers():
    rnd = random.Random(2026)
    for _ in range(3000):
        number = "1" + rnd.choice("3456789") + "".join(rnd.choice("0123456789") for _ in range(9))
        try:
            parsed = phonenumbers.parse(number, "CN")
            expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if phonenumbers.is_valid_number(parsed) else None
        except phonenumbers.NumberParseException:
            expected = None
        for _twice in range(2):  # the second call may take the cached path
            try:
                got = parse_phone(number)
            except ValueError:
                got = None
            assert got == expected, number


def test_credit_code_check_agrees_with_stdnum():
    from stdnum.cn import uscc

    from guanxi.customers.import_fields import parse_credit_code

    rnd = random.Random(7)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    samples = ["91110000802100433B", "91110000802100433b", "9111 0000 8021 0043 3B", "91110000802100433I"]
    for _ in range(3000):
        body = "".join(rnd.choice("0123456789") for _ in range(8)) + "".join(rnd.choice(alphabet) for _ in range(9))
        samples.append(body + (uscc.calc_check_digit(body + "0") if rnd.random() < 0.5 and all(c in uscc._alphabet for c in body) else rnd.choice(alphabet)))
    for code in samples:
        try:
            got = parse_credit_code(code)
        except ValueError:
            got = None
        assert got == (uscc.compact(code) if uscc.is_valid(code) else None), code
