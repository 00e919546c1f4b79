"""The JSON form of one household: parse and validate it, and write it back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..errors import RulesInputError
from .household import (
    _HOUSEHOLD_KEYS,
    _MEMBER_KEYS,
    _SUPPORTER_KEYS,
    _TEMPORARY_KEYS,
    HouseholdFacts,
    Member,
    Supporter,
    TemporaryRequest,
    _bool,
    _check_keys,
    _date,
    _int,
    _int_map,
    _join,
    _list,
    _mapping,
    _opt_int,
    _str,
)
from .rows import validate_household


def member_from_dict(d: object, path: str = "") -> Member:
    m = _mapping(d, path, "家庭成员")
    _check_keys(m, _MEMBER_KEYS, path)
    return Member(
        age=_opt_int(m.get("age"), _join(path, "age"), "年龄"),
        birth_date=_date(m.get("birth_date"), _join(path, "birth_date"), "出生日期"),
        relation=_str(m.get("relation", "other"), _join(path, "relation"), "与申请人关系"),
        incomes=_int_map(m.get("incomes", {}), _join(path, "incomes"), "收入（分）"),
        assets=_int_map(m.get("assets", {}), _join(path, "assets"), "财产"),
        disability_grade=_int(m.get("disability_grade", 0), _join(path, "disability_grade"), "残疾等级"),
        disability_type=_str(m.get("disability_type", ""), _join(path, "disability_type"), "残疾类别"),
        labour_capacity=_str(m.get("labour_capacity", "unassessed"), _join(path, "labour_capacity"), "劳动能力"),
        self_care_unable=tuple(
            _str(x, f"{_join(path, 'self_care_unable')}[{i}]", "生活自理评估项目")
            for i, x in enumerate(_list(m.get("self_care_unable", []), _join(path, "self_care_unable"), "自理能力"))
        ),
        school=_str(m.get("school", "none"), _join(path, "school"), "在学情况"),
        medical_oop_fen=_int(m.get("medical_oop_fen", 0), _join(path, "medical_oop_fen"), "自付医疗费用（分）"),
        education_oop_fen=_int(m.get("education_oop_fen", 0), _join(path, "education_oop_fen"), "自付教育费用（分）"),
        serious_illness=_bool(m.get("serious_illness", False), _join(path, "serious_illness"), "是否重病患者"),
    )


def supporter_from_dict(d: object, path: str = "") -> Supporter:
    s = _mapping(d, path, "赡养（抚养、扶养）义务人")
    _check_keys(s, _SUPPORTER_KEYS, path)
    return Supporter(
        age=_int(s.get("age"), _join(path, "age"), "年龄"),
        relation=_str(s.get("relation", "child"), _join(path, "relation"), "关系"),
        monthly_income_fen=_int(s.get("monthly_income_fen", 0), _join(path, "monthly_income_fen"), "月收入（分）"),
        is_tekun=_bool(s.get("is_tekun", False), _join(path, "is_tekun"), "是否特困人员"),
        is_dibao=_bool(s.get("is_dibao", False), _join(path, "is_dibao"), "是否低保对象"),
        disability_grade=_int(s.get("disability_grade", 0), _join(path, "disability_grade"), "残疾等级"),
        disability_type=_str(s.get("disability_type", ""), _join(path, "disability_type"), "残疾类别"),
        incapacitated=_bool(s.get("incapacitated", False), _join(path, "incapacitated"), "是否无民事行为能力等"),
        assets_within_limit=_bool(
            s.get("assets_within_limit", False),
            _join(path, "assets_within_limit"),
            "财产是否符合低收入家庭规定",
        ),
    )


def household_from_dict(d: object) -> HouseholdFacts:
    """Parse and validate the JSON form of a household; raises ``RulesInputError``
    with a field path (``members[0].age``) on the first problem."""
    household = parse_household(d)
    validate_household(household)
    return household


def parse_household(d: object) -> HouseholdFacts:
    """``household_from_dict`` without its final range check, for callers that run the same
    check themselves while filling columns (``_HouseholdRows.add``)."""
    h = _mapping(d, "", "家庭")
    _check_keys(h, _HOUSEHOLD_KEYS, "")
    if "urban" not in h:
        raise RulesInputError("missing_field", "urban", "缺少城乡类别（urban：城市 true / 农村 false）")
    if "members" not in h:
        raise RulesInputError("missing_field", "members", "缺少家庭成员")
    members = tuple(
        member_from_dict(m, f"members[{i}]") for i, m in enumerate(_list(h["members"], "members", "家庭成员"))
    )
    supporters = tuple(
        supporter_from_dict(s, f"supporters[{i}]")
        for i, s in enumerate(_list(h.get("supporters", []), "supporters", "义务人"))
    )
    temporary = None
    if h.get("temporary") is not None:
        t = _mapping(h["temporary"], "temporary", "临时救助事由")
        _check_keys(t, _TEMPORARY_KEYS, "temporary")
        if "kind" not in t:
            raise RulesInputError("missing_field", "temporary.kind", "缺少临时救助类型")
        temporary = TemporaryRequest(
            kind=_str(t["kind"], "temporary.kind", "临时救助类型"),
            approval_level=_str(t.get("approval_level", "town"), "temporary.approval_level", "审批层级"),
            event=_str(t.get("event", ""), "temporary.event", "急难事件"),
            deliberated_amount_fen=_int(
                t.get("deliberated_amount_fen", 0), "temporary.deliberated_amount_fen", "一事一议决定金额（分）"
            ),
        )
    area = h.get("area_code")
    household = HouseholdFacts(
        members=members,
        urban=_bool(h["urban"], "urban", "城乡类别"),
        area_code=None if area is None else _str(area, "area_code", "区划代码"),
        supporters=supporters,
        temporary=temporary,
        alone=_bool(h.get("alone", False), "alone", "是否单独申请"),
        family_edge=_bool(h.get("family_edge", False), "family_edge", "所在家庭是否为低保边缘家庭"),
    )
    return household


def household_to_dict(h: HouseholdFacts) -> dict[str, Any]:
    """The JSON form of a household (defaults left out); inverse of
    ``household_from_dict``. Used in traces so a decision can be replayed."""
    out: dict[str, Any] = {"urban": h.urban}
    if h.area_code is not None:
        out["area_code"] = h.area_code
    out["members"] = [_non_default(m, Member()) for m in h.members]
    if h.supporters:
        out["supporters"] = [_non_default(s, Supporter(age=s.age)) for s in h.supporters]
        for s, d in zip(h.supporters, out["supporters"], strict=True):
            d["age"] = s.age
    if h.temporary is not None:
        out["temporary"] = _non_default(h.temporary, TemporaryRequest(kind=h.temporary.kind))
        out["temporary"]["kind"] = h.temporary.kind
    if h.alone:
        out["alone"] = True
    if h.family_edge:
        out["family_edge"] = True
    return out


def _non_default(obj: Any, default: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        if value == getattr(default, name):
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out
