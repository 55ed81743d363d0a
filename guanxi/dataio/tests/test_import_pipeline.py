"""The fast import path: batches written on their own connection while the next is planned
(PostgreSQL), COPY straight into the tables with a fallback for unique values taken meanwhile,
compact create audit entries, and ANALYZE only when an import has grown the tables."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from stdnum.cn import uscc

from guanxi.audit.models import AuditEntry
from guanxi.customers import import_accounts
from guanxi.customers.models import Account, Contact, ContactAccount
from guanxi.customers.services import account_create
from guanxi.dataio import importing, jobs
from guanxi.dataio.bulk import insert_rows
from guanxi.dataio.importing import ValidRow, WriteContext
from guanxi.dataio.models import ImportRowError, JobState
from guanxi.dataio.tests.dataio_helpers import import_file, private_media  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_media")
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the pipelined writer and COPY are PostgreSQL's")

HEADER = "客户名称,统一社会信用代码,电话,联系人,手机\n"


def code(i: int) -> str:
    body = f"91110000{i:09d}"
    return body + uscc.calc_check_digit(body)


def line(i: int, *, name: str = "", phone: str = "010-65529988", mobile: str = "") -> str:
    return f"{name or f'测试{i:02d}科技有限公司'},{code(i)},{phone},联系人{i},{mobile or f'1380013{i:04d}'}"


def csv_bytes(lines: list[str]) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


@pytest.fixture
def threaded(monkeypatch):
    """Records whether each import job wrote its batches on the writer thread."""
    seen: list[bool] = []
    real_init = importing._BatchWriter.__init__

    def init(self, threaded):  # type: ignore[no-untyped-def]
        seen.append(threaded)
        real_init(self, threaded)

    monkeypatch.setattr(importing._BatchWriter, "__init__", init)
    return seen


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_pipelined_import_keeps_every_guarantee(carol, dave, monkeypatch, threaded):
    account_create(actor=dave, data={"name": "隐藏贸易有限公司"})  # 查重: carol cannot see it
    monkeypatch.setattr(importing, "BATCH_SIZE", 4)
    lines = [line(i) for i in range(1, 13)]
    lines[4] = line(3, phone="010-88889999")  # row 6, batch 2: the key of row 4, created by batch 1 (must wait for it)
    lines[6] = line(7, mobile="12345")  # row 8: a bad mobile number
    lines[9] = line(10, name="隐藏贸易（北京）有限公司")  # row 11: copies an account carol cannot see
    _upload, job = import_file(carol, csv_bytes(lines), key="credit_code")
    assert threaded == [True]
    assert job.state == JobState.SUCCEEDED, job.message
    assert job.result["counts"] == {"created": 9, "updated": 1, "unchanged": 0, "contacts_created": 9, "contacts_updated": 0}
    assert sorted(ImportRowError.objects.filter(job=job).values_list("row", flat=True)) == [8, 11]
    assert Account.objects.filter(owner=carol).count() == 9
    third = Account.objects.get(credit_code=code(3))
    assert (third.phone, third.version) == ("+861088889999", 2) and "1088889999" in third.search_text
    assert Contact.objects.filter(owner=carol).count() == 9 and ContactAccount.objects.filter(account__owner=carol).count() == 9
    assert ContactAccount.objects.get(account=third).is_primary
    entries = AuditEntry.objects.filter(source="import", actor=carol)
    assert entries.filter(action="create").count() == 18 and entries.filter(action="update").count() == 1
    assert all(e.request_id == f"job-{job.pk}" for e in entries)
    with connection.cursor() as cur:  # the writer thread's connection is closed with the job
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        assert cur.fetchone()[0] == 0

    _upload, again = import_file(carol, csv_bytes(lines), key="credit_code")
    assert again.result["counts"] == {"created": 0, "updated": 2, "unchanged": 8, "contacts_created": 0, "contacts_updated": 0}
    # Row 4 of the file sets the old phone again, row 6 the new one: both are applied, in order.
    assert Account.objects.get(credit_code=code(3)).phone == "+861088889999"
    assert Account.objects.filter(owner=carol).count() == 9 and Contact.objects.filter(owner=carol).count() == 9


def _batch_number(plan) -> int:  # type: ignore[no-untyped-def]
    """Which batch of the file a plan is for (1, 2, …), from its row numbers (row 1 is the header)."""
    first = plan.first
    rows = [r.number for r, *_rest in (first.creates + first.candidates + first.unchanged)] if first else []
    rows += [r.number for later in plan.later for r in later]
    return (min(rows) - 2) // importing.BATCH_SIZE + 1


def _slow_first_batch(monkeypatch, *, fail: bool = False, slow: int = 1) -> dict[int, dict]:
    """Wrap the account spec's plan_writer: record each batch's backend and timing by batch number,
    and hold batches 1 … ``slow`` open for a while (then fail batch 1, if asked). Batches are told
    apart by their rows, not by the order their writes begin: on a loaded machine the second lane
    may start before the first."""
    import time

    spec = importing.get_spec("account")
    real = spec.plan_writer
    calls: dict[int, dict] = {}

    def plan_writer(ctx, plan):  # type: ignore[no-untyped-def]
        number = _batch_number(plan)
        call = calls[number] = {"start": time.monotonic()}
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            call["pid"] = cur.fetchone()[0]
        out = real(ctx, plan)
        if number <= slow:
            time.sleep(0.6)
            if fail and number == 1:
                raise RuntimeError("batch 1 failed")
        call["end"] = time.monotonic()
        return out

    monkeypatch.setattr(spec, "plan_writer", plan_writer)
    return calls


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_batches_are_written_at_once_on_two_connections_but_commit_in_order(carol, monkeypatch, threaded):
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)
    calls = _slow_first_batch(monkeypatch)
    committed: list[int] = []  # accounts visible right after each batch's commit, seen from its own connection
    monkeypatch.setattr(importing, "AFTER_BATCH_HOOK", lambda batch: committed.append(Account.objects.count()))
    _upload, job = import_file(carol, csv_bytes([line(i) for i in range(1, 13)]), key="credit_code")
    assert threaded == [True] and job.state == JobState.SUCCEEDED, job.message
    assert len({c["pid"] for c in calls.values()}) == 2  # two lanes, two connections
    assert calls[2]["start"] < calls[1]["end"]  # batch 2 was written while batch 1 was still open …
    assert committed == [3, 6, 9, 12]  # … yet each commit found exactly the batches before it
    assert job.checkpoint["done"] == 12 and Contact.objects.count() == 12


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_that_changes_existing_records_is_written_alone(carol, monkeypatch, threaded):
    """Two batches written at once must never wait for each other's locks (the later one waits
    for the earlier one's commit where PostgreSQL cannot see it): a batch that touches existing
    records runs with no other batch in flight."""
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)
    import_file(carol, csv_bytes([line(i) for i in range(1, 4)]), key="credit_code")
    calls = _slow_first_batch(monkeypatch, slow=2)
    # Batch 1 creates, batch 2 updates the three existing accounts, batch 3 creates.
    lines = [line(i) for i in range(4, 7)] + [line(i, phone="010-88889999") for i in range(1, 4)] + [line(i) for i in range(7, 10)]
    _upload, job = import_file(carol, csv_bytes(lines), key="credit_code")
    assert job.state == JobState.SUCCEEDED, job.message
    assert job.result["counts"]["updated"] == 3 and job.result["counts"]["created"] == 6
    assert calls[2]["start"] >= calls[1]["end"]  # batch 2 waited until batch 1 was written
    assert calls[3]["start"] < calls[2]["end"]  # batch 3 only creates: written alongside batch 2


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_written_alongside_a_failing_one_rolls_back_with_it(carol, monkeypatch, threaded):
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)
    calls = _slow_first_batch(monkeypatch, fail=True)
    _upload, job = import_file(carol, csv_bytes([line(i) for i in range(1, 7)]), key="credit_code")
    assert threaded == [True] and job.state == JobState.FAILED
    assert sorted(calls) == [1, 2] and "end" in calls[2]  # batch 2 wrote its rows …
    assert Account.objects.count() == 0 and Contact.objects.count() == 0  # … and rolled back: nothing ahead of the checkpoint
    assert not AuditEntry.objects.filter(source="import").exists()


class WorkerKilled(BaseException):
    """Stands for kill -9: nothing in the job runner catches it."""


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_pipelined_import_killed_mid_way_resumes_without_losing_or_duplicating_rows(carol, monkeypatch, threaded):
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)

    def die_after_second_batch(batch):
        if batch == 2:
            raise WorkerKilled()

    monkeypatch.setattr(importing, "AFTER_BATCH_HOOK", die_after_second_batch)
    _upload, job = import_file(carol, csv_bytes([line(i) for i in range(1, 11)]), key="credit_code", run=False)
    with pytest.raises(WorkerKilled):
        jobs.run(str(job.pk))
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.checkpoint["done"] == 6
    assert Account.objects.count() == 6 and Contact.objects.count() == 6

    monkeypatch.setattr(importing, "AFTER_BATCH_HOOK", None)
    assert jobs.recover_stale_jobs(now=timezone.now() + timedelta(hours=1))["requeued"] == 1
    jobs.run(str(job.pk))
    job.refresh_from_db()
    assert threaded == [True, True]
    assert job.state == JobState.SUCCEEDED, job.message
    assert sorted(Account.objects.values_list("credit_code", flat=True)) == sorted(code(i) for i in range(1, 11))
    assert Contact.objects.count() == 10 and ContactAccount.objects.count() == 10
    assert AuditEntry.objects.filter(source="import", action="create").count() == 20
    assert job.result["total"] == 10 and job.result["counts"]["created"] == 10


@pytest.mark.django_db
def test_a_record_changed_between_planning_and_writing_is_not_overwritten(carol, dave):
    import_file(carol, csv_bytes([line(1)]), key="credit_code")
    account = Account.objects.get(credit_code=code(1))
    ctx = WriteContext(actor=carol, key=importing.get_spec("account").key("credit_code"), dry_run=False,
                       columns={"credit_code": "统一社会信用代码", "phone": "电话"})
    row = ValidRow(2, {"name": account.name, "credit_code": code(1), "phone": "+861088889999"})
    plan = import_accounts.plan_accounts(ctx, [row])
    Account.objects.filter(pk=account.pk).update(owner=dave)  # reassigned meanwhile: no longer carol's to change
    with transaction.atomic(), translation.override("en"):
        out = import_accounts.write_planned(ctx, plan)
    assert [(e.row, e.column) for e in out.errors] == [(2, "统一社会信用代码")]
    assert "changed while the import ran" in out.errors[0].message
    account.refresh_from_db()
    assert (account.phone, account.version, account.owner) == ("+861065529988", 1, dave)


@postgres_only
@pytest.mark.django_db
def test_copy_falls_back_to_skipping_rows_whose_unique_value_was_taken_meanwhile(carol):
    account_create(actor=carol, data={"name": "已有有限公司", "credit_code": code(1)})
    now = timezone.now()
    taken = Account(name="后来有限公司", credit_code=code(1), owner=carol, created_at=now, updated_at=now)
    fresh = Account(name="新有限公司", credit_code=code(2), owner=carol, created_at=now, updated_at=now)
    with transaction.atomic():
        inserted = insert_rows(Account, [taken, fresh])
        assert inserted == [fresh]
        assert Account.objects.filter(credit_code__in=[code(1), code(2)]).count() == 2  # the transaction goes on


@postgres_only
@pytest.mark.django_db
def test_an_account_created_elsewhere_after_planning_fails_its_row_and_leaves_out_its_contact(carol, dave):
    """The new accounts and their contacts are built, with ids and audit entries, while planning;
    if someone takes one's credit code before the batch is written, only that row fails."""
    ctx = WriteContext(actor=carol, key=importing.get_spec("account").key("credit_code"), dry_run=False,
                       columns={"credit_code": "统一社会信用代码", "contact_name": "联系人"})
    rows = [ValidRow(n, {"name": f"测试{n:02d}科技有限公司", "credit_code": code(n), "contact_name": f"联系人{n}"}) for n in (2, 3)]
    plan = import_accounts.plan_accounts(ctx, rows)
    assert plan.first is not None and plan.first.new is not None  # prepared while planning
    account_create(actor=dave, data={"name": "抢先有限公司", "credit_code": code(3)})
    with transaction.atomic(), translation.override("en"):
        out = import_accounts.write_planned(ctx, plan)
    assert [(e.row, e.column) for e in out.errors] == [(3, "统一社会信用代码")]
    assert "Someone else created this record" in out.errors[0].message
    assert out.counts == {"created": 1, "updated": 0, "unchanged": 0, "contacts_created": 1}
    assert Account.objects.get(credit_code=code(3)).owner == dave
    assert list(Contact.objects.values_list("name", flat=True)) == ["联系人2"]
    assert ContactAccount.objects.get().account.credit_code == code(2)
    entries = AuditEntry.objects.filter(source="import", action="create")
    assert sorted(entries.values_list("object_repr", flat=True)) == ["测试02科技有限公司", "联系人2"]


