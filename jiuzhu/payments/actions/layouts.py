"""银行文件格式 as data (issue 16 item 4): a county adds or changes its bank's transfer and
result-file layouts on a page, checks them on a sample file, and every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.registry.importer import ImportRejected

from .. import bankfiles
from ..models import DELIMITER_CHARS, FILE_FORMATS, BankLayout

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


def _lines(rows: Any) -> Any:
    """Template rows without blank ones (anything else is left for validation to name)."""
    if rows is None:
        return []
    if isinstance(rows, list) and all(isinstance(r, str) for r in rows):
        return [r.rstrip() for r in rows if r.strip()]
    return rows


def save_layout(
    *,
    by: User,
    county_code: str,
    code: str,
    name: str,
    file_format: str,
    encoding: str,
    columns: list[dict[str, Any]],
    result_columns: dict[str, str],
    success_values: list[str],
    amount_unit: str = "yuan",
    is_default: bool = False,
    delimiter: str = "comma",
    column_header: bool = True,
    header_rows: list[str] | None = None,
    footer_rows: list[str] | None = None,
    file_name: str = "",
    amount_grouping: bool = False,
    result_format: str = "table",
    result_fields: list[dict[str, Any]] | None = None,
    result_skip_head: int = 0,
    result_skip_tail: int = 0,
) -> BankLayout:
    """Add a layout or change the county's layout of the same code (新增或修改银行文件格式)."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=county_code.ljust(12, "0"), what="该县（区）", field="county_code")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not code.replace("_", "").isalnum() or not code.isascii():
        raise InvalidInput("invalid_layout", "格式代码只能由字母、数字和下划线组成，如 icbc_csv", field="code")
    if not name:
        raise InvalidInput("required", "请填写格式名称，如“工商银行代发（CSV）”", field="name")
    if file_format not in dict(FILE_FORMATS):
        raise InvalidInput(
            "invalid_choice", "文件类型应为CSV、Excel（.xlsx）、文本（分隔符）或文本（定长）", field="file_format"
        )
    if encoding not in ("gb18030", "utf-8-sig"):
        raise InvalidInput("invalid_choice", "文件编码应为GBK/GB18030或UTF-8", field="encoding")
    if delimiter not in DELIMITER_CHARS:
        raise InvalidInput("invalid_choice", "分隔符应为逗号、竖线或制表符", field="delimiter")
    if amount_unit not in ("yuan", "fen"):
        raise InvalidInput("invalid_choice", "回盘金额单位应为元或分", field="amount_unit")
    for field, count, label in (
        ("result_skip_head", result_skip_head, "回盘表头行数"),
        ("result_skip_tail", result_skip_tail, "回盘表尾行数"),
    ):
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 20:
            raise InvalidInput("invalid_number", f"{label}应为0至20的整数", field=field)
    header_rows, footer_rows = _lines(header_rows), _lines(footer_rows)
    result_columns = result_columns or {}
    file_name = (file_name or "").strip()
    cleaned = bankfiles.validate_layout(
        columns,
        result_columns,
        success_values,
        file_format=file_format,
        header_rows=header_rows,
        footer_rows=footer_rows,
        file_name=file_name,
        result_format=result_format,
        result_fields=result_fields or [],
    )
    headers = [c["header"] for c in cleaned]
    if len(set(headers)) != len(headers):
        raise InvalidInput("invalid_layout", "导出列的列名不能重复", field="columns")
    values: dict[str, Any] = {
        "name": name,
        "file_format": file_format,
        "encoding": encoding,
        "delimiter": delimiter,
        "columns": cleaned,
        "column_header": column_header,
        "header_rows": header_rows,
        "footer_rows": footer_rows,
        "file_name": file_name,
        "amount_grouping": amount_grouping,
        "result_columns": {k: v.strip() for k, v in result_columns.items() if v.strip()},
        "result_format": result_format,
        "result_fields": [
            {"key": f["key"], **({"width": f["width"]} if result_format == "fixed" else {})}
            for f in (result_fields or [])
        ]
        if result_format != "table"
        else [],
        "result_skip_head": result_skip_head,
        "result_skip_tail": result_skip_tail,
        "success_values": [v.strip() for v in success_values if v.strip()],
        "amount_unit": amount_unit,
        "is_default": is_default,
    }
    try:  # a layout the sample rows do not fit (a name column too narrow) would fail every export
        bankfiles.render(BankLayout(county_code=county_code, code=code, **values), SAMPLE_ROWS)
    except InvalidInput as exc:
        raise InvalidInput(exc.code, f"按样例数据试生成文件时出错：{exc.message}", field=exc.field) from None
    with transaction.atomic():
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


