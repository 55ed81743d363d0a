"""Export any list: CSV (UTF-8 with BOM for Excel, or GB18030) and XLSX, streamed for small lists
or written by a background job with progress for large ones.

The rows are always the ones the requester can see *when the export runs*: an app registers an
``ExportSpec`` whose ``queryset(actor, params)`` starts from ``visible_to`` and applies the list's
allow-listed filters; a job re-evaluates it as its owner at run time. Results are written to private
storage under server-generated names and downloadable only by the job's owner.

Spreadsheet formula injection (SECURITY.md): a text cell that begins with = + - @ tab or CR, or
their full-width forms ＝ ＋ － ＠, gets a leading apostrophe, in CSV and XLSX alike (XLSX also
writes every text as a string cell, never a formula). The one exception is a phone number in
E.164 form (+8613800138000): digits after a plus sign cannot run anything, and prefixing them would
spoil every phone column; it is written as it is (a string cell in XLSX, so Excel keeps the +).
Numbers and dates are written as numbers and dates, not neutralised text.
"""

from __future__ import annotations

import csv
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFound, ValidationFailed
from guanxi.dataio.jobs import JobContext, job_handler, job_start
from guanxi.dataio.models import Job

EXPORT_INLINE_MAX = 5_000
EXPORT_MAX_ROWS = 2_000_000
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
RESULT_DIR = "dataio/results"
CHUNK = 5_000

