"""A bank's column layout: the standard layouts, the placeholders of header/footer rows and file names,
and the checks of a layout a county enters."""

from __future__ import annotations

import string
from typing import Any

from jiuzhu.core.errors import InvalidInput

from ..models import FIELD_CHOICES, RESULT_KEYS, BankLayout

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
    {
        # 农商银行代发 as most county 农商行 ask for it: fixed-width GBK text, a 汇总行 first (date,
        # batch, count, total in 分), the details, a 合计 line last; the 回盘 is fixed-width too.
        "code": "nongshang_fixed",
        "name": "农商银行代发（定长文本，GBK）",
        "file_format": "fixed",
        "encoding": "gb18030",
        "columns": [
            {"header": "账号", "field": "account", "width": 19, "align": "left", "pad": " "},
            {"header": "户名", "field": "name", "width": 20, "align": "left", "pad": " "},
            {"header": "证件号码", "field": "id_number", "width": 18, "align": "left", "pad": " "},
            {"header": "金额（分）", "field": "amount_fen", "width": 12, "align": "right", "pad": "0"},
            {"header": "摘要", "field": "remark", "width": 30, "align": "left", "pad": " "},
        ],
        "column_header": False,
        "header_rows": ["H{date}{batch_no:<16}{total_count:06d}{total_amount_fen:015d}"],
        "footer_rows": ["T{total_count:06d}{total_amount_fen:015d}"],
        "file_name": "{county_code}_{bank}_{month}_{batch_no}.txt",
        "result_columns": {},
        "result_format": "fixed",
        "result_fields": [
            {"key": "account", "width": 19},
            {"key": "skip", "width": 20},
            {"key": "amount", "width": 12},
            {"key": "status", "width": 4},
            {"key": "message", "width": 40},
        ],
        "result_skip_head": 1,
        "result_skip_tail": 1,
        "success_values": ["0000"],
        "amount_unit": "fen",
        "is_default": False,
    },
]


def layouts_of(county_code: str) -> list[BankLayout]:
    """The county's layouts (read only: the standard ones are installed when a county is
    onboarded, see ``install_standard_layouts``)."""
    return list(BankLayout.objects.filter(county_code=county_code))


def install_standard_layouts(county_code: str) -> list[BankLayout]:
    """Add the standard layouts a county lacks (by code); the county's own default stays. Returns
    the layouts created."""
    have = set(BankLayout.objects.filter(county_code=county_code).values_list("code", flat=True))
    has_default = BankLayout.objects.filter(county_code=county_code, is_default=True).exists()
    created = []
    for spec in DEFAULT_LAYOUTS:
        if spec["code"] in have:
            continue
        values = {**spec, "is_default": bool(spec.get("is_default")) and not has_default}
        created.append(BankLayout.objects.create(county_code=county_code, **values))
    return created


# ---- placeholders of header/footer rows and file names ---------------------------------------

PLACEHOLDERS = {  # 占位符 → what it becomes
    "total_count": "总笔数",
    "total_amount_yuan": "总金额（元，两位小数）",
    "total_amount_fen": "总金额（分）",
    "month": "发放月份（如202612）",
    "county_code": "县级区划代码（6位）",
    "county_name": "县（区）名称",
    "batch_no": "批次号",
    "date": "生成日期（如20261204）",
    "bank": "格式代码",
}
SAMPLE_CONTEXT: dict[str, Any] = {
    "total_count": 3,
    "total_amount_yuan": "2960.00",
    "total_amount_fen": 296000,
    "month": "202612",
    "county_code": "370405",
    "county_name": "台儿庄区",
    "batch_no": "37040520261201",
    "date": "20261204",
    "bank": "sample",
}
ALIGNS = {"left": "左", "right": "右"}
PADS = {" ": "空格", "0": "0"}
AMOUNT_FIELDS = {"amount_yuan", "amount_fen"}
RESULT_TEXT_KEYS = (*RESULT_KEYS, "skip")
RESULT_KEY_LABELS = {
    "reference": "业务编号",
    "account": "账号",
    "amount": "金额",
    "status": "处理结果",
    "message": "失败原因",
    "skip": "其他（不读取）",
}
MAX_WIDTH = 200


