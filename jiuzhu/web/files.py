"""Tables the platform writes and reads (issue 15 item 3).

Writing: one writer for exports, templates and error reports. Header bold; text columns stay
text (ID numbers, accounts: no scientific notation); numbers stay numbers unless every cell is
asked to be text.

Reading: one reader of uploaded .xlsx/.csv tables (``read_table``, ``read_csv``): UTF-8 (with
or without BOM) or GBK/GB18030 text, the first sheet of a workbook, the zip-bomb and size
limits of ``core.bounded`` checked while reading, header matching (``header_of``,
``column_keys``); every refusal an ``ImportRejected`` with a Chinese message and the rows at
fault. The department data ingest (``verification/ingest``) streams files of gigabytes from
disk with its own chunked reader, on the same limits.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse

from jiuzhu.core import bounded
from jiuzhu.core.errors import InvalidInput

# At most this many row errors travel with a refusal (the error report lists them).
MAX_REPORTED_ERRORS = 1000


def xlsx(
    headers: list[str],
    rows: Iterable[list[Any]],
    *,
    sheet: str = "Sheet1",
    text: set[int] | None = None,
    all_text: bool = False,
    widths: list[int] | None = None,
    notes: list[str] | None = None,
) -> bytes:
    """A workbook of one sheet (plus a 填写说明 sheet when ``notes`` are given)."""
    import xlsxwriter  # type: ignore[import-untyped]

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "constant_memory": True})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    as_text = book.add_format({"num_format": "@"})
    text = text or set()
    for col, header in enumerate(headers):
        ws.write_string(0, col, header, bold)
        width = widths[col] if widths else max(10, min(40, len(header) * 2 + 4))
        ws.set_column(col, col, width, as_text if all_text or col in text else None)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if all_text or c in text or isinstance(value, str):
                ws.write_string(r, c, str(value))
            else:
                ws.write_number(r, c, value)
    if notes:
        help_sheet = book.add_worksheet("填写说明")
        help_sheet.set_column(0, 0, 120)
        for r, note in enumerate(notes):
            help_sheet.write_string(r, 0, note)
    book.close()
    return buf.getvalue()


# ---- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class ImportRejected(InvalidInput):
    """The file was refused as a whole; ``rows`` lists every problem found."""

    def __init__(self, message: str, rows: list[RowError], code: str = "import_invalid") -> None:
        super().__init__(code, message, field="file")
        self.rows = rows

    def as_dict(self) -> dict[str, object]:
        out = super().as_dict()
        out["errors"] = [
            {"row": e.row, "column": e.column, "message": e.message} for e in self.rows[:MAX_REPORTED_ERRORS]
        ]
        out["error_count"] = len(self.rows)
        return out


def file_error(message: str, code: str = "invalid_file") -> ImportRejected:
    """A refusal of the whole file (row 0: no row in particular)."""
    return ImportRejected(message, [RowError(0, "", message)], code=code)


def read_table(name: str, data: bytes, *, limits: str = "registry") -> Iterator[tuple[int, list[Any]]]:
    """Yield (row number as the user sees it, cells) for .xlsx or .csv, header first.

    ``limits`` names the reading limits (``settings.UPLOAD_LIMITS``)."""
    if not data.strip():
        raise file_error("文件为空，请使用模板填写后再上传", "empty_file")
    lower = name.lower()
    if lower.endswith(".xlsx") or data[:2] == b"PK":
        yield from _read_xlsx(data, limits)
    elif lower.endswith(".csv") or lower.endswith(".txt"):
        yield from read_csv(data, limits=limits)
    else:
        raise file_error("仅支持 .xlsx（Excel）或 .csv 文件；旧版 .xls 请在 Excel 中另存为 .xlsx", "unsupported_file")


def _read_xlsx(data: bytes, limits: str) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    lim = bounded.limits(limits)
    stream = io.BytesIO(data)
    try:
        bounded.check_xlsx(stream, lim)
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except bounded.TooLarge as exc:
        raise file_error(exc.message, exc.code) from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise file_error("无法读取该Excel文件：文件已损坏或不是有效的 .xlsx 文件", "unreadable_file") from None
    try:
        yield from bounded.xlsx_rows(workbook.worksheets[0], lim)
    except bounded.TooLarge as exc:
        raise file_error(exc.message, exc.code) from None
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError):
        raise file_error("Excel文件内容不完整（可能被截断），请重新导出后上传", "unreadable_file") from None
    finally:
        workbook.close()


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise file_error("无法识别文件编码，请将CSV另存为UTF-8或GBK编码后重新上传", "bad_encoding")


def read_csv(data: bytes, *, limits: str = "registry") -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells) of a CSV file in UTF-8 or GBK, header first."""
    text = decode_text(data)
    try:
        yield from bounded.csv_rows(io.StringIO(text), bounded.limits(limits))
    except bounded.TooLarge as exc:
        raise file_error(exc.message, exc.code) from None
    except csv.Error as exc:
        raise file_error(f"CSV格式错误：{exc}", "unreadable_file") from None


def header_of(rows: Iterator[tuple[int, list[Any]]], *, empty: str = "文件为空") -> list[str]:
    """The header row's texts (stripped; trailing empty cells kept), or ``empty_file``."""
    try:
        _, header = next(rows)
    except StopIteration:
        raise ImportRejected(empty, [RowError(0, "", empty)], code="empty_file") from None
    return [str(h).strip() if h is not None else "" for h in header]


def column_keys(
    headers: list[str],
    known: Mapping[str, str],
    *,
    required: Iterable[str],
    unknown_ok: bool = False,
    hint: str = "请下载模板，按模板表头填写",
) -> list[str | None]:
    """The key of each header cell (``known`` maps header text → key), or ``invalid_header``
    naming every missing, unknown and repeated column, then ``hint``."""
    headers = list(headers)
    while headers and not headers[-1]:
        headers.pop()
    missing = [h for h in required if h not in headers]
    unknown = [] if unknown_ok else [h for h in headers if h and h not in known]
    problems = []
    if missing:
        problems.append("缺少列：" + "、".join(missing))
    if unknown:
        problems.append("无法识别的列：" + "、".join(unknown))
    duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
    if duplicated:
        problems.append("重复的列：" + "、".join(duplicated))
    if problems:
        raise ImportRejected(
            "表头不正确（" + "；".join(problems) + "）。" + hint,
            [RowError(1, "", p) for p in problems],
            code="invalid_header",
        )
    return [known.get(h) for h in headers]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(content: bytes, name: str, extra: dict[str, str] | None = None) -> HttpResponse:
    """A download: xlsx or csv by the name's suffix, the Chinese file name kept (RFC 5987)."""
    kind = XLSX if name.endswith(".xlsx") else "text/csv"
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    for k, v in (extra or {}).items():
        response[k] = v
    return response
