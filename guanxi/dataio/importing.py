"""The import engine every importable object reuses.

An app registers an ``ImportSpec``: its fields (each with a parser that normalises a cell or raises
ValueError with a user-facing message), the keys records can be matched on for upserts, and a
``writer`` that plans and writes one batch of validated rows (bulk SQL, audit entries, permission
checks). The engine does the rest, the same for every object:

1. ``upload_create`` stores the file in private storage under a server-generated name and reads its
   headers (parsing.py); ``suggest`` proposes a mapping (mapping.py).
2. ``import_dry_run`` validates every row and asks the writer to plan each batch without writing:
   per-row errors (row, column, message) and what would be created or updated.
3. ``import_start`` queues the real run as a background job (``dataio.import``). The job works in
   batches; each batch's rows, its row errors and the job checkpoint commit in ONE transaction, so a
   worker killed at any moment resumes after the last committed batch: no row lost, none written
   twice. Rows are upserted by the chosen key, so importing the same file again creates nothing new.
   Batches are validated in a helper thread, and on PostgreSQL written by two others (two at once,
   committing in order) while the next one is planned (``_BatchWriter``), so Python and the
   database work at the same time.
4. Rows that could not be written are collected with their reasons; at the end a failed-rows CSV
   (the original row plus the reason) is written to private storage, downloadable by the job's owner.
"""

from __future__ import annotations

import contextvars
import csv
import io
import logging
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.context import Source, bound
from guanxi.core.errors import NotFound, PermissionDenied, ValidationFailed
from guanxi.dataio import mapping as mapping_mod
from guanxi.dataio.bulk import tune_transaction_for_bulk
from guanxi.dataio.errors import ImportStateError, MappingInvalid
from guanxi.dataio.jobs import JobContext, job_handler, job_start
from guanxi.dataio.models import ImportRowError, ImportUpload, Job
from guanxi.dataio.parsing import Table, open_table

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
DRY_RUN_MAX_ERRORS = 500
UPLOAD_DIR = "dataio/uploads"
RESULT_DIR = "dataio/results"

# Tests set this to simulate a worker dying between batches: called with the number of the batch
# just committed (1, 2, ...).
AFTER_BATCH_HOOK: Callable[[int], None] | None = None
# bench/import.py sets this to a dict to learn the CPU seconds of each stage (read+validate, plan,
# write), measured per thread.
CPU_STATS: dict[str, float] | None = None


@contextmanager
def _cpu(stage: str) -> Iterator[None]:
    stats = CPU_STATS
    if stats is None:
        yield
        return
    start = time.thread_time()
    try:
        yield
    finally:
        stats[stage] = stats.get(stage, 0.0) + time.thread_time() - start


# --- specs ----------------------------------------------------------------------------------------


def _text(raw: str) -> str:
    return raw


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Any
    parse: Callable[[str], Any] = _text
    required: bool = False
    synonyms: tuple[str, ...] = ()
    max_length: int | None = None

    def clean(self, raw: str) -> Any:
        if self.max_length is not None and len(raw) > self.max_length:
            raise ValueError(_("At most %(n)d characters.") % {"n": self.max_length})
        return self.parse(raw)


@dataclass(frozen=True)
class KeyOption:
    name: str
    label: Any
    field: str


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ValidRow:
    number: int
    values: dict[str, Any]


@dataclass
class WriteContext:
    actor: Any
    key: KeyOption
    dry_run: bool
    columns: dict[str, str]  # field → header, to name the column in row errors
    pending: set[Any] = field(default_factory=set)  # dry run: keys a previous batch would create
    cache: dict[str, Any] = field(default_factory=dict)  # per-run values a writer computes once

    def column(self, name: str) -> str:
        return self.columns.get(name, "")


@dataclass
class BatchOutcome:
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))


Writer = Callable[[WriteContext, list[ValidRow]], BatchOutcome]


