"""Bulk writes for imports: the PERF-NOTES recipe, with a portable fallback.

PostgreSQL: rows are COPY'd straight into their table, inside a savepoint. Ids are allocated
from the table's sequence beforehand, so the caller can link child rows (contacts, audit entries)
before anything is written. Should a row meet a unique value that a concurrent writer committed
after the caller's checks, the COPY fails as a whole, the savepoint is rolled back, and the rows go
through a temporary staging table and ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING id``,
whose returned ids say exactly which rows went in (the others are reported, not an error that
aborts the batch). Rows that cannot clash (audit entries, links of new records) are COPY'd with
no savepoint (``insert_values``). Updates go through a staging table and one ``UPDATE … FROM``.
Other databases (SQLite) use Django's bulk_create / bulk_update; SQLite serialises writers, so the
caller's checks inside the same transaction cannot be raced.
"""

from __future__ import annotations

import json
import operator
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import connection, connections, models, transaction

M = TypeVar("M", bound=models.Model)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# Memory for this transaction's sorts and GIN pending-list merges. With the default 4 MB a batch
# merges the search indexes' pending lists in many small steps; measured, the same rows cost PostgreSQL
# about a third less with 64 MB. SET LOCAL: it ends with the batch's transaction.
BULK_WORK_MEM = "64MB"


def tune_transaction_for_bulk() -> None:
    """Call inside a bulk-writing transaction (PostgreSQL only; elsewhere nothing to tune).

    ``synchronous_commit = off`` lets the batch's COMMIT return before its WAL reaches the disk
    (about 40 µs per imported row of waiting). It cannot corrupt anything or break atomicity: a
    server crash can only lose the last few committed batches *together with* their job
    checkpoint, which is in the same transaction, so the job resumes before them — the same
    recovery as a worker killed mid-batch."""
    if is_postgres():
        with connection.cursor() as cur:
            cur.execute(f"SET LOCAL work_mem = '{BULK_WORK_MEM}'; SET LOCAL synchronous_commit = off")


_SEQUENCES: dict[tuple[str, str], str] = {}


