"""Reading a bank's result file (回盘) back into rows."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jiuzhu.registry.importer import ImportRejected, RowError, read_table

from ..models import DELIMITER_CHARS, RESULT_KEYS, BankLayout
from .layout import RESULT_KEY_LABELS


@dataclass(frozen=True)
class ResultRow:
    row: int
    reference: str
    account: str
    amount_fen: int
    success: bool
    message: str


def _amount(raw: Any, unit: str) -> int | None:
    text = str(raw if raw is not None else "").replace(",", "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    fen = value * 100 if unit == "yuan" else value
    return int(fen) if fen == fen.to_integral_value() else None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_results(layout: BankLayout, name: str, data: bytes) -> list[ResultRow]:
    """Read a 回盘 file; every malformed row is reported (row and column), nothing is kept."""
    if layout.result_format in ("txt", "fixed"):
        return _collect(layout, _text_results(layout, data), _text_labels(layout))
    table = read_table(name, data)
    try:
        _, header = next(table)
    except StopIteration:
        raise ImportRejected("回盘文件为空", [RowError(0, "", "回盘文件为空")], code="empty_file") from None
    headers = [_cell(h) for h in header]
    cols = layout.result_columns
    missing = [h for k, h in cols.items() if h not in headers and k != "message"]
    if missing:
        message = f"回盘文件缺少列：{'、'.join(missing)}（格式：{layout.name}）"
        raise ImportRejected(message, [RowError(1, "", message)], code="invalid_header")
    pos = {k: headers.index(h) for k, h in cols.items() if h in headers}
    width = len(headers) + 1  # the last position is always empty: absent columns point there
    at = [pos.get(k, width - 1) for k in RESULT_KEYS]

    def records() -> Iterator[tuple[int, list[str]]]:
        for number, cells in table:
            values = [c.strip() if c.__class__ is str else _cell(c) for c in cells[: width - 1]]
            if not any(values):
                continue
            values.extend([""] * (width - len(values)))
            yield number, [values[i] for i in at]

    return _collect(layout, records(), {k: cols.get(k, "") for k in RESULT_KEYS})


def _text_labels(layout: BankLayout) -> dict[str, str]:
    where = {f["key"]: i + 1 for i, f in enumerate(layout.result_fields)}
    return {k: f"第{where[k]}列（{RESULT_KEY_LABELS[k]}）" if k in where else "" for k in RESULT_KEYS}


def _text_results(layout: BankLayout, data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The body rows of a text result file as (line number, [reference, account, amount,
    status, message]); header and footer rows are skipped by count."""
    encoding = layout.encoding.replace("-sig", "")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    lines = [line.rstrip(b"\r") for line in data.split(b"\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    body = lines[layout.result_skip_head : len(lines) - layout.result_skip_tail]
    keys = [f["key"] for f in layout.result_fields]
    widths = [int(f.get("width") or 0) for f in layout.result_fields]
    sep = DELIMITER_CHARS[layout.delimiter].encode("ascii")
    errors: list[RowError] = []
    for number, line in enumerate(body, layout.result_skip_head + 1):
        if not line.strip():
            continue
        if layout.result_format == "fixed":
            pieces, offset = [], 0
            for w in widths:
                pieces.append(line[offset : offset + w])
                offset += w
        else:
            pieces = line.split(sep)
        try:
            texts = [p.decode(encoding).strip() for p in pieces]
        except UnicodeDecodeError:
            errors.append(
                RowError(number, "", f"第{number}行无法按{layout.get_encoding_display()}编码读取，请核对编码和各列宽度")
            )
            continue
        found = dict(zip(keys, texts, strict=False))
        yield number, [found.get(k, "") for k in RESULT_KEYS]
    if errors:
        raise ImportRejected(f"回盘文件有{len(errors)}处错误，未导入任何结果", errors, code="invalid_results")


def _collect(layout: BankLayout, records: Iterable[tuple[int, list[str]]], labels: dict[str, str]) -> list[ResultRow]:
    success = {str(v).strip() for v in layout.success_values}
    amounts: dict[str, int | None] = {}  # a month's file repeats few distinct amounts
    out: list[ResultRow] = []
    errors: list[RowError] = []
    for number, (reference, account, raw, status, message) in records:
        amount = amounts.get(raw, -1)
        if amount == -1:
            amount = amounts[raw] = _amount(raw, layout.amount_unit)
        if amount is None or amount <= 0:
            errors.append(RowError(number, labels["amount"], f"金额“{raw}”格式不正确"))
            continue
        if not status:
            errors.append(RowError(number, labels["status"], "处理结果为空"))
            continue
        account = account.replace(" ", "")
        if not reference and not account:
            errors.append(RowError(number, labels["reference"] or labels["account"], "业务编号和账号均为空"))
            continue
        out.append(ResultRow(number, reference, account, amount, status in success, message or status))
    if errors:
        raise ImportRejected(f"回盘文件有{len(errors)}处错误，未导入任何结果", errors, code="invalid_results")
    if not out:
        raise ImportRejected("回盘文件中没有数据行", [RowError(0, "", "回盘文件中没有数据行")], code="empty_file")
    return out