def install_standard_layouts(county_code: str, *, by: User) -> list[BankLayout]:
    """Give a county the standard layouts it lacks (通用CSV, 惠农一卡通Excel, 农商银行定长文本): run
    when a county is onboarded and by the demo loader, never on a page view. Audited."""
    require(by, "payments.roster")
    with transaction.atomic():
        created = bankfiles.install_standard_layouts(county_code)
        for layout in created:
            record(
                by,
                "payments.layout.save",
                layout,
                area_code=county_code.ljust(12, "0"),
                changes={"code": layout.code, "name": layout.name, "standard": True},
            )
    return created


PREVIEW_CONTEXT = {"month": "202612", "batch_no": "37040520261201", "county_name": "示例区"}


def preview_layout(layout: BankLayout) -> tuple[bytes, str]:
    """A sample transfer file in the layout (three made-up payees), to check against the bank's
    specification before the first real file."""
    suffix = {"fixed": "txt"}.get(layout.file_format, layout.file_format)
    stamp = timezone.localdate().strftime("%Y%m%d")
    context = {**PREVIEW_CONTEXT, "county_code": layout.county_code, "date": stamp}
    name = bankfiles.file_name(layout, context, f"样例_{layout.name}_{stamp}.{suffix}")
    return bankfiles.render(layout, SAMPLE_ROWS, context), name


@dataclass(frozen=True)
class Preview:
    """What the page and the API show of a layout on the sample rows."""

    file_name: str
    text: str  # the file's bytes decoded in its encoding ("" for Excel)
    result_file_name: str
    result_text: str
    round_trip: bool  # the sample result file reads back with the sample amounts
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "text": self.text,
            "result_file_name": self.result_file_name,
            "result_text": self.result_text,
            "round_trip": self.round_trip,
            "message": self.message,
        }


def _as_text(layout: BankLayout, data: bytes, name: str) -> str:
    if name.endswith(".xlsx"):
        return ""
    return data.decode(layout.encoding)


def sample_results(layout: BankLayout) -> tuple[bytes, str]:
    """The result file the bank would send back for the sample file, all paid."""
    return bankfiles.render_results(layout, SAMPLE_ROWS)


def preview(layout: BankLayout) -> Preview:
    """The sample file as text, and the sample result file read back (no write)."""
    try:
        content, name = preview_layout(layout)
    except DomainError as exc:
        return Preview("", "", "", "", False, f"样例文件无法生成：{exc.message}")
    result, result_name = sample_results(layout)
    expected = [int(r["amount_fen"]) for r in SAMPLE_ROWS]
    try:
        read = bankfiles.parse_results(layout, result_name, result)
    except ImportRejected as exc:
        ok, message = False, f"样例回盘文件读回失败：{exc.message}"
    else:
        amounts = [r.amount_fen for r in read]
        total = bankfiles.yuan(sum(amounts), grouping=True)
        ok = amounts == expected and all(r.success for r in read)
        if amounts != expected:
            message = f"样例回盘文件读回的金额与样例文件不一致（{total}元），请核对回盘文件列和金额单位"
        elif not ok:
            message = "样例回盘文件的处理结果未被识别为成功，请核对“表示成功的处理结果”和处理结果列的宽度"
        else:
            message = f"样例回盘文件读回{len(amounts)}笔、合计{total}元，与样例文件一致"
    return Preview(
        name, _as_text(layout, content, name), result_name, _as_text(layout, result, result_name), ok, message
    )
