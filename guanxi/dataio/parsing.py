"""Read uploaded bytes as a table of text rows: CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM,
GB18030/GBK, any of the delimiters , ; tab |), XLSX, and vCard for contacts.

Every limit is checked before the work it protects and refused with a message that says what to do
(FileRefused, HTTP 422): file size, rows, columns, and for XLSX the zip entry count, the total
uncompressed size and the compression ratio (zip bombs). Workbooks are read by openpyxl in
read-only, values-only mode (formulas are never evaluated; their cached values are read) with
defusedxml installed, and XML parts that declare a DTD or entities are refused outright (XXE,
"billion laughs").

A ``Table`` re-reads its bytes on every ``rows()`` call instead of holding every row in memory, so a
background import can skip to its checkpoint and a failed-rows file can be written by a second pass.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from guanxi.dataio.errors import FileRefused

MAX_FILE_BYTES = getattr(settings, "REQUEST_MAX_BYTES", 10 * 1024 * 1024)
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 10_000
DELIMITERS = (",", ";", "\t", "|")
# XLSX (a zip of XML parts): a real workbook of 10 MB has a few dozen entries and inflates ~5-20×.
XLSX_MAX_ENTRIES = 1000
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
XLSX_MAX_RATIO = 200
_XML_DANGER = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"

Row = tuple[int, list[str]]  # (row number as the user sees it in the file, cells)


@dataclass
class Table:
    file_format: str  # csv, xlsx, vcard
    headers: list[str]
    row_count: int
    encoding: str = ""
    delimiter: str = ""
    _rows: Callable[[], Iterator[Row]] = field(repr=False, default=lambda: iter(()))

    def rows(self) -> Iterator[Row]:
        """Data rows (header excluded, blank rows skipped), each exactly as wide as the headers."""
        width = len(self.headers)
        for number, cells in self._rows():
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield number, cells[:width]


def open_table(data: bytes, *, filename: str = "", encoding: str = "", delimiter: str = "", row_count: int | None = None) -> Table:
    """Detect the format and read the header row; counts the rows (checking the limits) up front.
    ``encoding``/``delimiter`` replay an earlier detection (a resumed job reads the file the same way);
    ``row_count``, the count taken then, spares a stored upload that second pass over every row."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(_("The file is larger than %(mb)d MB. Split it into smaller files.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)},
                          code="import.too_large")
    if not data.strip():
        raise FileRefused(_("The file is empty."), code="import.empty")
    name = filename.lower()
    if data.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise FileRefused(_("Old Excel files (.xls) are not supported. Save the sheet as .xlsx or CSV and upload it again."),
                          code="import.unsupported")
    if data.startswith(_ZIP_MAGIC):
        return _open_xlsx(data, row_count)
    if name.endswith((".xlsx", ".xlsm")):
        raise FileRefused(_("This is not a valid .xlsx workbook."), code="import.bad_xlsx")
    text, used_encoding = decode_text(data, encoding)
    if "\x00" in text:
        raise FileRefused(_("This does not look like a text (CSV) file."), code="import.unsupported")
    if name.endswith((".vcf", ".vcard")) or text.lstrip()[:11].upper() == "BEGIN:VCARD":
        return _open_vcard(text, used_encoding)  # read whole: a vCard file holds no more than a phone book
    return _open_csv(text, used_encoding, delimiter, row_count)


# --- text and CSV -------------------------------------------------------------------------------


