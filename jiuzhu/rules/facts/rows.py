"""Validated rows of ``HouseholdFacts`` objects, and the column specifications they fill."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from ..areas import normalize_area
from ..errors import RulesInputError
from .codes import (
    APPROVAL_LEVELS,
    ASSET_TYPES,
    DISABILITY_TYPES,
    EMERGENCY_EVENTS,
    INCOME_TYPES,
    LABOUR_CAPACITY,
    MAX_AGE,
    MAX_COUNT,
    MAX_FEN,
    MAX_MEMBERS,
    MAX_SUPPORTERS,
    RELATIONS,
    SCHOOL,
    SELF_CARE_ITEMS,
    SUPPORTER_RELATIONS,
    TEMPORARY_KINDS,
)
from .household import (
    HouseholdFacts,
    Member,
    Supporter,
    TemporaryRequest,
    _amounts,
    _bool,
    _code,
    _int,
    _join,
    _money,
    _opt_int,
)


def validate_household(h: HouseholdFacts, prefix: str = "") -> None:
    """Check types and ranges of one household; raise on the first problem."""
    _HouseholdRows().add(h, prefix, require_area=False)


# ---- columns ----------------------------------------------------------------------------

# Column specifications: name -> (dtype, default, low, high, label). Codes are checked
# against their code list; money against [0, MAX_FEN].
_HH_COLUMNS: dict[str, tuple[Any, int, int, int, str]] = {
    "urban": (np.bool_, 0, 0, 1, "城乡类别"),
    "size": (np.int64, 0, 1, MAX_MEMBERS, "家庭人口数"),
    "medical_oop_fen": (np.int64, 0, 0, MAX_FEN, "近12个月自付医疗费用"),
    "education_oop_fen": (np.int64, 0, 0, MAX_FEN, "近12个月自付教育费用"),
    "temporary_kind": (np.int8, 0, 0, len(TEMPORARY_KINDS) - 1, "临时救助类型"),
    "temporary_level": (np.int8, 0, 0, len(APPROVAL_LEVELS) - 1, "审批层级"),
    "temporary_event": (np.int8, 0, 0, len(EMERGENCY_EVENTS) - 1, "急难事件"),
    "temporary_deliberated_fen": (np.int64, 0, 0, MAX_FEN, "一事一议决定金额"),
    "alone": (np.bool_, 0, 0, 1, "单独申请"),
    "family_edge": (np.bool_, 0, 0, 1, "所在家庭为低保边缘家庭"),
    **{
        f"income_{t}": (np.int64, 0, 0, MAX_FEN * MAX_MEMBERS, label)
        for t, label in INCOME_TYPES.items()
        if t != "wage"
    },
    **{
        f"asset_{t}": (np.int64, 0, 0, (MAX_FEN if unit == "fen" else MAX_COUNT) * MAX_MEMBERS, lab)
        for t, (lab, unit) in ASSET_TYPES.items()
    },
}
_MEMBER_COLUMNS: dict[str, tuple[Any, int, int, int, str]] = {
    "age": (np.int16, -1, -1, MAX_AGE, "年龄"),
    "birth": (np.int32, 0, 0, 99991231, "出生日期"),
    "relation": (np.int8, 0, 0, len(RELATIONS) - 1, "与申请人关系"),
    "disability_grade": (np.int8, 0, 0, 4, "残疾等级"),
    "disability_type": (np.int8, 0, 0, len(DISABILITY_TYPES) - 1, "残疾类别"),
    "labour_capacity": (np.int8, 0, 0, len(LABOUR_CAPACITY) - 1, "劳动能力"),
    "self_care_unable": (np.int8, 0, 0, len(SELF_CARE_ITEMS), "不能达到的自理项目数"),
    "school": (np.int8, 0, 0, len(SCHOOL) - 1, "在学情况"),
    "wage": (np.int64, 0, 0, MAX_FEN, "工资性收入"),
    "serious_illness": (np.bool_, 0, 0, 1, "重病患者"),
}
_SUPPORTER_COLUMNS: dict[str, tuple[Any, int, int, int, str]] = {
    "household": (np.int64, -1, 0, 2**62, "所属家庭序号"),
    "relation": (np.int8, 0, 0, len(SUPPORTER_RELATIONS) - 1, "关系"),
    "age": (np.int16, -1, 0, MAX_AGE, "年龄"),
    "monthly_income_fen": (np.int64, 0, 0, MAX_FEN, "月收入"),
    "is_tekun": (np.bool_, 0, 0, 1, "是否特困人员"),
    "is_dibao": (np.bool_, 0, 0, 1, "是否低保对象"),
    "disability_grade": (np.int8, 0, 0, 4, "残疾等级"),
    "disability_type": (np.int8, 0, 0, len(DISABILITY_TYPES) - 1, "残疾类别"),
    "incapacitated": (np.bool_, 0, 0, 1, "是否无民事行为能力等"),
    "assets_within_limit": (np.bool_, 0, 0, 1, "财产是否符合低收入家庭规定"),
}
HOUSEHOLD_COLUMNS = ("area_code", *_HH_COLUMNS)
MEMBER_COLUMNS = tuple(_MEMBER_COLUMNS)
SUPPORTER_COLUMNS = tuple(_SUPPORTER_COLUMNS)


class _HouseholdRows:
    """Collects validated rows from ``HouseholdFacts`` objects, then builds columns."""

    def __init__(self) -> None:
        self.hh: dict[str, list[int]] = {name: [] for name in _HH_COLUMNS}
        self.area: list[str] = []
        self.m: dict[str, list[int]] = {name: [] for name in _MEMBER_COLUMNS}
        self.s: dict[str, list[int]] = {name: [] for name in _SUPPORTER_COLUMNS}
        self.n = 0

    def add(
        self,
        h: HouseholdFacts,
        p: str,
        area_override: str | None = None,
        require_area: bool = True,
    ) -> None:
        def at(name: str) -> str:
            return _join(p, name)

        if not isinstance(h, HouseholdFacts):
            raise RulesInputError("invalid_type", p or "household", "应为 HouseholdFacts")
        area = area_override if area_override is not None else h.area_code
        if area is None:
            if require_area:
                raise RulesInputError("missing_field", at("area_code"), "缺少区划代码")
            self.area.append("CN")
        else:
            self.area.append(normalize_area(area, at("area_code")))
        if not isinstance(h.urban, bool):
            raise RulesInputError("invalid_type", at("urban"), "城乡类别应为 true 或 false")
        members = h.members
        if not isinstance(members, tuple | list) or not members:
            raise RulesInputError("missing_field", at("members"), "家庭成员不能为空")
        if len(members) > MAX_MEMBERS:
            raise RulesInputError("out_of_range", at("members"), f"家庭成员超过{MAX_MEMBERS}人，请核实")
        row: dict[str, int] = dict.fromkeys(_HH_COLUMNS, 0)
        row["urban"] = int(h.urban)
        row["size"] = len(members)
        if not isinstance(h.alone, bool) or not isinstance(h.family_edge, bool):
            raise RulesInputError("invalid_type", at("alone"), "单独申请、低保边缘家庭应为 true 或 false")
        if h.alone and (len(members) != 1 or getattr(members[0], "relation", "") != "self"):
            message = "单独申请时家庭成员只填写申请人本人（与申请人关系为“本人”），参照单人户测算"
            raise RulesInputError("invalid_value", at("members"), message)
        row["alone"], row["family_edge"] = int(h.alone), int(h.family_edge)
        for i, m in enumerate(members):
            self._member(m, at(f"members[{i}]"), row)
        supporters = h.supporters
        if not isinstance(supporters, tuple | list):
            raise RulesInputError("invalid_type", at("supporters"), "义务人应为列表")
        if len(supporters) > MAX_SUPPORTERS:
            raise RulesInputError("out_of_range", at("supporters"), "义务人人数超出合理范围")
        for i, s in enumerate(supporters):
            self._supporter(s, at(f"supporters[{i}]"))
        t = h.temporary
        if t is not None:
            if not isinstance(t, TemporaryRequest):
                raise RulesInputError("invalid_type", at("temporary"), "应为 TemporaryRequest")
            row["temporary_kind"] = _code(TEMPORARY_KINDS, t.kind, at("temporary.kind"), "临时救助类型")
            if t.kind == "":
                raise RulesInputError("missing_field", at("temporary.kind"), "缺少临时救助类型")
            row["temporary_level"] = _code(
                APPROVAL_LEVELS, t.approval_level, at("temporary.approval_level"), "审批层级"
            )
            row["temporary_event"] = _code(EMERGENCY_EVENTS, t.event, at("temporary.event"), "急难事件")
            if t.kind == "emergency" and t.event == "":
                raise RulesInputError("missing_field", at("temporary.event"), "急难型临时救助须说明遭遇的急难事件")
            amount = _opt_int(t.deliberated_amount_fen, at("temporary.deliberated_amount_fen"), "一事一议决定金额")
            if amount:
                if not 0 < amount <= MAX_FEN:
                    raise RulesInputError(
                        "out_of_range", at("temporary.deliberated_amount_fen"), "一事一议决定金额超出合理范围"
                    )
                if t.approval_level != "deliberation" or t.kind not in ("illness", "education"):
                    raise RulesInputError(
                        "invalid_value",
                        at("temporary.deliberated_amount_fen"),
                        "一事一议决定金额仅适用于经一事一议的支出型临时救助（审批层级为 deliberation）",
                    )
                row["temporary_deliberated_fen"] = amount
        for name, value in row.items():
            self.hh[name].append(value)
        self.n += 1

    def _member(self, m: Member, p: str, row: dict[str, int]) -> None:
        def at(name: str) -> str:
            return _join(p, name)

        if not isinstance(m, Member):
            raise RulesInputError("invalid_type", p, "应为 Member")
        age = _opt_int(m.age, at("age"), "年龄")
        if m.birth_date is not None and not isinstance(m.birth_date, date):
            raise RulesInputError("invalid_type", at("birth_date"), "出生日期应为日期")
        if age is None and m.birth_date is None:
            raise RulesInputError("missing_field", at("age"), "缺少年龄或出生日期")
        if age is not None and m.birth_date is not None:
            raise RulesInputError("invalid_value", at("birth_date"), "年龄与出生日期只能填写一项")
        if age is not None and not 0 <= age <= MAX_AGE:
            raise RulesInputError("out_of_range", at("age"), f"年龄{age}周岁超出合理范围（0–{MAX_AGE}周岁）")
        birth = 0
        if m.birth_date is not None:
            if m.birth_date.year < 1850:
                raise RulesInputError("out_of_range", at("birth_date"), "出生日期超出合理范围")
            birth = m.birth_date.year * 10000 + m.birth_date.month * 100 + m.birth_date.day
        grade = _opt_int(m.disability_grade, at("disability_grade"), "残疾等级") or 0
        if not 0 <= grade <= 4:
            raise RulesInputError("out_of_range", at("disability_grade"), "残疾等级应为1–4级（0表示无）")
        dtype = _code(DISABILITY_TYPES, m.disability_type, at("disability_type"), "残疾类别")
        if grade and not dtype:
            raise RulesInputError("missing_field", at("disability_type"), "填写了残疾等级，缺少残疾类别")
        if dtype and not grade:
            raise RulesInputError("missing_field", at("disability_grade"), "填写了残疾类别，缺少残疾等级")
        items = m.self_care_unable
        if not isinstance(items, tuple | list):
            raise RulesInputError("invalid_type", at("self_care_unable"), "自理能力评估项目应为列表")
        for i, item in enumerate(items):
            _code(SELF_CARE_ITEMS, item, at(f"self_care_unable[{i}]"), "生活自理评估项目")
        if len(set(items)) != len(items):
            raise RulesInputError("invalid_value", at("self_care_unable"), "自理能力评估项目重复")
        incomes = _amounts(m.incomes, at("incomes"))
        wage = 0
        for key, amount in incomes.items():
            if key not in INCOME_TYPES:
                raise RulesInputError("unknown_field", at(f"incomes.{key}"), f"未知收入类型“{key}”")
            _money(amount, at(f"incomes.{key}"), "收入")
            if key == "wage":
                wage = amount
            else:
                row[f"income_{key}"] += amount
        for key, amount in _amounts(m.assets, at("assets")).items():
            if key not in ASSET_TYPES:
                raise RulesInputError("unknown_field", at(f"assets.{key}"), f"未知财产类型“{key}”")
            if ASSET_TYPES[key][1] == "fen":
                _money(amount, at(f"assets.{key}"), "财产金额")
            elif not 0 <= amount <= MAX_COUNT:
                if amount < 0:
                    raise RulesInputError("negative_value", at(f"assets.{key}"), "数量不能为负数")
                raise RulesInputError("out_of_range", at(f"assets.{key}"), "数量超出合理范围")
            row[f"asset_{key}"] += amount
        for name in ("medical_oop_fen", "education_oop_fen"):
            amount = _opt_int(getattr(m, name), at(name), "费用（分）") or 0
            _money(amount, at(name), "费用")
            row[name] += amount
        values = {
            "age": -1 if age is None else age,
            "birth": birth,
            "relation": _code(RELATIONS, m.relation, at("relation"), "与申请人关系"),
            "disability_grade": grade,
            "disability_type": dtype,
            "labour_capacity": _code(LABOUR_CAPACITY, m.labour_capacity, at("labour_capacity"), "劳动能力"),
            "self_care_unable": len(items),
            "school": _code(SCHOOL, m.school, at("school"), "在学情况"),
            "wage": wage,
            "serious_illness": int(_bool(m.serious_illness, at("serious_illness"), "是否重病患者")),
        }
        for name, value in values.items():
            self.m[name].append(value)

    def _supporter(self, s: Supporter, p: str) -> None:
        def at(name: str) -> str:
            return _join(p, name)

        if not isinstance(s, Supporter):
            raise RulesInputError("invalid_type", p, "应为 Supporter")
        age = _int(s.age, at("age"), "年龄")
        if not 0 <= age <= MAX_AGE:
            raise RulesInputError("out_of_range", at("age"), f"年龄{age}周岁超出合理范围（0–{MAX_AGE}周岁）")
        income = _int(s.monthly_income_fen, at("monthly_income_fen"), "月收入（分）")
        _money(income, at("monthly_income_fen"), "收入")
        grade = _int(s.disability_grade, at("disability_grade"), "残疾等级")
        if not 0 <= grade <= 4:
            raise RulesInputError("out_of_range", at("disability_grade"), "残疾等级应为1–4级（0表示无）")
        dtype = _code(DISABILITY_TYPES, s.disability_type, at("disability_type"), "残疾类别")
        if bool(grade) != bool(dtype):
            raise RulesInputError("missing_field", at("disability_type"), "残疾等级与残疾类别须同时填写")
        flags = {}
        for name in ("is_tekun", "is_dibao", "incapacitated", "assets_within_limit"):
            flags[name] = int(_bool(getattr(s, name), at(name), name))
        values = {
            "household": self.n,
            "relation": _code(SUPPORTER_RELATIONS, s.relation, at("relation"), "关系"),
            "age": age,
            "monthly_income_fen": income,
            "disability_grade": grade,
            "disability_type": dtype,
            **flags,
        }
        for name, value in values.items():
            self.s[name].append(value)
