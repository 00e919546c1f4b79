"""Bank files (社会化发放): the transfer file in a bank's own column layout, and the bank's
result file (回盘) read back into (reference, account, amount, success, message) rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jiuzhu.core.errors import InvalidInput
from jiuzhu.registry.importer import ImportRejected, RowError, read_table
from jiuzhu.web import files

from .models import FIELD_CHOICES, RESULT_KEYS, BankLayout

FIELDS = dict(FIELD_CHOICES)
TEXT_FIELDS = {"reference", "id_number", "account", "month", "name", "bank_name", "program", "area", "remark"}

DEFAULT_LAYOUTS = [
    {
        "code": "generic_csv",
        "name": "通用格式（CSV）",
        "file_format": "csv",
        "encoding": "gb18030",
        "columns": [
            {"header": "序号", "field": "seq"},
            {"header": "业务编号", "field": "reference"},
            {"header": "姓名", "field": "name"},
            {"header": "身份证号码", "field": "id_number"},
            {"header": "银行账号", "field": "account"},
            {"header": "金额", "field": "amount_yuan"},
            {"header": "摘要", "field": "remark"},
        ],
        "result_columns": {
            "reference": "业务编号",
            "account": "银行账号",
            "amount": "金额",
            "status": "处理结果",
            "message": "失败原因",
        },
        "success_values": ["成功", "已入账", "0000"],
        "is_default": True,
    },
    {
        "code": "yikatong_xlsx",
        "name": "惠农一卡通（Excel）",
        "file_format": "xlsx",
        "encoding": "gb18030",
        "columns": [
            {"header": "序号", "field": "seq"},
            {"header": "流水号", "field": "reference"},
            {"header": "户名", "field": "name"},
            {"header": "证件号码", "field": "id_number"},
            {"header": "社保卡（一卡通）账号", "field": "account"},
            {"header": "发放金额（元）", "field": "amount_yuan"},
            {"header": "补贴项目", "field": "program"},
            {"header": "发放月份", "field": "month"},
            {"header": "所属村居", "field": "area"},
        ],
        "result_columns": {
            "reference": "流水号",
            "account": "社保卡（一卡通）账号",
            "amount": "发放金额（元）",
            "status": "入账状态",
            "message": "备注",
        },
        "success_values": ["成功", "入账成功"],
        "is_default": False,
    },
]


def ensure_layouts(county_code: str) -> list[BankLayout]:
    """The county's layouts; the two standard ones are created the first time."""
    if not BankLayout.objects.filter(county_code=county_code).exists():
        for spec in DEFAULT_LAYOUTS:
            BankLayout.objects.get_or_create(county_code=county_code, code=spec["code"], defaults=spec)
    return list(BankLayout.objects.filter(county_code=county_code))


def validate_layout(columns: Any, result_columns: Any, success_values: Any) -> None:
    if not isinstance(columns, list) or not columns:
        raise InvalidInput("invalid_layout", "导出列应为非空列表", field="columns")
    for i, c in enumerate(columns):
        if not isinstance(c, dict) or c.get("field") not in FIELDS or not str(c.get("header", "")).strip():
            raise InvalidInput(
                "invalid_layout", f"第{i + 1}个导出列须有列名，字段取值：{'、'.join(FIELDS)}", field=f"columns[{i}]"
            )
    if not isinstance(result_columns, dict) or not {"status", "amount"} <= set(result_columns):
        raise InvalidInput(
            "invalid_layout", "回盘文件列须至少包括处理结果（status）和金额（amount）", field="result_columns"
        )
    if not ({"reference", "account"} & set(result_columns)):
        raise InvalidInput(
            "invalid_layout", "回盘文件列须包括业务编号（reference）或账号（account）", field="result_columns"
        )
    unknown = set(result_columns) - set(RESULT_KEYS)
    if unknown:
        raise InvalidInput(
            "invalid_layout", f"回盘文件列中有未知项：{'、'.join(sorted(unknown))}", field="result_columns"
        )
    if not isinstance(success_values, list) or not success_values:
        raise InvalidInput("invalid_layout", "请填写表示成功的处理结果，如“成功”", field="success_values")


def render(layout: BankLayout, rows: Iterable[dict[str, Any]]) -> bytes:
    headers = [c["header"] for c in layout.columns]
    fields = [c["field"] for c in layout.columns]
    if layout.file_format == "xlsx":
        return files.xlsx(
            headers,
            ([r.get(f, "") for f in fields] for r in rows),
            text={i for i, f in enumerate(fields) if f in TEXT_FIELDS},
            sheet="发放明细",
        )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(f, "") for f in fields])
    return buf.getvalue().encode(layout.encoding)


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
    at = {k: pos.get(k, width - 1) for k in ("reference", "account", "amount", "status", "message")}
    i_ref, i_acct, i_amount, i_status, i_msg = (at[k] for k in ("reference", "account", "amount", "status", "message"))
    success = {str(v).strip() for v in layout.success_values}
    amounts: dict[str, int | None] = {}  # a month's file repeats few distinct amounts
    out: list[ResultRow] = []
    errors: list[RowError] = []
    for number, cells in table:
        values = [c.strip() if c.__class__ is str else _cell(c) for c in cells[: width - 1]]
        if not any(values):
            continue
        values.extend([""] * (width - len(values)))
        raw = values[i_amount]
        amount = amounts.get(raw, -1)
        if amount == -1:
            amount = amounts[raw] = _amount(raw, layout.amount_unit)
        if amount is None or amount <= 0:
            errors.append(RowError(number, cols["amount"], f"金额“{raw}”格式不正确"))
            continue
        status = values[i_status]
        if not status:
            errors.append(RowError(number, cols["status"], "处理结果为空"))
            continue
        reference, account = values[i_ref], values[i_acct].replace(" ", "")
        if not reference and not account:
            errors.append(RowError(number, cols.get("reference") or cols.get("account", ""), "业务编号和账号均为空"))
            continue
        out.append(ResultRow(number, reference, account, amount, status in success, values[i_msg] or status))
    if errors:
        raise ImportRejected(f"回盘文件有{len(errors)}处错误，未导入任何结果", errors, code="invalid_results")
    if not out:
        raise ImportRejected("回盘文件中没有数据行", [RowError(0, "", "回盘文件中没有数据行")], code="empty_file")
    return out
