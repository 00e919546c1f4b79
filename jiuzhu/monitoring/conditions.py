"""预警条件 (issue 17 item 1): the small vocabulary a monitoring rule's condition is written in —
a measure compared with a value, or a department status (optionally new within some days and
naming some words) — its Chinese wording and its checking. County staff pick from it on a page
(no code); ``warnings`` evaluates it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jiuzhu.applications.models import PROGRAM_CHOICES
from jiuzhu.core.errors import InvalidInput

# ---- the condition vocabulary (预警条件) -----------------------------------------------------


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str
    kind: str  # the effect kind of verification's catalog it sums: expense or income
    effect_measure: str = ""


MEASURES: dict[str, Measure] = {
    "medical_expense_12m": Measure("医保个人自付医疗费用（近12个月合计）", "元", "expense", "medical"),
    "education_expense_12m": Measure("个人自付教育费用（近12个月合计）", "元", "expense", "education"),
    "income_per_capita": Measure("家庭月人均收入（部门数据）", "倍当地低保标准", "income"),
}
# Department statuses a rule may name (verification's catalog words, said as an event).
STATUSES: dict[str, str] = {
    "disability": "残联：持有残疾人证",
    "unemployed": "人社：失业登记",
    "disaster": "应急：受灾人员",
    "poverty_monitoring": "乡村振兴：脱贫或防返贫监测对象",
    "death": "公安/殡葬：死亡",
    "student": "教体：在校就读",
    "housing_security": "住建：享受住房保障",
}
OPS = {">=": "不低于", ">": "高于", "<": "低于", "<=": "不高于"}
MAX_NEW_DAYS = 3650
MONTHLY_PROGRAMS = ("dibao", "tekun", "dibao_edge", "rigid_expense")  # paid monthly until stopped


def condition_label(condition: dict[str, Any]) -> str:
    """The condition in Chinese, as the rule list and the warning show it."""
    if "measure" in condition:
        m = MEASURES.get(condition["measure"])
        if m is None:
            return "（未知条件）"
        return f"{m.label}{OPS.get(condition.get('op', ''), '')}{condition.get('value')}{m.unit}"
    if condition.get("status") == "campaign":  # the county's 摸底排查 rule (monitoring/campaigns.py)
        return "摸底排查入户走访发现困难（由排查结果生成，不参与自动预警）"
    if condition.get("status") == "suspected":  # a department's list (monitoring/suspected.py)
        return "部门推送疑似困难人员名单（由名单生成，不参与自动预警）"
    label = STATUSES.get(condition.get("status", ""), "（未知条件）")
    if condition.get("new_days"):
        label += f"（近{condition['new_days']}天新增）"
    if condition.get("detail_any"):
        label += f"，且含“{'”或“'.join(condition['detail_any'])}”"
    return label


def clean_condition(raw: Any) -> dict[str, Any]:
    """A condition from a form or the API, checked; precise Chinese messages naming the field."""
    if not isinstance(raw, dict):
        raise InvalidInput("invalid_condition", "预警条件格式不正确", field="condition")
    if raw.get("measure"):
        code = str(raw["measure"])
        if code not in MEASURES:
            raise InvalidInput("invalid_choice", f"未知的预警指标“{code}”", field="condition.measure")
        op = str(raw.get("op") or "")
        if op not in OPS:
            raise InvalidInput("invalid_choice", "请选择比较方式（不低于、高于、低于、不高于）", field="condition.op")
        try:
            value = Decimal(str(raw.get("value")))
        except (InvalidOperation, ValueError):
            raise InvalidInput("invalid_number", "条件数值须为数字", field="condition.value") from None
        if not value.is_finite() or value <= 0:
            raise InvalidInput("invalid_number", "条件数值须大于0", field="condition.value")
        if code == "income_per_capita" and value > 10:
            raise InvalidInput("invalid_number", "人均收入的倍数须在0到10倍低保标准之间", field="condition.value")
        number: int | float = int(value) if value == value.to_integral_value() else float(value)
        return {"measure": code, "op": op, "value": number}
    status = str(raw.get("status") or "")
    if not status:
        raise InvalidInput("required", "请选择预警条件（指标或部门数据）", field="condition")
    if status not in STATUSES:
        raise InvalidInput("invalid_choice", f"未知的部门数据状况“{status}”", field="condition.status")
    out: dict[str, Any] = {"status": status}
    new_days = raw.get("new_days")
    if new_days not in (None, "", 0):
        try:
            days = int(str(new_days))
        except ValueError:
            raise InvalidInput("invalid_number", "“近多少天新增”须为整数天数", field="condition.new_days") from None
        if not 1 <= days <= MAX_NEW_DAYS:
            raise InvalidInput(
                "invalid_number", f"“近多少天新增”须在1到{MAX_NEW_DAYS}天之间", field="condition.new_days"
            )
        out["new_days"] = days
    detail = raw.get("detail_any") or []
    if isinstance(detail, str):
        detail = [w for w in detail.replace("，", ",").split(",")]
    words = [str(w).strip() for w in detail if str(w).strip()]
    if any(len(w) > 20 for w in words):
        raise InvalidInput("too_long", "关键词每个不超过20个字", field="condition.detail_any")
    if words:
        out["detail_any"] = words
    return out


def program_choices() -> list[tuple[str, str]]:
    return list(PROGRAM_CHOICES)
