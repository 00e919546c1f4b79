"""Bounded reading of uploaded tables (.xlsx, .csv): limits checked while reading.

A small crafted file must not become gigabytes or minutes of work: an .xlsx is a zip whose
members may inflate a thousandfold, declare a 16,384-column sheet, or hold one enormous
shared string; a CSV may have a million empty columns on one line. Every reader of user
files goes through this module, with the limits of ``settings.UPLOAD_LIMITS[kind]``.

The zip's central directory is checked before anything is inflated; ``zipfile`` then
stops each member at its declared size (and fails its CRC check when the declaration
lies), so the declared sizes bound the work. Rows and cells are checked as they are read.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from jiuzhu.core.errors import InvalidInput


@dataclass(frozen=True)
class Limits:
    rows: int  # data rows after the header
    columns: int
    cell_chars: int
    unzipped_bytes: int  # total inflated size of an .xlsx
    ratio: int  # inflated/compressed size of any zip member above 1 MB
    members: int  # files inside an .xlsx


def limits(kind: str) -> Limits:
    return Limits(**settings.UPLOAD_LIMITS[kind])


class TooLarge(InvalidInput):
    """The file exceeds a reading limit; refused as a whole, nothing is written."""


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f}MB"


def check_xlsx(source: Path | IO[bytes], lim: Limits) -> None:
    """Refuse an .xlsx whose members would inflate beyond the limits (zip bomb)."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip: the reader reports the unreadable file in its own words
    finally:
        if not isinstance(source, Path):
            source.seek(0)
    if len(members) > lim.members:
        raise TooLarge(
            "file_too_complex",
            f"Excel文件内部包含{len(members)}个部件，超过上限{lim.members}个，请另存为普通的单表 .xlsx 或 CSV 后上传",
            field="file",
        )
    total = sum(m.file_size for m in members)
    if total > lim.unzipped_bytes:
        raise TooLarge(
            "file_too_large",
            f"Excel文件解压后约{_mb(total)}，超过上限{_mb(lim.unzipped_bytes)}，请拆分后分批上传或改用CSV",
            field="file",
        )
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > lim.ratio * max(m.compress_size, 1):
            ratio = m.file_size // max(m.compress_size, 1)
            raise TooLarge(
                "suspicious_file",
                f"Excel文件中的“{m.filename}”压缩比异常（{ratio}倍），疑似恶意构造的文件，已拒绝读取",
                field="file",
            )


def _too_many_rows(lim: Limits) -> TooLarge:
    return TooLarge("too_many_rows", f"文件超过{lim.rows:,}行数据的上限，请拆分后分批上传", field="file")


def _too_many_columns(number: int, lim: Limits) -> TooLarge:
    message = f"第{number}行超过{lim.columns}列的上限，请删去多余的列再上传"
    return TooLarge("too_many_columns", message, field="file")


def _check_row(number: int, cells: list[Any], lim: Limits, *, strict: bool = False) -> list[Any]:
    """``strict``: any cell beyond the limit refuses the row (CSV); otherwise only a non-empty
    one does (Excel keeps formatted empty cells at the end of a row)."""
    if number > lim.rows + 1:
        raise _too_many_rows(lim)
    if len(cells) > lim.columns:
        extra = cells[lim.columns :]
        if strict or any(c not in (None, "") for c in extra):
            raise _too_many_columns(number, lim)
        cells = cells[: lim.columns]
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and len(cell) > lim.cell_chars:
            raise TooLarge(
                "cell_too_long",
                f"第{number}行第{index + 1}列内容长达{len(cell):,}个字符，超过单元格上限{lim.cell_chars:,}个字符",
                field="file",
            )
    return cells


def xlsx_rows(sheet: Any, lim: Limits) -> Iterator[tuple[int, list[Any]]]:
    """Rows of an openpyxl read-only sheet, numbered from 1 (the header), checked.

    The sheet's declared dimension is ignored (a crafted ``A1:XFD1048576`` would pad every
    row to 16,384 cells); rows are padded to the header's width instead."""
    sheet.reset_dimensions()
    width = 0
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = list(row)
        if number == 1:
            width = min(len(cells), lim.columns)
        elif len(cells) < width:
            cells.extend([None] * (width - len(cells)))
        yield number, _check_row(number, cells, lim)


def csv_rows(lines: Iterable[str], lim: Limits, **reader_options: Any) -> Iterator[tuple[int, list[str]]]:
    """CSV rows numbered from 1 (the header), checked. The csv module itself refuses a field
    above its ``field_size_limit`` (131,072 characters), so no line is read unbounded."""
    for number, row in enumerate(csv.reader(lines, **reader_options), start=1):
        yield number, _check_row(number, row, lim, strict=True)


def check_chunk(first: int, rows: list[list[str]], lim: Limits) -> None:
    """Row and column limits for a chunk of CSV rows (the ingest fast path: no per-cell loop;
    cell length is bounded by the csv module's field limit)."""
    last = first + len(rows) - 1
    if last > lim.rows + 1:
        raise _too_many_rows(lim)
    if rows and max(map(len, rows)) > lim.columns:
        number = first + next(i for i, r in enumerate(rows) if len(r) > lim.columns)
        raise _too_many_columns(number, lim)