_DANGEROUS_START = frozenset("=+-@\t\r＝＋－＠")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
FORMATS = ("csv", "xlsx")
ENCODINGS = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030", "gbk": "gb18030"}


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe; leave numbers,
    dates and E.164 phone numbers alone."""
    if not isinstance(value, str) or not value:
        return value
    first = value.lstrip(" ")[:1]
    if first in _DANGEROUS_START or value[0] in _DANGEROUS_START:
        if _E164.fullmatch(value):
            return value
        return "'" + value
    return value


# --- specs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportColumn:
    name: str
    label: Any
    path: str  # a values_list path (may cross allow-listed relations: owner__username)
    format: Callable[[Any], Any] | None = None


@dataclass
class ExportSpec:
    object_type: str
    label: Any
    columns: Callable[[], list[ExportColumn]]
    queryset: Callable[[Any, dict[str, Any]], QuerySet[Any]]  # MUST start from visible_to(actor, ...)
    filename: Callable[[], str]

    def pick(self, names: Iterable[str] | None) -> list[ExportColumn]:
        available = self.columns()
        if not names:
            return available
        by_name = {c.name: c for c in available}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ValidationFailed({"columns": [_("Unknown column: %(name)s") % {"name": unknown[0][:50]}]})
        return [by_name[n] for n in names]


_SPECS: dict[str, ExportSpec] = {}


def register_export(spec: ExportSpec) -> ExportSpec:
    _SPECS[spec.object_type] = spec
    return spec


def get_export_spec(object_type: str) -> ExportSpec:
    try:
        return _SPECS[object_type]
    except KeyError as exc:
        raise NotFound() from exc


# --- rows -----------------------------------------------------------------------------------------


def export_rows(qs: QuerySet[Any], columns: list[ExportColumn], *, chunk_size: int = CHUNK) -> Iterator[list[Any]]:
    """Plain cell values for each row of ``qs`` (a visible_to-filtered queryset), read with
    values_list in chunks (a server-side cursor on PostgreSQL): no model instances are built."""
    paths: list[str] = []
    for col in columns:
        if col.path not in paths:
            paths.append(col.path)
    index = [paths.index(c.path) for c in columns]
    formats = [c.format for c in columns]
    plan = list(zip(index, formats, strict=True))
    for values in qs.values_list(*paths).iterator(chunk_size=chunk_size):
        yield [fmt(values[i]) if fmt else values[i] for i, fmt in plan]


_CHECK_FIRST = _DANGEROUS_START | {" "}


def _cell_converter() -> Callable[[Any], Any]:
    """A value → CSV cell function for one export (time zone looked up once, not per cell)."""
    tz = timezone.get_current_timezone()

    def cell(value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return neutralise(value) if value and value[0] in _CHECK_FIRST else value
        if value is None:
            return ""
        if kind is datetime:
            return (value.astimezone(tz) if value.tzinfo else value).strftime("%Y-%m-%d %H:%M:%S")
        if kind is date:
            return value.isoformat()
        if kind is list or kind is tuple:
            return neutralise(", ".join(str(v) for v in value))
        return value

    return cell


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(headers: list[str], rows: Iterable[list[Any]], *, encoding: str = "utf-8-sig",
               on_rows: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """CSV bytes in chunks of a few hundred rows; UTF-8 output starts with a BOM so Excel reads the
    Chinese correctly, GB18030 is for older Excel set to a Chinese locale."""
    codec = ENCODINGS.get(encoding, "utf-8-sig")
    out_codec = "utf-8" if codec == "utf-8-sig" else codec
    writer = csv.writer(_Echo())
    cell = _cell_converter()
    head = ("\ufeff" if codec == "utf-8-sig" else "") + writer.writerow([neutralise(str(h)) for h in headers])
    yield head.encode(out_codec, errors="replace")
    count = 0
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow([cell(v) for v in row]))
        if len(buffer) >= 500:
            count += len(buffer)
            yield "".join(buffer).encode(out_codec, errors="replace")
            buffer = []
            if on_rows:
                on_rows(count)
    count += len(buffer)
    if buffer:
        yield "".join(buffer).encode(out_codec, errors="replace")
    if on_rows:
        on_rows(count)


def _xlsx_value(value: Any, tz: Any) -> Any:
    kind = type(value)
    if kind is str:
        return neutralise(value) if value and value[0] in _CHECK_FIRST else value
    if value is None or kind in (bool, int, float, Decimal, date):
        return value
    if kind is datetime:
        return value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
    if kind is list or kind is tuple:
        return neutralise(", ".join(str(v) for v in value))
    return neutralise(str(value))


def write_xlsx(fh: Any, headers: list[str], rows: Iterable[list[Any]], *, on_rows: Callable[[int], None] | None = None) -> int:
    """One sheet, streamed (constant memory); text is always a string cell, never a formula."""
    from guanxi.dataio.xlsx import write_sheet

    tz = timezone.get_current_timezone()

    def too_many() -> Exception:
        return ValidationFailed({"format": [_("An XLSX sheet holds at most %(n)d rows; export as CSV.") % {"n": XLSX_MAX_ROWS}]})

    return write_sheet(fh, [neutralise(str(h)) for h in headers], ([_xlsx_value(v, tz) for v in row] for row in rows),
                       max_rows=XLSX_MAX_ROWS, on_rows=on_rows, every=CHUNK, too_many=too_many)


def content_disposition(filename: str) -> str:
    """RFC 6266 with an RFC 5987 ``filename*`` for non-ASCII names (客户.csv), plus an ASCII
    fallback for old clients; quotes, backslashes and control characters never reach the header."""
    safe = "".join(ch for ch in filename if ch.isprintable() and ch not in '"\\/\r\n;') or "export"
    ascii_name = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in safe)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe, safe='')}"


def _file_name(spec: ExportSpec, file_format: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{spec.filename()}-{stamp}.{file_format}"


def _check(file_format: str, encoding: str) -> None:
    if file_format not in FORMATS:
        raise ValidationFailed({"format": [_("Choose csv or xlsx.")]})
    if encoding not in ENCODINGS:
        raise ValidationFailed({"encoding": [_("Choose utf-8 or gb18030.")]})


# --- entry points ---------------------------------------------------------------------------------


def export_response(*, actor: Any, object_type: str, params: dict[str, Any], file_format: str = "csv",
                    encoding: str = "utf-8", columns: list[str] | None = None) -> HttpResponseBase:
    """A small export straight away (CSV streamed, XLSX built in a temporary file)."""
    _check(file_format, encoding)
    spec = get_export_spec(object_type)
    cols = spec.pick(columns)
    qs = spec.queryset(actor, params)
    headers = [str(c.label) for c in cols]
    name = _file_name(spec, file_format)
    if file_format == "csv":
        charset = "utf-8" if ENCODINGS[encoding] == "utf-8-sig" else "gb18030"
        response: HttpResponseBase = StreamingHttpResponse(
            csv_chunks(headers, export_rows(qs, cols), encoding=encoding), content_type=f"text/csv; charset={charset}"
        )
    else:
        tmp = tempfile.TemporaryFile()
        write_xlsx(tmp, headers, export_rows(qs, cols))
        tmp.seek(0)
        response = FileResponse(tmp, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def is_small(*, actor: Any, object_type: str, params: dict[str, Any]) -> bool:
    qs = get_export_spec(object_type).queryset(actor, params)
    return qs.order_by()[: EXPORT_INLINE_MAX + 1].count() <= EXPORT_INLINE_MAX


def export_start(*, actor: Any, object_type: str, params: dict[str, Any], file_format: str = "csv",
                 encoding: str = "utf-8", columns: list[str] | None = None) -> Job:
    """Queue a large export; its rows are decided when it runs, as the actor sees them then."""
    _check(file_format, encoding)
    spec = get_export_spec(object_type)
    spec.pick(columns)
    spec.queryset(actor, params)  # refuse unknown filters now (400), not in the worker
    clean = {str(k): ([str(x) for x in v] if isinstance(v, (list, tuple)) else str(v)) for k, v in params.items()}
    return job_start(actor=actor, kind="dataio.export", params={
        "object_type": object_type, "params": clean, "file_format": file_format, "encoding": encoding, "columns": columns or [],
    })


@job_handler("dataio.export")
def run_export(ctx: JobContext, *, object_type: str, params: dict[str, Any], file_format: str, encoding: str,
               columns: list[str]) -> dict[str, Any]:
    actor = ctx.job.owner
    if actor is None:
        raise NotFound()
    spec = get_export_spec(object_type)
    cols = spec.pick(columns)
    qs = spec.queryset(actor, params)
    total = max(1, qs.order_by().count())
    headers = [str(c.label) for c in cols]

    def report(done: int) -> None:
        ctx.progress(min(99, 100 * done / total), _("%(done)d of about %(total)d rows") % {"done": done, "total": total})

    with tempfile.TemporaryFile() as tmp:
        rows = 0
        if file_format == "csv":
            counter = {"n": 0}

            def track(n: int) -> None:
                counter["n"] = n
                if n % CHUNK < 500:
                    report(n)

            for chunk in csv_chunks(headers, export_rows(qs, cols), encoding=encoding, on_rows=track):
                tmp.write(chunk)
            rows = counter["n"]
        else:
            rows = write_xlsx(tmp, headers, export_rows(qs, cols), on_rows=report)
        tmp.seek(0)
        stored = default_storage.save(f"{RESULT_DIR}/{uuid.uuid4().hex}.{file_format}", File(tmp))
    name = _file_name(spec, file_format)
    return {"file": stored, "filename": name, "rows": rows, "format": file_format,
            "message": _("%(rows)d rows exported.") % {"rows": rows}}


def export_file(*, actor: Any, job_id: Any) -> tuple[str, str]:
    """(stored name, download name) of a finished export; only its owner may download it."""
    from guanxi.dataio.importing import _is_uuid, _safe_result_name

    job = Job.objects.filter(pk=job_id, owner_id=getattr(actor, "pk", None), kind="dataio.export").first() if _is_uuid(job_id) else None
    result = (job.result or {}) if job else {}
    name = result.get("file", "")
    if not job or not _safe_result_name(name) or not default_storage.exists(name):
        raise NotFound()
    return name, str(result.get("filename") or name.rsplit("/", 1)[-1])


def download_response(stored: str, filename: str) -> FileResponse:
    content_type = "text/csv" if stored.endswith(".csv") else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = FileResponse(default_storage.open(stored, "rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