@dataclass
class ImportSpec:
    object_type: str
    label: Any
    fields: Callable[[], list[FieldSpec]]
    keys: tuple[KeyOption, ...]
    writer: Writer
    can_import: Callable[[Any], bool] = lambda actor: True
    check_row: Callable[[dict[str, Any]], dict[str, str]] | None = None
    formats: tuple[str, ...] = ("csv", "xlsx")
    # Optional, for large imports on PostgreSQL: ``writer`` split into a read-only ``planner`` (no
    # locks, no writes) and a ``plan_writer`` that writes its plan in the batch's transaction, with
    # ``batch_keys`` naming the unique values a batch may create or change (see ``_BatchWriter``).
    planner: Callable[[WriteContext, list[ValidRow]], Any] | None = None
    plan_writer: Callable[[WriteContext, Any], BatchOutcome] | None = None
    batch_keys: Callable[[WriteContext, list[ValidRow]], set[Any]] | None = None
    # Does a plan touch existing records (lock, change, link to them)? Such a batch is written
    # with no other batch in flight; a plan that only creates records may be written alongside
    # another (see ``_BatchWriter``). Without it every batch is written alone.
    plan_touches_existing: Callable[[Any], bool] = lambda plan: True
    # Adds derived values (search text, duplicate keys …) to a valid row's values under keys that
    # start with "__", for the records a row would create. Skipped while an import mostly matches
    # existing records (a re-import), so the writer computes whatever is missing itself.
    # start with "__". It runs with validation, off the write path (see ``_validated_batches``).
    prepare: Callable[[dict[str, Any]], None] | None = None
    # Tables a large import changes enough to mislead the PostgreSQL planner until they are analysed,
    # and per table the columns the import's own lookups filter on (a table not listed is analysed
    # whole). See ``_analyze_as_needed``.
    analyze: tuple[str, ...] = ()
    analyze_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def field_map(self) -> dict[str, FieldSpec]:
        return {f.name: f for f in self.fields()}

    def key(self, name: str) -> KeyOption:
        for option in self.keys:
            if option.name == name:
                return option
        raise ValidationFailed({"key": [_("Choose one of: %(keys)s") % {"keys": ", ".join(k.name for k in self.keys)}]})


_SPECS: dict[str, ImportSpec] = {}


def register_spec(spec: ImportSpec) -> ImportSpec:
    _SPECS[spec.object_type] = spec
    return spec


def get_spec(object_type: str) -> ImportSpec:
    try:
        return _SPECS[object_type]
    except KeyError as exc:
        raise NotFound(_("Nothing of this kind can be imported.")) from exc


def specs() -> list[ImportSpec]:
    return [_SPECS[k] for k in sorted(_SPECS)]


# --- uploads --------------------------------------------------------------------------------------


def upload_create(*, actor: Any, object_type: str, filename: str, data: bytes) -> ImportUpload:
    """Read the file (refusing what cannot be read, with a reason) and keep it for the next steps."""
    spec = get_spec(object_type)
    if not spec.can_import(actor):
        raise PermissionDenied(_("You may not import records of this kind."))
    table = open_table(data, filename=filename)
    if table.file_format not in spec.formats:
        raise MappingInvalid(_("This kind of file cannot be imported here."))
    fields = spec.fields()
    stored = default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}", ContentFile(data))
    return ImportUpload.objects.create(
        owner=actor,
        object_type=object_type,
        original_name=(filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255],
        stored_name=stored,
        size=len(data),
        file_format=table.file_format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        headers=table.headers,
        row_count=table.row_count,
        mapping=mapping_mod.suggest_mapping(table.headers, fields),
        upsert_key=spec.keys[0].name,
    )


def upload_get(*, actor: Any, pk: Any) -> ImportUpload:
    """Uploads are private to the person who uploaded them; anyone else gets 404."""
    upload = ImportUpload.objects.filter(pk=pk, owner_id=getattr(actor, "pk", None)).first() if _is_uuid(pk) else None
    if upload is None:
        raise NotFound()
    return upload


