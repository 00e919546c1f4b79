"""Readable audit changes: ``{"address": ["旧", "新"]}`` → ``家庭住址：旧 → 新``."""

from __future__ import annotations

import json
from typing import Any

from django import template

from jiuzhu.core.money import format_yuan
from jiuzhu.web.labels import DEPARTMENT_NAMES

register = template.Library()

LABELS = {
    "address": "家庭住址",
    "area": "区划",
    "members": "成员",
    "member": "成员",
    "name": "姓名",
    "id_number": "身份证号码",
    "phone": "联系电话",
    "bank_account": "银行账号",
    "bank_name": "开户银行",
    "relation": "与户主关系",
    "labour_capacity": "劳动能力",
    "health_status": "健康状况",
    "disability_category": "残疾类别",
    "disability_grade": "残疾等级",
    "marital_status": "婚姻状况",
    "school_status": "在校情况",
    "employment_status": "就业状况",
    "death_date": "死亡日期",
    "poverty_cause": "致贫原因",
    "hardship_degree": "困难程度",
    "rigid_expense_yearly_fen": "年刚性支出",
    "remarks": "备注",
    "categories": "对象类别",
    "reason": "原因",
    "field": "查看字段",
    "person": "成员编号",
    "from": "原家庭",
    "to": "目标家庭",
    "title": "材料名称",
    "kind": "材料类型",
    "document": "材料编号",
    "sha256": "文件哈希",
    "households": "户数",
    "persons": "人数",
    "file": "文件",
    "department": "部门",
}


def _text(value: Any, key: str = "") -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if key.endswith("_fen") and isinstance(value, int):
        return format_yuan(value)
    if key == "department" and isinstance(value, str) and value in DEPARTMENT_NAMES:
        return DEPARTMENT_NAMES[value]
    if isinstance(value, str):
        return value or "（空）"
    if value is None:
        return "（空）"
    return json.dumps(value, ensure_ascii=False)


@register.filter
def action_label(action: str) -> str:
    """``applications.approve`` → ``审批（确认）``: no code on a staff page (issue 14 item 9)."""
    from jiuzhu.audit.labels import action_label as label

    return label(action)


@register.filter
def changes_text(changes: dict[str, Any]) -> str:
    parts = []
    for key, value in (changes or {}).items():
        label = LABELS.get(key, key)
        if isinstance(value, list) and len(value) == 2 and not any(isinstance(v, dict) for v in value):
            parts.append(f"{label}：{_text(value[0], key)} → {_text(value[1], key)}")
        else:
            parts.append(f"{label}：{_text(value, key)}")
    return "；".join(parts)