def check_template(text: str, *, field: str, label: str, sample: dict[str, Any] | None = None) -> str:
    """Refuse a template with an unknown placeholder or a bad format; returns it rendered on
    the sample values."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise InvalidInput(
            "invalid_template", f"{label}“{text}”的花括号不成对（文字中的花括号请写成 {{{{ 或 }}}}）", field=field
        ) from None
    allowed = "、".join("{" + k + "}" for k in PLACEHOLDERS)
    for _, name, _, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or conversion:
            raise InvalidInput(
                "invalid_template", f"{label}“{text}”中的“{{{name}}}”不是可用的占位符，可用：{allowed}", field=field
            )
    try:
        return text.format_map(sample or SAMPLE_CONTEXT)
    except (ValueError, TypeError):
        raise InvalidInput(
            "invalid_template",
            f"{label}“{text}”中占位符的格式写法不正确，如总笔数补零写作{{total_count:06d}}",
            field=field,
        ) from None


def check_file_name(text: str) -> None:
    """A file naming template: placeholders from the list, no path separators."""
    if not text:
        return
    if any(c in text for c in '/\\:*?"<>|') or ".." in text or text.startswith("."):
        raise InvalidInput(
            "invalid_file_name",
            '文件命名不能包含路径分隔符或 / \\ : * ? " < > | 等字符，也不能以“.”开头或含“..”',
            field="file_name",
        )
    if any(ord(c) < 32 for c in text):
        raise InvalidInput("invalid_file_name", "文件命名不能包含换行等控制字符", field="file_name")
    rendered = check_template(text, field="file_name", label="文件命名")
    if not rendered.strip() or "." not in rendered.strip(".") or len(rendered) > 120:
        raise InvalidInput(
            "invalid_file_name",
            "文件命名应带扩展名且不超过120个字符，如 {county_code}_{bank}_{month}_{batch_no}.txt",
            field="file_name",
        )


def _check_column(i: int, c: Any, file_format: str) -> dict[str, Any]:
    where = f"第{i + 1}个导出列"
    if not isinstance(c, dict) or c.get("field") not in FIELDS or not str(c.get("header", "")).strip():
        raise InvalidInput("invalid_layout", f"{where}须有列名，字段取值：{'、'.join(FIELDS)}", field=f"columns[{i}]")
    out: dict[str, Any] = {"header": str(c["header"]).strip(), "field": c["field"]}
    if file_format != "fixed":
        return out
    width = c.get("width")
    if isinstance(width, str) and width.strip().isdigit():
        width = int(width)
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= MAX_WIDTH:
        raise InvalidInput(
            "invalid_width", f"{where}“{out['header']}”须填写宽度（1至{MAX_WIDTH}字节）", field=f"columns[{i}]"
        )
    align = c.get("align") or ("right" if c["field"] in AMOUNT_FIELDS else "left")
    pad = c.get("pad") or " "
    if align not in ALIGNS:
        raise InvalidInput("invalid_choice", f"{where}的对齐方式应为左或右", field=f"columns[{i}]")
    if pad not in PADS:
        raise InvalidInput("invalid_choice", f"{where}的填充字符应为空格或0", field=f"columns[{i}]")
    return {**out, "width": width, "align": align, "pad": pad}


def validate_layout(
    columns: Any,
    result_columns: Any,
    success_values: Any,
    *,
    file_format: str = "csv",
    header_rows: Any = (),
    footer_rows: Any = (),
    file_name: str = "",
    result_format: str = "table",
    result_fields: Any = (),
) -> list[dict[str, Any]]:
    """Check a layout; returns its columns cleaned (widths as integers, defaults filled)."""
    if not isinstance(columns, list) or not columns:
        raise InvalidInput("invalid_layout", "导出列应为非空列表", field="columns")
    cleaned = [_check_column(i, c, file_format) for i, c in enumerate(columns)]
    for name, rows, label in (("header_rows", header_rows, "表头行"), ("footer_rows", footer_rows, "表尾行")):
        if not isinstance(rows, list | tuple) or not all(isinstance(r, str) for r in rows):
            raise InvalidInput("invalid_layout", f"{label}应为文字列表，每项一行", field=name)
        if rows and file_format == "xlsx":
            raise InvalidInput(
                "invalid_layout", f"Excel格式不写{label}；需要汇总行的，请选择文本（分隔符）或文本（定长）", field=name
            )
        for n, row in enumerate(rows, 1):
            check_template(row, field=name, label=f"{label}第{n}行")
    check_file_name(file_name)
    if result_format == "table":
        _check_result_columns(result_columns)
    elif result_format in ("txt", "fixed"):
        _check_result_fields(result_fields, result_format)
    else:
        raise InvalidInput(
            "invalid_choice", "回盘文件类型应为表格、文本（分隔符）或文本（定长）", field="result_format"
        )
    if not isinstance(success_values, list) or not success_values:
        raise InvalidInput("invalid_layout", "请填写表示成功的处理结果，如“成功”", field="success_values")
    return cleaned


def _check_result_columns(result_columns: Any) -> None:
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


def _check_result_fields(result_fields: Any, result_format: str) -> None:
    if not isinstance(result_fields, list) or not result_fields:
        raise InvalidInput("invalid_layout", "文本回盘文件须按顺序列出各列", field="result_fields")
    keys = []
    for i, f in enumerate(result_fields):
        key = f.get("key") if isinstance(f, dict) else None
        if key not in RESULT_TEXT_KEYS:
            raise InvalidInput(
                "invalid_layout",
                f"回盘文件第{i + 1}列的内容应为：{'、'.join(RESULT_KEY_LABELS.values())}",
                field=f"result_fields[{i}]",
            )
        width = f.get("width")
        if result_format == "fixed" and (
            not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= MAX_WIDTH
        ):
            raise InvalidInput(
                "invalid_width",
                f"回盘文件第{i + 1}列（{RESULT_KEY_LABELS[key]}）须填写宽度（1至{MAX_WIDTH}字节）",
                field=f"result_fields[{i}]",
            )
        if key != "skip" and key in keys:
            raise InvalidInput(
                "invalid_layout", f"回盘文件中“{RESULT_KEY_LABELS[key]}”列重复", field=f"result_fields[{i}]"
            )
        keys.append(key)
    if not {"amount", "status"} <= set(keys) or not ({"reference", "account"} & set(keys)):
        raise InvalidInput(
            "invalid_layout", "回盘文件须包括金额、处理结果两列，以及业务编号或账号", field="result_fields"
        )