def decode_text(data: bytes, encoding: str = "") -> tuple[str, str]:
    """UTF-8 (with or without BOM) when the bytes are valid UTF-8, else GB18030 (a superset of GBK
    and GB2312, what Chinese Excel saves as "CSV"). Both are tried strictly, so a GBK file is never
    half-read as UTF-8 with replacement characters."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise FileRefused(_("The file could not be read as %(enc)s.") % {"enc": encoding}, code="import.encoding") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise FileRefused(
            _("The file's text encoding could not be recognised (tried UTF-8 and GB18030/GBK). Save it as “CSV UTF-8” and upload it again."),
            code="import.encoding",
        ) from exc


def _sample_lines(text: str, limit: int = 64 * 1024) -> str:
    sample = text[:limit]
    if len(text) > limit and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # never judge by a half line
    return sample


def _consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """How well ``delimiter`` splits the sample: share of rows as wide as the header, header width."""
    try:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(c.strip() for c in r)][:50]
    except csv.Error:
        return 0.0, 0
    if not rows or len(rows[0]) < 2:
        return 0.0, len(rows[0]) if rows else 0
    width = len(rows[0])
    return sum(1 for r in rows if len(r) == width) / len(rows), width


def sniff_delimiter(text: str) -> str:
    """csv.Sniffer first; its guess is kept only if it splits the rows consistently, else the
    candidate (, ; tab |) that does best wins; a one-column file gets ','."""
    sample = _sample_lines(text)
    try:
        guess = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        guess = ""
    if guess in DELIMITERS:
        share, width = _consistency(sample, guess)
        if share >= 0.9 and width >= 2:
            return guess
    scored = [(_consistency(sample, d), -i, d) for i, d in enumerate(DELIMITERS)]
    (share, width), _order, best = max(scored)
    return best if width >= 2 and share > 0 else ","


def _clean_cell(value: str) -> str:
    if len(value) > MAX_CELL_CHARS:
        raise FileRefused(_("A cell has more than %(n)d characters.") % {"n": MAX_CELL_CHARS}, code="import.cell_too_long")
    return value.strip()


def _headers_from(cells: list[str]) -> list[str]:
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    if len(cells) > MAX_COLUMNS:
        raise FileRefused(_("The file has more than %(n)d columns.") % {"n": MAX_COLUMNS}, code="import.too_many_columns")
    headers = []
    for i, cell in enumerate(cells, start=1):
        header = " ".join(_clean_cell(cell).split())
        headers.append(header or _("Column %(n)d") % {"n": i})
    return headers


def _open_csv(text: str, encoding: str, delimiter: str, row_count: int | None = None) -> Table:
    delimiter = delimiter or sniff_delimiter(text)

    def records() -> Iterator[Row]:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            for cells in reader:
                del cells[MAX_COLUMNS + 1:]
                cleaned = [c.strip() for c in cells]
                if any(cleaned):
                    if max(map(len, cells)) > MAX_CELL_CHARS:
                        _clean_cell(max(cells, key=len))  # refuses it
                    yield reader.line_num, cleaned
        except csv.Error as exc:
            raise FileRefused(_("The CSV file is malformed near line %(line)d: %(error)s") % {"line": reader.line_num, "error": exc},
                              code="import.bad_csv") from exc

    return _finish(records, row_count, file_format="csv", encoding=encoding, delimiter=delimiter)


def _finish(records: Callable[[], Iterator[Row]], row_count: int | None = None, **meta: Any) -> Table:
    """Take the first non-blank row as headers and count the rest, enforcing MAX_ROWS (unless the
    count is known from an earlier reading of the same bytes)."""
    it = records()
    first = next(it, None)
    if first is None:
        raise FileRefused(_("The file has no rows."), code="import.empty")
    _header_row, header_cells = first
    headers = _headers_from(header_cells)
    count = 0
    for _row in it if row_count is None else ():
        count += 1
        if count > MAX_ROWS:
            raise FileRefused(_("The file has more than %(n)d rows. Split it into smaller files.") % {"n": MAX_ROWS},
                              code="import.too_many_rows")

    def data_rows() -> Iterator[Row]:
        rows = records()
        next(rows, None)
        yield from rows

    return Table(headers=headers, row_count=count if row_count is None else row_count, _rows=data_rows, **meta)


# --- XLSX -----------------------------------------------------------------------------------------


def _hostile(why: str) -> FileRefused:
    return FileRefused(
        _("This workbook was refused because it looks hostile (%(why)s). Open it in Excel, save a copy as .xlsx or CSV and upload that.")
        % {"why": why},
        code="import.hostile_xlsx",
    )


def check_xlsx_container(data: bytes) -> None:
    """Refuse zip bombs and XML with DTDs before openpyxl reads a byte of it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileRefused(_("This is not a valid .xlsx workbook."), code="import.bad_xlsx") from exc
    if len(infos) > XLSX_MAX_ENTRIES:
        raise _hostile(_("too many parts"))
    total = sum(i.file_size for i in infos)
    if total > XLSX_MAX_UNCOMPRESSED or any(
        i.file_size > 1024 * 1024 and i.file_size > XLSX_MAX_RATIO * max(1, i.compress_size) for i in infos
    ):
        raise _hostile(_("it inflates to far more data than its size"))
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise FileRefused(_("This is not a valid .xlsx workbook."), code="import.bad_xlsx")
    for info in infos:
        if info.filename.endswith((".xml", ".rels", ".vml")):
            with archive.open(info) as part:
                head = part.read(64 * 1024)
            if _XML_DANGER.search(head):
                raise _hostile(_("an XML part declares a DTD or entities"))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Phone numbers and codes typed into Excel become floats: 13800138000.0 → "13800138000".
        return str(int(value)) if value.is_integer() and abs(value) < 1e17 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _xlsx_error(exc: BaseException) -> FileRefused:
    """defusedxml's refusal may come wrapped in openpyxl's own errors: look down the chain."""
    from defusedxml import DefusedXmlException

    seen: BaseException | None = exc
    for _depth in range(10):
        if seen is None:
            break
        if isinstance(seen, DefusedXmlException):
            return FileRefused(_("This workbook was refused because it contains XML entity declarations."), code="import.hostile_xlsx")
        seen = seen.__cause__ or seen.__context__
    return FileRefused(_("This .xlsx workbook could not be read. Open it in Excel, save it again and upload the copy."),
                       code="import.bad_xlsx")


