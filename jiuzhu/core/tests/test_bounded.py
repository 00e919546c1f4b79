"""Crafted files are refused quickly and whole: zip bombs, forged sheet dimensions,
huge cells, endless columns and rows (issue 19 item 4; SUP-9, VER-1, GOV-14)."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest
from openpyxl import Workbook

from jiuzhu.core import bounded
from jiuzhu.core.errors import InvalidInput

SMALL = bounded.Limits(rows=10, columns=8, cell_chars=50, unzipped_bytes=2 * 1024 * 1024, ratio=250, members=20)


def workbook_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rewrite_sheet(data: bytes, change: object) -> bytes:
    """The same .xlsx with ``xl/worksheets/sheet1.xml`` replaced by ``change(old_xml)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content)  # type: ignore[operator]
            dst.writestr(info.filename, content)
    return out.getvalue()


def padded(xml: bytes) -> bytes:
    """Twenty megabytes of whitespace inside the sheet: a ~20 kB file that inflates 1000×."""
    return xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (20 * 1024 * 1024), 1)


def rows_of(data: bytes, lim: bounded.Limits) -> list[list[object]]:
    from openpyxl import load_workbook

    stream = io.BytesIO(data)
    bounded.check_xlsx(stream, lim)
    book = load_workbook(stream, read_only=True, data_only=True)
    try:
        return [cells for _, cells in bounded.xlsx_rows(book.worksheets[0], lim)]
    finally:
        book.close()


def test_a_zip_bomb_is_refused_from_its_directory_before_inflating():
    bomb = rewrite_sheet(workbook_bytes([["姓名", "身份证号码"], ["张三", "x"]]), padded)
    assert len(bomb) < 200_000
    started = time.perf_counter()
    with pytest.raises(bounded.TooLarge) as exc:
        rows_of(bomb, SMALL)
    assert time.perf_counter() - started < 1.0
    assert exc.value.code in {"file_too_large", "suspicious_file"}
    with pytest.raises(bounded.TooLarge) as exc:
        rows_of(bomb, bounded.Limits(**{**SMALL.__dict__, "unzipped_bytes": 1024**3}))
    assert exc.value.code == "suspicious_file"
    assert "压缩比异常" in exc.value.message


def test_a_forged_dimension_does_not_pad_rows_to_16384_cells():
    data = workbook_bytes([["姓名", "金额"], ["张三", 1], ["李四", 2]])
    forged = rewrite_sheet(
        data, lambda xml: re.sub(rb'<dimension ref="A1:B3"\s*/>', b'<dimension ref="A1:XFD1048576" />', xml)
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(forged)).read("xl/worksheets/sheet1.xml")
    started = time.perf_counter()
    assert rows_of(forged, SMALL) == [["姓名", "金额"], ["张三", 1], ["李四", 2]]
    assert time.perf_counter() - started < 1.0


def test_a_cell_far_to_the_right_is_refused_with_its_row():
    data = workbook_bytes([["姓名", "金额"], ["张三", 1]])
    far = rewrite_sheet(
        data, lambda xml: xml.replace(b"</row></sheetData>", b'<c r="XFD2"><v>1</v></c></row></sheetData>')
    )
    with pytest.raises(bounded.TooLarge) as exc:
        rows_of(far, SMALL)
    assert (exc.value.code, exc.value.message) == ("too_many_columns", "第2行超过8列的上限，请删去多余的列再上传")


def test_rows_cells_and_columns_are_bounded_while_reading():
    with pytest.raises(bounded.TooLarge) as exc:
        rows_of(workbook_bytes([["a"]] + [[i] for i in range(11)]), SMALL)
    assert exc.value.code == "too_many_rows"
    with pytest.raises(bounded.TooLarge) as exc:
        rows_of(workbook_bytes([["a"], ["长" * 51]]), SMALL)
    assert exc.value.code == "cell_too_long"
    assert "第2行第1列" in exc.value.message
    lines = io.StringIO("a,b\n" + "," * 1_000_000 + "\n")
    with pytest.raises(bounded.TooLarge) as exc:
        list(bounded.csv_rows(lines, SMALL))
    assert exc.value.code == "too_many_columns"


def test_a_legitimate_workbook_reads_as_before():
    rows = [["姓名", "金额", "备注"], ["张三", 1, None], ["李四", 2, "有"]]
    assert rows_of(workbook_bytes(rows), SMALL) == rows


# ---- every upload path refuses them, writing nothing ----------------------------------------


@pytest.mark.django_db
def test_the_household_import_refuses_a_bomb_and_a_huge_cell(world):
    from jiuzhu.registry.importer import COLUMNS, ImportRejected, import_file
    from jiuzhu.registry.models import Household

    class Upload(io.BytesIO):
        name = "households.xlsx"

    headers = [h for _, h, _ in COLUMNS]
    bomb = rewrite_sheet(workbook_bytes([headers]), padded)
    with pytest.raises(ImportRejected) as exc:
        import_file(Upload(bomb), by=world.user("tez_zhangshanzi"))
    assert exc.value.code == "suspicious_file"
    huge = workbook_bytes([headers, ["1", "370405101201", "长" * 3000]])
    with pytest.raises(ImportRejected) as exc:
        import_file(Upload(huge), by=world.user("tez_zhangshanzi"))
    assert exc.value.code == "cell_too_long"
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_the_area_import_refuses_endless_columns(world):
    from jiuzhu.areas.importer import import_areas
    from jiuzhu.areas.models import Area

    before = Area.objects.count()
    data = ("code,name,parent,urban_rural\n370405101299,新村,370405101000,乡村" + "," * 5000 + "x\n").encode()
    with pytest.raises(InvalidInput) as exc:
        import_areas(data)
    assert exc.value.code == "too_many_columns"
    assert Area.objects.count() == before