def allocate_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` fresh primary keys from the table's sequence (PostgreSQL only)."""
    if n <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cur:
        sequence = _SEQUENCES.get((connection.settings_dict["NAME"], table))
        if sequence is None:  # looked up once, not for every id
            cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            sequence = _SEQUENCES[(connection.settings_dict["NAME"], table)] = cur.fetchone()[0]
        cur.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, n])
        return [row[0] for row in cur.fetchall()]


_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey,
          models.DateTimeField, models.DateField, models.DecimalField, models.UUIDField)


def json_text(value: Any, encoder: type[json.JSONEncoder] | None = None) -> str | None:
    """A JSON column's value as COPY text (empty lists and dicts, the usual case, without encoding)."""
    if value is None:
        return None
    if not value and type(value) in (list, dict):
        return "[]" if type(value) is list else "{}"
    return json.dumps(value, cls=encoder, ensure_ascii=False)


def _converter(f: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """A fast per-field value conversion for COPY (the Django path costs microseconds per value);
    None when psycopg takes the Python value as it is."""
    if isinstance(f, models.JSONField):
        encoder = f.encoder
        return lambda v: json_text(v, encoder)
    if isinstance(f, _AS_IS):
        return None
    conn = connections[connection.alias]  # the connection itself, not the per-attribute proxy
    return lambda v: f.get_db_prep_save(v, conn)


def _rows(objs: Sequence[models.Model], fields: Sequence[models.Field[Any, Any]]) -> Iterator[Sequence[Any]]:
    """Each object's values for ``fields``, converted for COPY."""
    names = [f.attname for f in fields]
    get = operator.itemgetter(*names) if len(names) > 1 else (lambda d: (d[names[0]],))
    convert = [(i, conv) for i, f in enumerate(fields) if (conv := _converter(f)) is not None]
    for obj in objs:
        row = get(obj.__dict__)
        if convert:
            row = list(row)
            for i, conv in convert:
                row[i] = conv(row[i])
        yield row


def _column_names(fields: Sequence[models.Field[Any, Any]]) -> list[str]:
    return [str(f.column) for f in fields]


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    cols = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cur, cur.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:  # the psycopg cursor
        write = copy.write_row
        for row in rows:
            write(row)


def _copy_to_stage(model: type[models.Model], objs: Sequence[models.Model], fields: list[models.Field[Any, Any]], stage: str) -> None:
    table = model._meta.db_table
    cols = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cur:
        # Dropped at commit; recreated per call because the column list may differ within one transaction.
        cur.execute(f'DROP TABLE IF EXISTS "{stage}"')
        cur.execute(f'CREATE TEMP TABLE "{stage}" ON COMMIT DROP AS SELECT {cols} FROM "{table}" WITH NO DATA')  # noqa: S608 - model metadata
    _copy(stage, _column_names(fields), _rows(objs, fields))


def _copy_direct(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bool:
    """COPY straight into the table, in a savepoint: False (nothing written) if a row met a
    unique value that is already there (a concurrent writer's), so the caller can take the slower
    path that skips such rows instead of failing the batch."""
    from psycopg.errors import UniqueViolation

    try:
        with transaction.atomic(savepoint=True):
            _copy(model._meta.db_table, columns, rows)
    except UniqueViolation:
        return False
    return True


class PreparedInsert(Generic[M]):
    """New ``objs`` with their ids allocated and their COPY rows built ahead of the write
    (PostgreSQL): an import builds them while planning, so the thread that writes only sends them."""

    def __init__(self, model: type[M], objs: Sequence[M]) -> None:
        pk = model._meta.pk
        assert pk is not None
        attname = pk.attname
        missing = [o for o in objs if o.__dict__.get(attname) is None]
        for obj, new_id in zip(missing, allocate_ids(model, len(missing)), strict=True):
            obj.__dict__[attname] = new_id
        self.model, self.objs = model, list(objs)
        self.fields = list(model._meta.concrete_fields)
        self.rows = list(_rows(self.objs, self.fields))


def insert_rows(model: type[M], objs: Sequence[M], *, prepared: PreparedInsert[M] | None = None) -> list[M]:
    """Insert ``objs`` (or the ``prepared`` ones); returns those actually inserted (all of them,
    except rows that met a unique key written concurrently, on PostgreSQL). Primary keys are set
    on the returned objects.

    PostgreSQL: COPY straight into the table (the staging table's own writing and reading cost
    about a tenth of the server's time for an account row); only if a unique value turns out to be
    taken does the batch go through the staging table and ``INSERT … ON CONFLICT DO NOTHING``, which
    leaves such rows out."""
    if prepared is not None:
        objs = prepared.objs
    if not objs:
        return []
    if not is_postgres():
        return model._base_manager.bulk_create(objs, batch_size=500)
    prepared = prepared or PreparedInsert(model, objs)
    pk = model._meta.pk
    assert pk is not None
    alias = connection.alias
    for obj in objs:
        state = obj._state
        state.adding = False
        state.db = alias
    if _copy_direct(model, _column_names(prepared.fields), prepared.rows):
        return list(objs)
    stage = f"gx_stage_{model._meta.db_table}"[:63]
    _copy_to_stage(model, objs, prepared.fields, stage)
    cols = ", ".join(f'"{f.column}"' for f in prepared.fields)
    with connection.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{model._meta.db_table}" ({cols}) SELECT {cols} FROM "{stage}" ON CONFLICT DO NOTHING RETURNING "{pk.column}"'  # noqa: S608
        )
        inserted = {row[0] for row in cur.fetchall()}
    return [o for o in objs if o.pk in inserted]


def insert_values(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert plain value rows where no unique value can clash (audit entries, the links of new
    records). ``columns`` are attnames; the primary key comes from its default; JSON values may be
    given as JSON text. PostgreSQL: one COPY straight into the table; elsewhere bulk_create."""
    if not rows:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[c] for c in columns]
    if is_postgres():
        _copy(model._meta.db_table, _column_names(fields), rows)
        return
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    objs = []
    for row in rows:
        values = list(row)
        for i in json_at:
            if isinstance(values[i], str):
                values[i] = json.loads(values[i])
        objs.append(model(**dict(zip(columns, values, strict=True))))
    model._base_manager.bulk_create(objs, batch_size=500)


def update_rows(model: type[M], objs: Sequence[M], field_names: Sequence[str]) -> int:
    """Write ``field_names`` of ``objs`` (matched by primary key) in one statement per batch."""
    if not objs or not field_names:
        return 0
    if not is_postgres():
        return model._base_manager.bulk_update(objs, list(field_names), batch_size=200)
    pk = model._meta.pk
    assert pk is not None
    fields = [pk, *(model._meta.get_field(n) for n in field_names)]
    stage = f"gx_upd_{model._meta.db_table}"[:63]
    _copy_to_stage(model, objs, fields, stage)  # type: ignore[arg-type]
    sets = ", ".join(f'"{f.column}" = s."{f.column}"' for f in fields[1:])  # type: ignore[union-attr]
    with connection.cursor() as cur:
        cur.execute(f'UPDATE "{model._meta.db_table}" AS t SET {sets} FROM "{stage}" AS s WHERE t."{pk.column}" = s."{pk.column}"')  # noqa: S608
        count = cur.rowcount
    return count


# --- Loading large amounts of generated data (demo and benchmark seeding) --------------------------


def suspend_indexes(tables: Sequence[str]) -> list[str]:
    """Drop the secondary indexes and foreign keys of ``tables`` (PostgreSQL) and return the
    statements that recreate them. Primary keys and unique constraints stay, so ids and unique
    values are still checked while loading."""
    restore: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses tables with pending deferred checks
        for table in tables:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
                "AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                restore.append(definition)
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                           [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                restore.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    return restore


def restore_indexes(statements: Sequence[str], tables: Sequence[str], *, parallel: int = 2) -> None:
    """Run ``suspend_indexes``' statements, ``parallel`` at a time on separate connections (index
    builds are single-threaded for GIN), then analyse the tables."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run(statement: str) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                cursor.execute(statement)
        finally:
            connections.close_all()  # this thread's connection

    indexes = [s for s in statements if s.startswith("CREATE")]
    constraints = [s for s in statements if not s.startswith("CREATE")]
    if parallel <= 1 or connection.in_atomic_block:
        # Inside a transaction (which holds the tables' locks and the uncommitted rows) other
        # connections would wait for it forever: build everything here, one after another.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for statement in [*indexes, *constraints]:
                cursor.execute(statement)
            for table in tables:
                cursor.execute(f'ANALYZE "{table}"')
        return
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        list(pool.map(run, indexes))  # foreign keys validate faster with the indexes in place
        list(pool.map(run, constraints))
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


# --- batched row writer for generated data (seed_demo, benchmarks) ---------------------------------

def sqlite_value(value: Any) -> Any:
    """A value as Django stores it on SQLite: aware datetimes as naive UTC text, UUIDs as hex,
    dates as ISO text, Decimals as text (so string comparisons and ordering behave as the ORM's)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if value.tzinfo else value.isoformat(" ")
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class RowWriter:
    """Batches rows into one table: COPY on PostgreSQL, executemany on SQLite. Only for trusted,
    generated rows (demo data, benchmarks): it bypasses the services, their checks and the audit."""

    def __init__(self, table: str, columns: Sequence[str] | str, batch: int = 20_000) -> None:
        self.table, self.batch = table, batch
        self.columns = columns.split() if isinstance(columns, str) else list(columns)
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        cols = ", ".join(f'"{c}"' for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as copy:  # type: ignore[attr-defined]
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f'INSERT INTO "{self.table}" ({cols}) VALUES ({marks})',  # noqa: S608 - constant names
                                   [tuple(sqlite_value(v) for v in row) for row in self.rows])
        self.count += len(self.rows)
        self.rows = []
