"""Limits and code lists of the facts: the position of a code is its integer value in batch columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy.typing as npt

Array = npt.NDArray[Any]

MAX_FEN = 10**11  # 10亿元: anything above is a data error, not a household
MAX_AGE = 150
MAX_MEMBERS = 30
MAX_SUPPORTERS = 30
MAX_COUNT = 1000

# Code lists. The position of a code is its integer value in batch columns.
RELATIONS: dict[str, str] = {
    "self": "本人（申请人）",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "grandparent": "祖父母、外祖父母",
    "grandchild": "孙子女、外孙子女",
    "sibling": "兄弟姐妹",
    "child_in_law": "儿媳、女婿",
    "other": "其他共同生活成员",
}
INCOME_TYPES: dict[str, str] = {
    "wage": "工资性收入",
    "business": "经营净收入",
    "property": "财产净收入",
    "pension": "养老金、退休金",
    "basic_pension": "城乡居民基本养老保险基础养老金",
    "support": "赡养费、抚养费、扶养费",
    "transfer": "其他转移净收入",
    "family_planning": "计划生育奖励与扶助金",
    "preferential": "优待抚恤金",
    "award": "奖学金、见义勇为等奖励性补助",
    "allowance": "高龄津贴、残疾人两项补贴等福利性补贴",
    "agricultural_subsidy": "农业生产性补贴",
    "other": "其他收入",
}
ASSET_TYPES: dict[str, tuple[str, str]] = {
    "deposits": ("存款", "fen"),
    "securities": ("有价证券、理财产品等金融资产", "fen"),
    "vehicles": ("机动车辆（不含残疾人功能性补偿代步机动车、普通二轮摩托车）", "count"),
    "houses": ("住房（套）", "count"),
    "businesses": ("作为股东或法定代表人登记的企业", "count"),
}
DISABILITY_TYPES: dict[str, str] = {
    "": "无残疾",
    "visual": "视力残疾",
    "hearing": "听力残疾",
    "speech": "言语残疾",
    "physical": "肢体残疾",
    "intellectual": "智力残疾",
    "mental": "精神残疾",
    "multiple": "多重残疾",
}
LABOUR_CAPACITY: dict[str, str] = {
    "unassessed": "未评定",
    "full": "有劳动能力",
    "partial": "部分丧失劳动能力",
    "none": "完全丧失劳动能力",
}
SELF_CARE_ITEMS: dict[str, str] = {
    "eat": "自主吃饭",
    "dress": "自主穿衣",
    "bed": "自主上下床",
    "toilet": "自主如厕",
    "walk": "室内行走",
    "bathe": "自主洗澡",
}
SCHOOL: dict[str, str] = {
    "none": "不在学",
    "preschool": "学前教育",
    "primary": "小学",
    "junior": "初中",
    "senior": "普通高中",
    "vocational": "中等职业教育",
    "higher": "高等教育",
}
TEMPORARY_KINDS: dict[str, str] = {
    "": "未申请临时救助",
    "illness": "支出型临时救助（重特大疾病）",
    "education": "支出型临时救助（子女教育费用）",
    "emergency": "急难型临时救助",
}
APPROVAL_LEVELS: dict[str, str] = {
    "town": "镇（街道）审批",
    "county": "县级民政部门审批",
    "deliberation": "一事一议",
}
EMERGENCY_EVENTS: dict[str, str] = {
    "": "无",
    "fire": "火灾",
    "traffic_accident": "交通事故",
    "sudden_illness": "突发重大疾病",
    "natural_disaster": "自然灾害",
    "accident": "其他意外事件",
    "other": "其他突发情况",
}
SUPPORTER_RELATIONS: dict[str, str] = {k: v for k, v in RELATIONS.items() if k != "self"}


def code_of(table: Mapping[str, str], value: str) -> int:
    """Integer code of ``value`` in a code list (for building columns by hand)."""
    return list(table).index(value)
