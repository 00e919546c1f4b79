"""Writing the transfer file (代发文件) and a sample result file in a layout."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from typing import Any

from jiuzhu.core.errors import InvalidInput
from jiuzhu.web import files

from ..models import DELIMITER_CHARS, BankLayout
from .layout import SAMPLE_CONTEXT, TEXT_FIELDS


def yuan(fen: int, *, grouping: bool = False) -> str:
    """Fen as 元 with two decimals, optionally with thousands separators (1,520.00)."""
    whole = f"{fen // 100:,}" if grouping else str(fen // 100)
    return f"{whole}.{fen % 100:02d}"


def _cells(layout: BankLayout, row: dict[str, Any], fields: list[str]) -> list[Any]:
    if not layout.amount_grouping:
        return [row.get(f, "") for f in fields]
    fen = int(row.get("amount_fen") or 0)
    given = {"amount_yuan": yuan(fen, grouping=True), "amount_fen": f"{fen:,}"}
    return [given[f] if f in given else row.get(f, "") for f in fields]


def context_for(layout: BankLayout, rows: list[dict[str, Any]], base: dict[str, Any]) -> dict[str, Any]:
    """The placeholder values for a file of ``rows``: totals from the rows, the rest from ``base``."""
    total = sum(int(r.get("amount_fen") or 0) for r in rows)
    return {
        **SAMPLE_CONTEXT,
        "bank": layout.code,
        **base,
        "total_count": len(rows),
        "total_amount_fen": total,
        "total_amount_yuan": yuan(total, grouping=layout.amount_grouping),
    }


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _fixed_line(layout: BankLayout, n: int, cells: list[Any]) -> bytes:
    out = bytearray()
    for i, (c, value) in enumerate(zip(layout.columns, cells, strict=True)):
        text = _str(value)
        data = text.encode(layout.encoding.replace("-sig", ""))
        width = int(c["width"])
        if len(data) > width:
            raise InvalidInput(
                "value_too_wide",
                f"第{n}条记录“{c['header']}”列的值“{text}”占{len(data)}字节，超过该列宽度{width}字节"
                f"（{layout.get_encoding_display()}编码，汉字按{'2' if layout.encoding == 'gb18030' else '3'}字节计），"
                "请与银行核对后加宽该列",
                field=f"columns[{i}]",
            )
        fill = str(c.get("pad") or " ").encode("ascii") * (width - len(data))
        out += fill + data if c.get("align") == "right" else data + fill
    return bytes(out)


def render(layout: BankLayout, rows: Iterable[dict[str, Any]], context: dict[str, Any] | None = None) -> bytes:
    """The transfer file in ``layout``. ``context`` gives the placeholders that are not totals
    (month, county, batch number, date). A value wider than its fixed-width column is refused
    naming the row and the column, never cut."""
    headers = [c["header"] for c in layout.columns]
    fields = [c["field"] for c in layout.columns]
    if layout.file_format == "xlsx":
        return files.xlsx(
            headers,
            (_cells(layout, r, fields) for r in rows),
            text={i for i, f in enumerate(fields) if f in TEXT_FIELDS},
            sheet="发放明细",
        )
    if layout.file_format == "csv" and not (layout.header_rows or layout.footer_rows) and not layout.amount_grouping:
        buf = io.StringIO()  # the plain CSV, as every layout wrote it before header rows existed
        writer = csv.writer(buf, lineterminator="\r\n")
        if layout.column_header:
            writer.writerow(headers)
        for r in rows:
            writer.writerow([r.get(f, "") for f in fields])
        return buf.getvalue().encode(layout.encoding)
    rows = list(rows)
    values = context_for(layout, rows, context or {})
    encoding = layout.encoding
    lines: list[bytes] = [t.format_map(values).encode(encoding) for t in layout.header_rows]
    if layout.file_format == "fixed":
        if layout.column_header:
            lines.append("".join(headers).encode(encoding))
        lines.extend(_fixed_line(layout, n, _cells(layout, r, fields)) for n, r in enumerate(rows, 1))
    elif layout.file_format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if layout.column_header:
            writer.writerow(headers)
        for r in rows:
            writer.writerow(_cells(layout, r, fields))
        lines.extend(line.encode(encoding) for line in buf.getvalue().split("\r\n")[:-1])
    else:
        sep = DELIMITER_CHARS[layout.delimiter]
        if layout.column_header:
            lines.append(sep.join(headers).encode(encoding))
        for n, r in enumerate(rows, 1):
            cells = [_str(v) for v in _cells(layout, r, fields)]
            for i, text in enumerate(cells):
                if sep in text or "\n" in text or "\r" in text:
                    raise InvalidInput(
                        "value_has_delimiter",
                        f"第{n}条记录“{headers[i]}”列的值“{text}”含有分隔符（{layout.get_delimiter_display()}）或换行",
                        field=f"columns[{i}]",
                    )
            lines.append(sep.join(cells).encode(encoding))
    lines.extend(t.format_map(values).encode(encoding) for t in layout.footer_rows)
    body = b"\r\n".join(lines) + b"\r\n"
    if encoding == "utf-8-sig":  # one BOM at the start, not one per line
        body = codecs.BOM_UTF8 + body.replace(codecs.BOM_UTF8, b"")
    return body


def file_name(layout: BankLayout, context: dict[str, Any], fallback: str) -> str:
    """The file's name from the layout's naming template, or ``fallback`` when it has none."""
    if not layout.file_name:
        return fallback
    return layout.file_name.format_map({**SAMPLE_CONTEXT, "bank": layout.code, **context})


def render_results(layout: BankLayout, rows: list[dict[str, Any]]) -> tuple[bytes, str]:
    """A result file (回盘) in the layout's result format, every row a success: what the bank
    would send back for ``rows``. Used to check a layout end to end on sample data."""
    status = str(layout.success_values[0])

    def amount(r: dict[str, Any]) -> str:
        fen = int(r["amount_fen"])
        return yuan(fen) if layout.amount_unit == "yuan" else str(fen)

    def value(r: dict[str, Any], key: str) -> str:
        return {
            "reference": _str(r.get("reference")),
            "account": _str(r.get("account")),
            "amount": amount(r),
            "status": status,
            "message": "",
        }.get(key, "")

    if layout.result_format == "table":
        keys = list(layout.result_columns)
        headers = [layout.result_columns[k] for k in keys]
        body = [[value(r, k) for k in keys] for r in rows]
        if layout.file_format == "xlsx":
            return files.xlsx(headers, body, all_text=True, sheet="回盘"), "样例回盘.xlsx"
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(body)
        return buf.getvalue().encode(layout.encoding), "样例回盘.csv"
    encoding = layout.encoding.replace("-sig", "")
    lines = [b"H"] * layout.result_skip_head
    for r in rows:
        if layout.result_format == "txt":
            sep = DELIMITER_CHARS[layout.delimiter]
            lines.append(sep.join(value(r, f["key"]) for f in layout.result_fields).encode(encoding))
            continue
        out = bytearray()
        for f in layout.result_fields:
            data = value(r, f["key"]).encode(encoding)[: int(f["width"])]
            fill = (b"0" if f["key"] == "amount" else b" ") * (int(f["width"]) - len(data))
            out += fill + data if f["key"] == "amount" else data + fill
        lines.append(bytes(out))
    lines += [b"T"] * layout.result_skip_tail
    return b"\r\n".join(lines) + b"\r\n", "样例回盘.txt"