def read_upload(upload: ImportUpload) -> Table:
    """The stored file, read as it was on upload (its rows were counted then: not again)."""
    with default_storage.open(upload.stored_name, "rb") as fh:
        data = fh.read()
    return open_table(data, filename=upload.original_name, encoding=upload.encoding, delimiter=upload.delimiter,
                      row_count=upload.row_count)


def upload_set_mapping(*, actor: Any, upload: ImportUpload, mapping: list[str], key: str) -> ImportUpload:
    spec = get_spec(upload.object_type)
    option = spec.key(key)
    clean = mapping_mod.validate_mapping(upload.headers, mapping, spec.fields(), key_field=option.field)
    upload.mapping, upload.upsert_key = clean, option.name
    upload.save(update_fields=["mapping", "upsert_key"])
    return upload


# --- validation -----------------------------------------------------------------------------------


def _columns(upload: ImportUpload) -> dict[str, str]:
    return {target: upload.headers[i] for i, target in enumerate(upload.mapping) if target}


def validate_rows(spec: ImportSpec, upload: ImportUpload, rows: Iterable[tuple[int, list[str]]],
                  fields: dict[str, FieldSpec], *, prepare: bool = True) -> tuple[list[ValidRow], list[RowError]]:
    """Parse and normalise each mapped cell. Empty cells are left out: an upsert never blanks a
    stored value because a column was empty."""
    plan = [(i, upload.headers[i], fields[t]) for i, t in enumerate(upload.mapping) if t and t in fields]
    required = [f for f in fields.values() if f.required]
    header_of = {f.name: h for _i, h, f in plan}
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    for number, cells in rows:
        values: dict[str, Any] = {}
        row_errors: list[RowError] = []
        for i, header, fld in plan:
            raw = cells[i]
            if not raw:
                continue
            try:
                values[fld.name] = fld.clean(raw)
            except ValueError as exc:
                row_errors.append(RowError(number, header, str(exc)))
        for fld in required:
            if fld.name not in values and not any(e.column == header_of.get(fld.name) for e in row_errors):
                row_errors.append(RowError(number, header_of.get(fld.name, str(fld.label)), _("This field is required.")))
        if not row_errors and spec.check_row is not None:
            for name, message in spec.check_row(values).items():
                row_errors.append(RowError(number, header_of.get(name, name), message))
        if row_errors:
            errors.extend(row_errors)
        else:
            if prepare and spec.prepare is not None:
                spec.prepare(values)
            valid.append(ValidRow(number, values))
    return valid, errors


def _validated_batches(spec: ImportSpec, upload: ImportUpload, rows: Iterator[tuple[int, list[str]]], fields: dict[str, FieldSpec],
                       prepare: Callable[[], bool] = lambda: True,
                       ) -> Iterator[tuple[list[tuple[int, list[str]]], list[ValidRow], list[RowError]]]:
    """Batches of (raw rows, valid rows, row errors), each read and validated in a helper thread while
    the caller writes the previous one: validation is Python work and the write is mostly waiting
    for the database, so on two cores the two overlap (the GIL is released while psycopg waits).
    The helper never touches the database; it runs in the caller's language, for the messages."""
    language = translation.get_language()

    def next_batch() -> tuple[list[tuple[int, list[str]]], list[ValidRow], list[RowError]] | None:
        with translation.override(language), _cpu("validate"):
            batch = list(islice(rows, BATCH_SIZE))
            if not batch:
                return None
            return (batch, *validate_rows(spec, upload, batch, fields, prepare=prepare()))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-import-validate") as pool:
        future = pool.submit(next_batch)
        while (item := future.result()) is not None:
            future = pool.submit(next_batch)
            yield item


