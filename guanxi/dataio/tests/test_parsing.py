import io
import zipfile

import openpyxl
import pytest

from guanxi.dataio import parsing
from guanxi.dataio.errors import FileRefused
from guanxi.dataio.parsing import open_table

CSV = "客户名称,统一社会信用代码,手机\n北京华为科技有限公司,91110000802100433B,13800138000\n上海浦东贸易有限公司,,+86 139 0000 1111\n"


def rows(table):
    return [cells for _n, cells in table.rows()]


@pytest.mark.parametrize(("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")])
def test_chinese_headers_are_read_in_every_encoding_excel_saves(encoding, expected):
    table = open_table(CSV.encode(encoding), filename="客户.csv")
    assert table.encoding == expected
    assert table.headers == ["客户名称", "统一社会信用代码", "手机"]
    assert rows(table)[0] == ["北京华为科技有限公司", "91110000802100433B", "13800138000"]
    assert table.row_count == 2


def test_utf16_with_bom_tab_separated_is_read():
    table = open_table(CSV.replace(",", "\t").encode("utf-16"), filename="unicode.txt")
    assert table.delimiter == "\t"
    assert rows(table)[1][0] == "上海浦东贸易有限公司"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected(delimiter):
    text = CSV.replace(",", delimiter) + "广州白云有限公司" + delimiter + delimiter + "13600000000\n"
    table = open_table(text.encode("utf-8"))
    assert table.delimiter == delimiter
    assert table.headers == ["客户名称", "统一社会信用代码", "手机"]
    assert rows(table)[2] == ["广州白云有限公司", "", "13600000000"]


def test_commas_inside_quoted_chinese_text_do_not_fool_the_delimiter_sniffer():
    text = '名称;地址;备注\n"甲公司";"北京市,朝阳区";"a,b,c"\n"乙公司";"上海市,浦东";"d,e"\n'
    table = open_table(text.encode("utf-8"))
    assert table.delimiter == ";"
    assert rows(table)[0] == ["甲公司", "北京市,朝阳区", "a,b,c"]


def test_blank_lines_are_skipped_and_row_numbers_are_file_lines():
    table = open_table("名称,电话\n\n甲公司,1\n,\n乙公司,2\n".encode())
    assert [n for n, _c in table.rows()] == [3, 5]


def test_an_undecodable_file_is_refused_with_advice():
    with pytest.raises(FileRefused) as exc:
        open_table(b"\x81\x30\xff\xfe\x00\x81" * 10 + b"\n")
    assert exc.value.code in ("import.encoding", "import.unsupported")


def _xlsx(rows_):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows_:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_values_become_text_and_formulas_are_not_evaluated():
    data = _xlsx([["客户名称", "手机", "成立日期", "人数"], ["北京华为科技有限公司", 13800138000, "2020-01-02", 12.0],
                  ["上海浦东贸易有限公司", None, None, "=2*3"]])
    table = open_table(data, filename="客户.xlsx")
    assert table.file_format == "xlsx"
    assert table.headers == ["客户名称", "手机", "成立日期", "人数"]
    # A formula is never run: only a value Excel cached would be read (openpyxl caches none).
    assert rows(table) == [["北京华为科技有限公司", "13800138000", "2020-01-02", "12"], ["上海浦东贸易有限公司", "", "", ""]]


def _zip(parts):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_xlsx_with_an_entity_declaration_is_refused():
    evil = _xlsx([["a"], ["b"]])
    with zipfile.ZipFile(io.BytesIO(evil)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/worksheets/sheet1.xml"] = (
        b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + parts["xl/worksheets/sheet1.xml"]
    )
    with pytest.raises(FileRefused) as exc:
        open_table(_zip(parts), filename="evil.xlsx")
    assert exc.value.code == "import.hostile_xlsx"


def test_xlsx_zip_bomb_is_refused_before_it_is_inflated():
    bomb = _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>", "xl/worksheets/sheet1.xml": "<a>" + " " * 20_000_000 + "</a>"})
    assert len(bomb) < 200_000
    with pytest.raises(FileRefused) as exc:
        open_table(bomb, filename="bomb.xlsx")
    assert exc.value.code == "import.hostile_xlsx"


def test_xlsx_with_too_many_parts_is_refused(monkeypatch):
    monkeypatch.setattr(parsing, "XLSX_MAX_ENTRIES", 5)
    with pytest.raises(FileRefused) as exc:
        open_table(_xlsx([["a"], ["b"]]), filename="many.xlsx")
    assert exc.value.code == "import.hostile_xlsx"


def test_old_xls_and_broken_xlsx_are_refused_with_a_clear_message():
    with pytest.raises(FileRefused) as exc:
        open_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, filename="old.xls")
    assert "xlsx" in exc.value.detail.lower()
    with pytest.raises(FileRefused):
        open_table(b"PK\x03\x04 not really a zip", filename="broken.xlsx")


def test_limits_on_size_and_rows(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 3)
    with pytest.raises(FileRefused) as exc:
        open_table(("名称\n" + "甲\n" * 4).encode())
    assert exc.value.code == "import.too_many_rows"
    assert open_table(("名称\n" + "甲\n" * 3).encode()).row_count == 3
    monkeypatch.setattr(parsing, "MAX_FILE_BYTES", 100)
    with pytest.raises(FileRefused) as exc:
        open_table(b"a" * 101)
    assert exc.value.code == "import.too_large"


VCARD = """BEGIN:VCARD
VERSION:3.0
FN:张三
N:张;三;;;
ORG:北京华为科技有限公司;销售部
TITLE:经理
TEL;TYPE=CELL:138 0013 8000
TEL;TYPE=WORK:010-65529988
EMAIL:zhangsan@example.cn
BDAY:19850412
UID:urn:uuid:1234
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Smith;Anna;;;
EMAIL;TYPE=INTERNET:anna@example.com
END:VCARD
"""


def test_vcard_cards_become_rows_with_contact_columns():
    table = open_table(VCARD.encode("utf-8"), filename="contacts.vcf")
    assert table.file_format == "vcard"
    first, second = rows(table)
    as_dict = dict(zip(table.headers, first, strict=True))
    assert as_dict["Name"] == "张三"
    assert as_dict["Organization"] == "北京华为科技有限公司"
    assert as_dict["Department"] == "销售部"
    assert as_dict["Mobile"] == "138 0013 8000"
    assert as_dict["Phone"] == "010-65529988"
    assert as_dict["Birthday"] == "1985-04-12"
    assert dict(zip(table.headers, second, strict=True))["Name"] == "Anna Smith"


def test_entity_declaration_hidden_after_a_long_comment_is_still_refused_by_defusedxml():
    evil = _xlsx([["a"], ["b"]])
    with zipfile.ZipFile(io.BytesIO(evil)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = (
        b"<!--" + b"x" * 70_000 + b'--><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>' + sheet
    )
    with pytest.raises(FileRefused) as exc:
        open_table(_zip(parts), filename="evil.xlsx")
    assert exc.value.code == "import.hostile_xlsx"
