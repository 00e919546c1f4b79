"""The files handed to the user: the import template (with 填写说明) and the error report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse

from jiuzhu.core.idnumber import make_id_number
from jiuzhu.web import files

from .columns import COLUMNS


def xlsx_bytes(
    headers: list[str], rows: list[list[Any]], *, widths: list[int], notes: list[str] | None = None
) -> bytes:
    """Every cell as text: the member template (with 填写说明), exports and error reports."""
    sheet = "家庭成员" if notes else "错误报告"
    return files.xlsx(headers, rows, sheet=sheet, all_text=True, widths=widths, notes=notes)


def template_bytes() -> bytes:
    from ..validation import HEALTH, LABOUR, MARITAL, RELATIONS, SCHOOL

    def labels(table: dict[str, Any]) -> str:
        return "、".join(k for k in table if not k.isascii())

    notes = [
        "填写说明：每行填写一名家庭成员；同一家庭的成员填写相同的“家庭序号”。",
        "必填列：" + "、".join(h for _, h, req in COLUMNS if req) + "。",
        "村（社区）区划代码：12位统计用区划代码，须在您的管辖范围内。",
        "身份证号码：18位（末位可为X）或旧版15位；请将该列设置为文本格式，避免Excel把号码变成科学计数法。",
        "与户主关系：" + labels(RELATIONS) + "；每户须有且仅有一名“本人”。",
        "劳动能力：" + labels(LABOUR) + "（留空为有劳动能力）。",
        "健康状况：" + labels(HEALTH) + "。残疾类别与残疾等级须同时填写。",
        "婚姻状况：" + labels(MARITAL) + "。在校情况：" + labels(SCHOOL) + "。",
        "文件中任何一行有错误时，整份文件都不会导入；请按错误报告修改后重新上传。",
        "以下示例行为演示数据（虚构人员），正式导入前请删除。",
    ]
    example_id = make_id_number("370405", dt.date(1980, 1, 1), 1, "M")
    example = [
        [
            "1",
            "370405101201",
            "张山子镇示例村12号",
            "因病",
            "12000",
            "示例户主",
            example_id,
            "本人",
            "13800000000",
            "有劳动能力",
            "健康",
            "",
            "",
            "已婚",
            "非在校",
            "务农",
            "",
            "",
        ],
    ]
    return xlsx_bytes(
        [h for _, h, _ in COLUMNS],
        example,
        widths=[10, 18, 28, 12, 14, 10, 22, 12, 14, 16, 16, 10, 10, 10, 10, 12, 16, 24],
        notes=notes,
    )


def template_response() -> HttpResponse:
    response = HttpResponse(
        template_bytes(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E5%AE%B6%E5%BA%AD%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


def error_report_bytes(errors: list[dict[str, Any]]) -> bytes:
    rows = [[e["row"] or "", e["column"], e["message"]] for e in errors]
    return xlsx_bytes(["行号", "列", "错误说明"], rows, widths=[8, 20, 80])