def _batches(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    while batch := list(islice(rows, size)):
        yield batch


@dataclass
class DryRunResult:
    total: int
    valid: int
    error_count: int
    errors: list[RowError]
    counts: dict[str, int]
    errors_truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total, "valid": self.valid, "error_count": self.error_count, "counts": self.counts,
            "errors": [e.as_dict() for e in self.errors], "errors_truncated": self.errors_truncated,
        }


def import_dry_run(*, actor: Any, upload: ImportUpload, max_errors: int = DRY_RUN_MAX_ERRORS) -> DryRunResult:
    """Validate every row and plan every batch against the database, writing nothing."""
    spec = get_spec(upload.object_type)
    option = spec.key(upload.upsert_key)
    fields = spec.field_map()
    mapping_mod.validate_mapping(upload.headers, upload.mapping, fields.values(), key_field=option.field)
    ctx = WriteContext(actor=actor, key=option, dry_run=True, columns=_columns(upload))
    table = read_upload(upload)
    errors: list[RowError] = []
    error_rows: set[int] = set()
    counts: dict[str, int] = {}
    total = 0
    for batch in _batches(table.rows(), BATCH_SIZE):
        total += len(batch)
        valid, row_errors = validate_rows(spec, upload, batch, fields)
        outcome = spec.writer(ctx, valid)
        for name, n in outcome.counts.items():
            counts[name] = counts.get(name, 0) + n
        for err in row_errors + outcome.errors:
            error_rows.add(err.row)
            if len(errors) < max_errors:
                errors.append(err)
    errors.sort(key=lambda e: e.row)
    return DryRunResult(total=total, valid=total - len(error_rows), error_count=len(error_rows), errors=errors,
                        counts=counts, errors_truncated=len(errors) >= max_errors)


# --- the real run ---------------------------------------------------------------------------------


@transaction.atomic
def import_start(*, actor: Any, upload: ImportUpload) -> Job:
    """Queue the import of ``upload`` with its saved mapping and key; an upload is imported once."""
    upload = ImportUpload.objects.select_for_update().get(pk=upload.pk, owner_id=actor.pk)
    if upload.job_id is not None:
        raise ImportStateError()
    spec = get_spec(upload.object_type)
    if not spec.can_import(actor):
        raise PermissionDenied(_("You may not import records of this kind."))
    option = spec.key(upload.upsert_key)
    mapping_mod.validate_mapping(upload.headers, upload.mapping, spec.fields(), key_field=option.field)
    job = job_start(actor=actor, kind="dataio.import", params={"upload_id": str(upload.pk)})
    upload.job = job
    upload.save(update_fields=["job"])
    return job


