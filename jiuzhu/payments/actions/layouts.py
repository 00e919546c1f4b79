"""银行文件格式 as data (issue 16 item 4): a county adds or changes its bank's transfer and
result-file layouts on a page, checks them on a sample file, and every change is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.audit.log import record
from jiuzhu.core.errors import InvalidInput

from .. import bankfiles
from ..models import BankLayout

# A preview row for each column a layout may carry: what a county checks its bank file against.
SAMPLE_ROWS: list[dict[str, Any]] = [
    {
        "seq": i,
        "reference": f"FF370405-202612-{i:06d}",
        "name": name,
        "id_number": f"370405********{i:04d}",
        "account": f"6228480000000{i:06d}",
        "bank_name": "农业银行台儿庄支行",
        "amount_yuan": f"{amount / 100:.2f}",
        "amount_fen": amount,
        "month": "2026-12",
        "program": "最低生活保障",
        "area": "示例村",
        "members": members,
        "remark": "2026年12月低保金",
    }
    for i, (name, amount, members) in enumerate([("示例甲", 64000, 2), ("示例乙", 80000, 1), ("示例丙", 152000, 3)], 1)
]


def save_layout(
    *,
    by: User,
    county_code: str,
    code: str,
    name: str,
    file_format: str,
    encoding: str,
    columns: list[dict[str, str]],
    result_columns: dict[str, str],
    success_values: list[str],
    amount_unit: str = "yuan",
    is_default: bool = False,
) -> BankLayout:
    """Add a layout or change the county's layout of the same code (新增或修改银行文件格式)."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=county_code.ljust(12, "0"), what="该县（区）", field="county_code")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not code.replace("_", "").isalnum() or not code.isascii():
        raise InvalidInput("invalid_layout", "格式代码只能由字母、数字和下划线组成，如 icbc_csv", field="code")
    if not name:
        raise InvalidInput("required", "请填写格式名称，如“工商银行代发（CSV）”", field="name")
    if file_format not in ("csv", "xlsx"):
        raise InvalidInput("invalid_choice", "文件类型应为CSV或Excel（.xlsx）", field="file_format")
    if encoding not in ("gb18030", "utf-8-sig"):
        raise InvalidInput("invalid_choice", "CSV编码应为GBK/GB18030或UTF-8", field="encoding")
    if amount_unit not in ("yuan", "fen"):
        raise InvalidInput("invalid_choice", "回盘金额单位应为元或分", field="amount_unit")
    bankfiles.validate_layout(columns, result_columns, success_values)
    headers = [c["header"].strip() for c in columns]
    if len(set(headers)) != len(headers):
        raise InvalidInput("invalid_layout", "导出列的列名不能重复", field="columns")
    values: dict[str, Any] = {
        "name": name,
        "file_format": file_format,
        "encoding": encoding,
        "columns": [{"header": c["header"].strip(), "field": c["field"]} for c in columns],
        "result_columns": {k: v.strip() for k, v in result_columns.items() if v.strip()},
        "success_values": [v.strip() for v in success_values if v.strip()],
        "amount_unit": amount_unit,
        "is_default": is_default,
    }
    with transaction.atomic():
        bankfiles.ensure_layouts(county_code)
        layout = BankLayout.objects.select_for_update().filter(county_code=county_code, code=code).first()
        before = {k: getattr(layout, k) for k in values} if layout else {}
        if layout is None:
            layout = BankLayout.objects.create(county_code=county_code, code=code, **values)
        else:
            for k, v in values.items():
                setattr(layout, k, v)
            layout.save()
        if is_default:
            BankLayout.objects.filter(county_code=county_code).exclude(pk=layout.pk).update(is_default=False)
        changed = {k: v for k, v in values.items() if before.get(k) != v}
        record(
            by,
            "payments.layout.save",
            layout,
            area_code=county_code.ljust(12, "0"),
            changes={"code": code, **changed},
        )
    return layout


def preview_layout(layout: BankLayout) -> tuple[bytes, str]:
    """A sample transfer file in the layout (three made-up payees), to check against the bank's
    specification before the first real file."""
    suffix = "xlsx" if layout.file_format == "xlsx" else "csv"
    stamp = dt.date.today().strftime("%Y%m%d")
    return bankfiles.render(layout, SAMPLE_ROWS), f"样例_{layout.name}_{stamp}.{suffix}"