def test_the_import_switches_threads_quickly_and_restores_the_interval_after(carol, monkeypatch, db):
    """Three threads share the GIL during an import; a shorter switch interval returns it to the
    thread that feeds the database sooner (dataio.importing._quick_thread_switches)."""
    import sys

    seen = []
    monkeypatch.setattr(importing, "AFTER_BATCH_HOOK", lambda batch: seen.append(sys.getswitchinterval()))
    before = sys.getswitchinterval()
    _upload, job = import_file(carol, csv_bytes([line(1)]), key="credit_code")
    assert job.state == JobState.SUCCEEDED, job.message
    assert seen == [pytest.approx(importing.IMPORT_SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == before


@pytest.mark.django_db
def test_create_entries_list_the_records_values_without_repeating_the_entry(carol):
    import_file(carol, csv_bytes([line(1)]), key="credit_code")
    account = Account.objects.get(credit_code=code(1))
    contact = Contact.objects.get()
    entry = AuditEntry.objects.get(action="create", object_id=account.pk, content_type__model="account")
    assert entry.changes["name"] == [None, "测试01科技有限公司"] and entry.changes["credit_code"] == [None, code(1)]
    assert entry.changes["owner_id"] == [None, carol.pk] and entry.changes["nature"] == [None, "ordinary"]
    assert not {"id", "created_at", "created_by_id", "search_text"} & set(entry.changes)
    assert (entry.actor, entry.object_repr, entry.source) == (carol, account.name, "import")
    contact_entry = AuditEntry.objects.get(action="create", object_id=contact.pk, content_type__model="contact")
    assert contact_entry.changes["accounts"] == [None, [account.pk]] and contact_entry.changes["mobile"] == [None, "+8613800130001"]


@postgres_only
@pytest.mark.django_db
def test_only_an_import_that_grows_the_tables_analyses_them(carol, monkeypatch):
    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    monkeypatch.setattr(importing, "ANALYZE_MIN_ROWS", 2)
    data = csv_bytes([line(i) for i in range(1, 9)])
    with CaptureQueriesContext(connection) as first:
        import_file(carol, data, key="credit_code")
    analysed = [q["sql"] for q in first.captured_queries if q["sql"].startswith("ANALYZE")]
    assert any(q.startswith('ANALYZE "customers_account" ("id", "credit_code"') for q in analysed)  # the lookup columns
    assert 'ANALYZE "customers_contactaccount"' in analysed  # a table with no columns listed: whole
    with CaptureQueriesContext(connection) as again:
        import_file(carol, data, key="credit_code")
    assert not [q for q in again.captured_queries if q["sql"].startswith("ANALYZE")]


@pytest.mark.django_db
def test_rows_created_after_a_run_of_matched_rows_get_their_search_text_and_name_key(carol, monkeypatch):
    from guanxi.customers.dedupe import name_key
    from guanxi.customers.search import search_fields_for

    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    import_file(carol, csv_bytes([line(i) for i in range(1, 5)]), key="credit_code")
    prepared: list[bool] = []
    real = importing.validate_rows

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        prepared.append(kwargs.get("prepare", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "validate_rows", spy)
    _upload, job = import_file(carol, csv_bytes([line(i) for i in range(1, 9)]), key="credit_code")
    assert job.result["counts"]["created"] == 4 and job.result["counts"]["unchanged"] == 4
    assert prepared[0] and not all(prepared)  # matched rows switch the validation thread's preparing off
    for account in Account.objects.filter(credit_code__in=[code(i) for i in range(5, 9)]):
        assert (account.search_text, account.name_sort) == search_fields_for(account) and account.name_key == name_key(account.name)
        contact = account.contacts.get()
        assert (contact.search_text, contact.name_sort) == search_fields_for(contact)


@pytest.mark.django_db
@pytest.mark.parametrize(("q", "found"), [
    ("科", "测试05科技有限公司"), ("科技", "测试05科技有限公司"), ("测试05", "测试05科技有限公司"), ("cs05", "测试05科技有限公司"),
    ("ceshi", "测试05科技有限公司"), (code(5), "测试05科技有限公司"), ("联系人5", "联系人5"), ("138 0013 0005", "联系人5"),
])
def test_search_finds_imported_accounts_and_contacts(carol, q, found):
    from guanxi.customers.search_selectors import search

    import_file(carol, csv_bytes([line(i) for i in range(1, 9)]), key="credit_code")
    assert found in [hit.name for hit in search(actor=carol, q=q, limit=50)]


@pytest.mark.django_db
def test_a_contact_the_importer_may_not_change_fails_its_row_with_the_owner(carol, dave):
    import_file(carol, csv_bytes([line(1)]), key="credit_code")
    Contact.objects.update(owner=dave, team=None, department=dave.department)
    # The same row with a new account phone: the contact is matched (by mobile) but is dave's now.
    _upload, job = import_file(carol, csv_bytes([line(1, phone="010-88889999")]), key="credit_code")
    assert job.result["counts"]["updated"] == 1  # the account is carol's
    error = ImportRowError.objects.get(job=job)
    assert error.column == "联系人" and str(dave) in error.message
    assert Contact.objects.get().owner == dave