@job_handler("dataio.import")
def run_import(ctx: JobContext, *, upload_id: str) -> dict[str, Any]:
    upload = ImportUpload.objects.select_related("owner__role", "owner__department").get(pk=upload_id)
    actor = upload.owner
    spec = get_spec(upload.object_type)
    option = spec.key(upload.upsert_key)
    fields = spec.field_map()
    wctx = WriteContext(actor=actor, key=option, dry_run=False, columns=_columns(upload))
    table = read_upload(upload)
    state: dict[str, Any] = dict(ctx.checkpoint or {"after_row": 0, "done": 0, "batches": 0, "failed": 0, "counts": {}})
    total = max(1, table.row_count)
    rows = (r for r in table.rows() if r[0] > state["after_row"])
    creating = [True]  # does the import create records (worth preparing them in the validation thread)?

    def write_batch(batch: list[tuple[int, list[str]]], row_errors: list[RowError], write: Callable[[], BatchOutcome],
                    turn: Callable[[], None] = lambda: None) -> None:
        """One batch, its row errors and the checkpoint in one transaction. ``turn`` returns once
        the previous batch has committed (raising its error, if any, so this one rolls back): the
        rows of two batches may be written at the same time, but they commit in order."""
        nonlocal state
        with _cpu("write"), transaction.atomic():
            tune_transaction_for_bulk()
            outcome = write()
            turn()
            all_errors = row_errors + outcome.errors
            ImportRowError.objects.bulk_create(
                [ImportRowError(job_id=ctx.job.pk, row=e.row, column=e.column[:200], message=e.message[:500]) for e in all_errors]
            )
            counts = dict(state["counts"])
            for name, n in outcome.counts.items():
                counts[name] = counts.get(name, 0) + n
            matched = outcome.counts.get("updated", 0) + outcome.counts.get("unchanged", 0)
            if matched or outcome.counts.get("created", 0):
                creating[0] = outcome.counts.get("created", 0) >= matched
            state = {
                **state,
                "after_row": batch[-1][0],
                "done": state["done"] + len(batch),
                "batches": state["batches"] + 1,
                "failed": state["failed"] + len({e.row for e in all_errors}),
                "counts": counts,
            }
            ctx.save_checkpoint(state, percent=min(99, 100 * state["done"] / total),
                                message=_("%(done)d of %(total)d rows") % {"done": state["done"], "total": table.row_count})
        state = _analyze_as_needed(spec, state, outcome.counts.get("created", 0))
        if AFTER_BATCH_HOOK is not None:
            AFTER_BATCH_HOOK(state["batches"])

    with bound(source=Source.IMPORT), _quick_thread_switches(), _BatchWriter(_pipelined(spec)) as writer:
        for batch, valid, row_errors in _validated_batches(spec, upload, rows, fields, prepare=lambda: creating[0]):
            if not writer.threaded:
                write_batch(batch, row_errors, partial(spec.writer, wctx, valid))
                continue
            assert spec.planner is not None and spec.plan_writer is not None and spec.batch_keys is not None
            keys = spec.batch_keys(wctx, valid)
            if keys & writer.in_flight:
                writer.wait()  # this batch touches what the batch being written creates: plan after it
            with _cpu("plan"):
                plan = spec.planner(wctx, valid)
            if spec.plan_touches_existing(plan):
                writer.wait()  # written alone: no other batch can hold a lock it needs (see _BatchWriter)
            writer.submit(partial(write_batch, batch, row_errors, partial(spec.plan_writer, wctx, plan)), keys)  # type: ignore[arg-type]
        writer.wait()
        _analyze_as_needed(spec, state, 0, final=True)
    failed_file = write_failed_rows(job=ctx.job, table=table) if state["failed"] else ""
    counts = state["counts"]
    message = _("%(total)d rows: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(failed)d failed.") % {
        "total": state["done"], "created": counts.get("created", 0), "updated": counts.get("updated", 0),
        "unchanged": counts.get("unchanged", 0), "failed": state["failed"],
    }
    return {"total": state["done"], "failed": state["failed"], "counts": counts, "failed_file": failed_file,
            "upload_id": str(upload.pk), "message": message}


# The import runs three threads (validation, planning, writing) that take turns on the GIL. When
# the writer's statement returns from PostgreSQL it needs the GIL back to send the next one, and by
# default a thread holding the GIL keeps it up to 5 ms: the database then sits idle while Python
# computes. With 0.5 ms the writer gets back to the database sooner; measured on 2 cores, 100,000
# accounts with contacts: 1,810 rows/s at 5 ms, 2,036 at 1 ms, 2,316 at 0.5 ms, 2,228 at 0.2 ms.
# The interval is process-wide, so it is set for the import's duration only.
IMPORT_SWITCH_INTERVAL = 0.0005


@contextmanager
def _quick_thread_switches() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, IMPORT_SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