def _open_xlsx(data: bytes, row_count: int | None = None) -> Table:
    check_xlsx_container(data)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.active or workbook.worksheets[0]
    except Exception as exc:
        raise _xlsx_error(exc) from exc

    def records() -> Iterator[Row]:
        try:
            # Excel's own limit; rows after the sheet's real last row are never generated.
            for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1):
                if number > 1_048_576:
                    break
                cells = [_cell_text(v) for v in values]
                if any(c.strip() for c in cells):
                    yield number, [_clean_cell(c) for c in cells]
        except FileRefused:
            raise
        except Exception as exc:
            raise _xlsx_error(exc) from exc

    return _finish(records, row_count, file_format="xlsx")


# --- vCard ----------------------------------------------------------------------------------------

VCARD_HEADERS = ["Name", "Organization", "Department", "Title", "Mobile", "Phone", "Email", "Birthday", "WeChat", "Note", "UID"]


def _vcard_value(card: Any, name: str) -> Any:
    item = card.contents.get(name)
    return item[0].value if item else ""


def _vcard_row(card: Any) -> list[str]:
    name = _vcard_value(card, "fn")
    if not name and "n" in card.contents:
        n = card.n.value
        name = f"{n.family}{n.given}" if any("\u4e00" <= ch <= "\u9fff" for ch in f"{n.family}{n.given}") else f"{n.given} {n.family}"
    org = _vcard_value(card, "org") or []
    if isinstance(org, str):
        org = [org]
    mobiles: list[str] = []
    phones: list[str] = []
    for tel in card.contents.get("tel", []):
        types = {t.upper() for t in tel.params.get("TYPE", [])}
        (mobiles if "CELL" in types else phones).append(str(tel.value))
    if not mobiles and phones:
        mobiles.append(phones.pop(0))
    emails = [str(e.value) for e in card.contents.get("email", [])]
    birthday = str(_vcard_value(card, "bday") or "")
    if re.fullmatch(r"\d{8}", birthday):
        birthday = f"{birthday[:4]}-{birthday[4:6]}-{birthday[6:]}"
    return [
        str(name or "").strip(),
        str(org[0] if org else ""),
        str(org[1] if len(org) > 1 else ""),
        str(_vcard_value(card, "title") or ""),
        mobiles[0] if mobiles else "",
        ", ".join(mobiles[1:] + phones),
        emails[0] if emails else "",
        birthday[:10],
        str(_vcard_value(card, "x-wechat") or ""),
        str(_vcard_value(card, "note") or ""),
        str(_vcard_value(card, "uid") or ""),
    ]


def _open_vcard(text: str, encoding: str) -> Table:
    import vobject

    rows: list[Row] = []
    try:
        for number, card in enumerate(vobject.readComponents(text, ignoreUnreadable=True), start=2):
            if card.name != "VCARD":
                continue
            if len(rows) >= MAX_ROWS:
                raise FileRefused(_("The file has more than %(n)d contacts.") % {"n": MAX_ROWS}, code="import.too_many_rows")
            rows.append((number, [_clean_cell(c) for c in _vcard_row(card)]))
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(_("The vCard file could not be read: %(error)s") % {"error": str(exc)[:200]}, code="import.bad_vcard") from exc
    if not rows:
        raise FileRefused(_("The file has no contacts."), code="import.empty")
    return Table(file_format="vcard", headers=list(VCARD_HEADERS), row_count=len(rows), encoding=encoding, _rows=lambda: iter(rows))
