"""Excel files the platform writes (issue 15 item 3): one writer for exports, templates and
error reports. Header bold; text columns stay text (ID numbers, accounts: no scientific
notation); numbers stay numbers unless every cell is asked to be text."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse


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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(content: bytes, name: str, extra: dict[str, str] | None = None) -> HttpResponse:
    """A download: xlsx or csv by the name's suffix, the Chinese file name kept (RFC 5987)."""
    kind = XLSX if name.endswith(".xlsx") else "text/csv"
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    for k, v in (extra or {}).items():
        response[k] = v
    return response