# Writing a batch is mostly PostgreSQL's work (index upkeep, foreign keys, commit), planning the
# next one mostly Python's. With a spec that splits its writer (``planner`` / ``plan_writer``) the
# batches are written by threads of their own, each on its own connection, while the main thread
# plans the next batch (reads only, in autocommit) and the validation thread reads the one after.
# Two batches are written at once, on two connections (two "lanes"): one PostgreSQL backend alone
# was the bottleneck, and two use both cores while Python waits. Safety:
# - each batch writes its rows, its row errors and its checkpoint in ONE transaction, and batches
#   COMMIT IN ORDER: a batch that finishes its writing first waits for the previous one to commit
#   before it writes its checkpoint (``turn``), and rolls back if that one failed. So the
#   checkpoint is still "everything up to row N is in", and a killed worker resumes exactly as
#   before: no row lost, none written twice;
# - planning cannot see the rows of batches not yet committed, so a batch that holds any unique
#   value of a batch being written (their ``batch_keys``) waits for those before it is planned;
# - no deadlock: a batch waits for its predecessor's commit in Python, where PostgreSQL cannot see
#   it, so the predecessor must never wait for a lock the batch holds. A batch that touches
#   existing records (locks and changes accounts or contacts, which two batches could share
#   through a contact linked to two accounts) is only written when no other batch is in flight
#   (``ImportSpec.plan_touches_existing``). A batch that only creates records locks nothing that
#   anyone else wants: its new rows are invisible to others, and its foreign-key checks take only
#   shared key locks. So a first import writes two batches at once, and a re-import one;
# - the planner takes no locks: the writer locks and re-reads the records it changes in its own
#   transaction (no lost update), and the main thread holds nothing a writer could wait for.
# Off inside a transaction (tests: the writers' connections would not see it) and on SQLite.
PIPELINE = True
LANES = 2


def _pipelined(spec: ImportSpec) -> bool:
    from django.db import connection

    return (PIPELINE and spec.planner is not None and spec.plan_writer is not None and spec.batch_keys is not None
            and connection.vendor == "postgresql" and not connection.in_atomic_block)


class _BatchWriter:
    """Runs batch writes on ``LANES`` threads, each with its own database connection, taking
    turns: batch 1 on lane 1, batch 2 on lane 2, batch 3 on lane 1 …, committing in order."""

    def __init__(self, threaded: bool) -> None:
        self.threaded = threaded
        self.pools = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gx-import-write-{i}") for i in range(LANES)] if threaded else []
        self.pending: list[tuple[Future[Any], set[Any]]] = []  # batches being written, oldest first
        self.submitted = 0

    def __enter__(self) -> _BatchWriter:
        return self

    @property
    def in_flight(self) -> set[Any]:
        """The unique values of the batches being written."""
        return set().union(*(keys for _f, keys in self.pending))

    def submit(self, fn: Callable[[Callable[[], None]], None], keys: set[Any]) -> None:
        """Write a batch: ``fn(turn)``, where ``turn()`` waits for the previous batch's commit."""
        assert self.pools
        while len(self.pending) >= len(self.pools):
            self._wait_oldest()
        previous = self.pending[-1][0] if self.pending else None
        language = translation.get_language()
        context = contextvars.copy_context()  # request id and source, for the audit entries

        def turn() -> None:
            if previous is not None:
                previous.result()

        def task() -> None:
            with translation.override(language):
                fn(turn)

        pool = self.pools[self.submitted % len(self.pools)]
        self.submitted += 1
        self.pending.append((pool.submit(context.run, task), keys))

    def _wait_oldest(self) -> None:
        future, _keys = self.pending.pop(0)
        future.result()

    def wait(self) -> None:
        """Until every batch being written has committed (the first error, if any, is raised here)."""
        while self.pending:
            self._wait_oldest()

    def __exit__(self, *exc: object) -> None:
        if not self.pools:
            return
        try:
            if exc[0] is None:
                self.wait()
        finally:
            from django.db import connection

            for pool in self.pools:
                pool.submit(lambda: connection.close())  # each lane's own connection (resolved on its thread)
            for pool in self.pools:
                pool.shutdown(wait=True)  # a batch still being written finishes (commits or rolls back) first


# After a big load the planner still believes the old row counts (an emptied table: "owner_id = 3
# is rare") and picks plans that turn the next batches' lookups into scans; autovacuum analyses too
# late for a running import. Measured: a re-import of 100,000 rows spent 55 s in such lookups.
# So the tables are analysed whenever an import has doubled them since the last time, and at the
# end if it grew them by a tenth since, so the next import starts from true row counts. Only the
# columns the import's own lookups use are analysed (about a third of a full ANALYZE, measured);
# such an ANALYZE updates the row counts but leaves the table's change counter alone, so autovacuum
# still analyses every column soon after. An import that creates nothing (a re-import) analyses
# nothing: the statistics still hold.
ANALYZE_MIN_ROWS = 1000


def _analyze_as_needed(spec: ImportSpec, state: dict[str, Any], created: int, *, final: bool = False) -> dict[str, Any]:
    """``state`` (the job checkpoint) with the new row counts, after ANALYZE if one is due. The
    checkpoint commits with the batch; the ANALYZE runs after it, outside the batch's transaction."""
    from django.db import connection

    if connection.vendor != "postgresql" or not spec.analyze:
        return state
    state = {**state, "fresh_rows": state.get("fresh_rows", 0) + created}
    if "analyzed_rows" not in state:  # the first batch: what the statistics say now
        with connection.cursor() as cur:
            cur.execute("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass", [spec.analyze[0]])
            state["analyzed_rows"] = int(cur.fetchone()[0])
    if state["fresh_rows"] >= max(ANALYZE_MIN_ROWS, state["analyzed_rows"] // 10 if final else state["analyzed_rows"]):
        analyze_tables(spec.analyze, columns=spec.analyze_columns)
        state["analyzed_rows"] += state["fresh_rows"]
        state["fresh_rows"] = 0
    return state


def analyze_tables(tables: Iterable[str], columns: dict[str, tuple[str, ...]] | None = None) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for table in tables:
            cols = (columns or {}).get(table)
            listed = " (" + ", ".join(f'"{c}"' for c in cols) + ")" if cols else ""
            cur.execute(f'ANALYZE "{table}"{listed}')


FAILED_REASON_HEADER = gettext_lazy("Reason")


def write_failed_rows(*, job: Job, table: Table) -> str:
    """The original rows that failed plus a reason column, as CSV (UTF-8 with BOM, formula cells
    neutralised) in private storage; returns the server-generated name."""
    from guanxi.dataio.exporting import neutralise

    reasons: dict[int, list[str]] = {}
    for row, column, message in ImportRowError.objects.filter(job=job).values_list("row", "column", "message").iterator():
        reasons.setdefault(row, []).append(f"{column}: {message}" if column else message)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in [_("Row"), *table.headers, str(FAILED_REASON_HEADER)]])
    for number, cells in table.rows():
        if number in reasons:
            writer.writerow([number, *(neutralise(c) for c in cells), neutralise("; ".join(reasons[number]))])
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return default_storage.save(f"{RESULT_DIR}/{uuid.uuid4().hex}.csv", ContentFile(data))


def failed_rows_file(*, actor: Any, job_id: Any) -> tuple[str, str]:
    """(stored name, download file name) of an import's failed rows; only the job's owner may have it."""
    job = Job.objects.filter(pk=job_id, owner_id=getattr(actor, "pk", None), kind="dataio.import").first() if _is_uuid(job_id) else None
    name = (job.result or {}).get("failed_file", "") if job else ""
    if not job or not _safe_result_name(name) or not default_storage.exists(name):
        raise NotFound()
    upload = ImportUpload.objects.filter(job=job).first()
    base = (upload.original_name.rsplit(".", 1)[0] if upload else "import") or "import"
    return name, _("failed rows") + f" - {base}.csv"


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _safe_result_name(name: str) -> bool:
    """Only names this module generated: no path tricks even if a result row were tampered with."""
    prefix, _sep, rest = str(name).rpartition("/")
    stem = rest.split(".", 1)[0]
    return prefix == RESULT_DIR and len(stem) == 32 and all(c in "0123456789abcdef" for c in stem) and rest.endswith((".csv", ".xlsx"))
