"""Facts about households (家庭经济状况等事实), one at a time or as numpy columns.

``HouseholdFacts`` / ``Member`` / ``Supporter`` describe one household for the API and
for traced single evaluation; ``household_from_dict`` parses and validates the JSON form
with field paths (``members[0].incomes.wage``). ``FactsBatch`` holds many households as
columns — household columns of length H, member columns of length M (members of a
household are contiguous), supporter columns of length S — so that formulas never loop
over households in Python. A single household is a batch of one.

Money is integer fen (分); monthly unless the name says ``_12m`` (last 12 months).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from .areas import normalize_area, to_int12
from .errors import RulesInputError

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


# ---- one household -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:  # 家庭成员（共同生活家庭成员）
    """One member of the household. Give ``age`` (周岁 on the evaluation date) or
    ``birth_date``, not both. ``incomes`` are monthly fen by ``INCOME_TYPES`` code;
    ``assets`` are fen (deposits, securities) or counts (vehicles, houses, businesses)
    by ``ASSET_TYPES`` code; a jointly owned house is entered under one member only.
    ``medical_oop_fen`` / ``education_oop_fen`` are the member's out-of-pocket medical
    and education costs over the last 12 months (近12个月个人自付医疗费用、教育费用)."""

    age: int | None = None
    birth_date: date | None = None
    relation: str = "other"
    incomes: Mapping[str, int] = field(default_factory=dict)
    assets: Mapping[str, int] = field(default_factory=dict)
    disability_grade: int = 0  # 残疾等级 1–4 (一级最重), 0 = none
    disability_type: str = ""  # DISABILITY_TYPES code
    labour_capacity: str = "unassessed"  # 劳动能力 (LABOUR_CAPACITY code)
    self_care_unable: tuple[str, ...] = ()  # 生活自理能力: SELF_CARE_ITEMS not achieved
    school: str = "none"  # 在学情况 (SCHOOL code)
    medical_oop_fen: int = 0
    education_oop_fen: int = 0
    serious_illness: bool = False  # 重病患者（患重特大疾病）


@dataclass(frozen=True, slots=True)
class Supporter:  # 法定赡养、抚养、扶养义务人（不在共同生活家庭内）
    """A legal supporter living outside the household (a child living elsewhere, …),
    with what 民发〔2021〕43号 第八条 needs to decide whether he or she is able to
    support (有无履行义务能力)."""

    age: int
    relation: str = "child"
    monthly_income_fen: int = 0
    is_tekun: bool = False  # 本人是特困人员
    is_dibao: bool = False  # 本人是最低生活保障对象
    disability_grade: int = 0
    disability_type: str = ""
    incapacitated: bool = False  # 无民事行为能力、被宣告失踪或在监狱服刑
    assets_within_limit: bool = False  # 财产符合当地低收入家庭财产状况规定


@dataclass(frozen=True, slots=True)
class TemporaryRequest:  # 临时救助申请事由
    """What the 临时救助 application is about: ``kind`` illness / education (支出型)
    or emergency (急难型, with ``event``), and the level that approves it. At the level
    ``deliberation`` (一事一议) of a 支出型 case, ``deliberated_amount_fen`` is the amount the
    meeting decided (0 = none decided yet); the rules check it against the ordinary band
    and the 一事一议 ceiling."""

    kind: str
    approval_level: str = "town"
    event: str = ""
    deliberated_amount_fen: int = 0  # 一事一议决定金额


@dataclass(frozen=True, slots=True)
class HouseholdFacts:  # 家庭 / 共同生活家庭
    """A household as the rules see it. ``urban`` chooses the urban or rural 低保
    standard (城市/农村低保); ``area_code`` is the area of residence (any level, 2–12
    digits); ``supporters`` are legal supporters outside the household; ``temporary``
    is needed only for the 临时救助 program.

    ``alone`` is 单独申请: an adult with severe disability or serious illness in a 低保边缘
    household applies by him- or herself, as a one-person household (参照单人户); ``members``
    then holds only the applicant (relation ``self``) and ``family_edge`` says whether the
    whole 共同生活家庭 is a 低保边缘家庭 (the platform evaluates it on the whole family)."""

    members: tuple[Member, ...]
    urban: bool
    area_code: str | None = None
    supporters: tuple[Supporter, ...] = ()
    temporary: TemporaryRequest | None = None
    alone: bool = False  # 单独申请（参照单人户）
    family_edge: bool = False  # 所在共同生活家庭为低保边缘家庭


# ---- parsing the JSON form -----------------------------------------------------------

_MEMBER_KEYS = frozenset(Member.__dataclass_fields__)
_SUPPORTER_KEYS = frozenset(Supporter.__dataclass_fields__)
_TEMPORARY_KEYS = frozenset(TemporaryRequest.__dataclass_fields__)
_HOUSEHOLD_KEYS = frozenset(HouseholdFacts.__dataclass_fields__)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _check_keys(d: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
    for key in d:
        if key not in allowed:
            raise RulesInputError("unknown_field", _join(path, str(key)), f"未知字段“{key}”")


def _mapping(value: object, path: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RulesInputError("invalid_type", path, f"{what}应为对象（键值对）")
    return value


def _list(value: object, path: str, what: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise RulesInputError("invalid_type", path, f"{what}应为列表")
    return list(value)


def _opt_int(value: object, path: str, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesInputError("invalid_type", path, f"{what}应为整数")
    return value


def _int(value: object, path: str, what: str) -> int:
    out = _opt_int(value, path, what)
    if out is None:
        raise RulesInputError("missing_field", path, f"缺少{what}")
    return out


def _bool(value: object, path: str, what: str) -> bool:
    if not isinstance(value, bool):
        raise RulesInputError("invalid_type", path, f"{what}应为 true 或 false")
    return value


def _str(value: object, path: str, what: str) -> str:
    if not isinstance(value, str):
        raise RulesInputError("invalid_type", path, f"{what}应为字符串")
    return value


def _date(value: object, path: str, what: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RulesInputError("invalid_type", path, f"{what}应为日期（YYYY-MM-DD）")


def _int_map(value: object, path: str, what: str) -> dict[str, int]:
    m = _mapping(value, path, what)
    return {str(k): _int(v, _join(path, str(k)), what) for k, v in m.items()}


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
    validate_household(household)
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


def _code(table: Mapping[str, str], value: object, path: str, what: str) -> int:
    if not isinstance(value, str):
        raise RulesInputError("invalid_type", path, f"{what}应为字符串代码")
    try:
        return list(table).index(value)
    except ValueError:
        allowed = "、".join(f"{k}（{v}）" for k, v in table.items() if k)
        raise RulesInputError("invalid_value", path, f"{what}“{value}”无效，可选：{allowed}") from None


def _amounts(value: object, path: str) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise RulesInputError("invalid_type", path, "应为对象（类型: 金额）")
    return {str(k): _int(v, _join(path, str(k)), "金额或数量") for k, v in value.items()}


def _money(amount: int, path: str, what: str) -> None:
    if amount < 0:
        raise RulesInputError("negative_value", path, f"{what}不能为负数（{amount}分）")
    if amount > MAX_FEN:
        raise RulesInputError("out_of_range", path, f"{what}超出合理范围（{amount}分）")


# ---- the batch -----------------------------------------------------------------------


class FactsBatch:
    """Households as columns. Build with ``from_households`` (validated dataclasses) or
    ``from_columns`` (numpy arrays, validated vectorized).

    Attributes: ``hh`` (household columns, length H, incl. ``area`` as 12-digit int64
    and ``start``, the index of each household's first member), ``members`` (length M),
    ``supporters`` (length S; ``household`` is the owning household's index).
    """

    def __init__(
        self,
        hh: dict[str, Array],
        members: dict[str, Array],
        supporters: dict[str, Array],
        households: tuple[HouseholdFacts, ...] | None = None,
        single: bool = False,
    ) -> None:
        self.hh = hh
        self.members = members
        self.supporters = supporters
        self.households = households
        self.single = single  # a batch of one: field paths without "households[0]."
        self.n = int(hh["size"].shape[0])

    def __len__(self) -> int:
        return self.n

    # ---- constructors ----

    @classmethod
    def from_households(
        cls, households: Sequence[HouseholdFacts], area_codes: Sequence[str | None] | None = None
    ) -> FactsBatch:
        """Validate and convert dataclass households (each with its ``area_code``,
        or with ``area_codes[i]`` given here)."""
        rows = _HouseholdRows()
        for i, h in enumerate(households):
            override = area_codes[i] if area_codes is not None else None
            rows.add(h, f"households[{i}]", override)
        return cls._from_rows(rows, tuple(households), single=False)

    @classmethod
    def one(cls, household: HouseholdFacts, area_code: str | None = None) -> FactsBatch:
        """A batch of one household; error paths read ``members[0].age``."""
        rows = _HouseholdRows()
        rows.add(household, "", area_code)  # area_code None: household.area_code
        return cls._from_rows(rows, (household,), single=True)

    @classmethod
    def _from_rows(cls, rows: _HouseholdRows, households: tuple[HouseholdFacts, ...], single: bool) -> FactsBatch:
        hh = {name: np.array(rows.hh[name], dtype=spec[0]) for name, spec in _HH_COLUMNS.items()}
        hh["area"] = np.array([to_int12(a) for a in rows.area], dtype=np.int64)
        members = {name: np.array(rows.m[name], dtype=spec[0]) for name, spec in _MEMBER_COLUMNS.items()}
        supporters = {name: np.array(rows.s[name], dtype=spec[0]) for name, spec in _SUPPORTER_COLUMNS.items()}
        return cls._finish(hh, members, supporters, households, single)

    @classmethod
    def from_columns(
        cls,
        households: Mapping[str, npt.ArrayLike],
        members: Mapping[str, npt.ArrayLike],
        supporters: Mapping[str, npt.ArrayLike] | None = None,
    ) -> FactsBatch:
        """Build a batch from columns (see ``HOUSEHOLD_COLUMNS``, ``MEMBER_COLUMNS``,
        ``SUPPORTER_COLUMNS``). Required: ``area_code`` (12-digit ints or code strings),
        ``urban``, ``size``, and member ``age`` or ``birth`` (YYYYMMDD int; ``age`` -1
        where the birth date is given). Members are ordered by household. Codes are the
        positions in the code lists (``code_of``). Missing optional columns are zeros.
        Every column is range-checked; the error path names the first bad row."""
        for name in households:
            if name not in HOUSEHOLD_COLUMNS:
                raise RulesInputError("unknown_field", f"households.{name}", f"未知列“{name}”")
        for name in members:
            if name not in _MEMBER_COLUMNS:
                raise RulesInputError("unknown_field", f"members.{name}", f"未知列“{name}”")
        for name in supporters or {}:
            if name not in _SUPPORTER_COLUMNS:
                raise RulesInputError("unknown_field", f"supporters.{name}", f"未知列“{name}”")
        for name in ("area_code", "urban", "size"):
            if name not in households:
                raise RulesInputError("missing_field", f"households.{name}", f"缺少列“{name}”")
        size = _column(households["size"], np.int64, "households.size")
        n = size.shape[0]
        hh: dict[str, Array] = {}
        for name, (dtype, default, _, _, _) in _HH_COLUMNS.items():
            if name in households:
                hh[name] = _column(households[name], dtype, f"households.{name}", n)
            else:
                hh[name] = np.full(n, default, dtype=dtype)
        hh["area"] = _area_column(households["area_code"], n)
        m_total = int(size.sum()) if n else 0
        mem: dict[str, Array] = {}
        if "age" not in members and "birth" not in members:
            raise RulesInputError("missing_field", "members.age", "缺少成员年龄或出生日期列")
        for name, (dtype, default, _, _, _) in _MEMBER_COLUMNS.items():
            if name in members:
                mem[name] = _column(members[name], dtype, f"members.{name}", m_total)
            else:
                mem[name] = np.full(m_total, default, dtype=dtype)
        sup: dict[str, Array] = {}
        supporters = supporters or {}
        s_total = len(np.asarray(supporters["household"])) if "household" in supporters else 0
        if supporters and "household" not in supporters:
            raise RulesInputError("missing_field", "supporters.household", "缺少义务人所属家庭列")
        for name, (dtype, default, _, _, _) in _SUPPORTER_COLUMNS.items():
            if name in supporters:
                sup[name] = _column(supporters[name], dtype, f"supporters.{name}", s_total)
            else:
                sup[name] = np.full(s_total, default, dtype=dtype)
        if s_total and (sup["household"].min() < 0 or sup["household"].max() >= n):
            raise RulesInputError("out_of_range", "supporters.household", "义务人所属家庭序号超出范围")
        if s_total and "age" not in supporters:
            raise RulesInputError("missing_field", "supporters.age", "缺少义务人年龄列")
        batch = cls._finish(hh, mem, sup, None, single=False)
        batch._check_ranges()
        return batch

    @classmethod
    def _finish(
        cls,
        hh: dict[str, Array],
        members: dict[str, Array],
        supporters: dict[str, Array],
        households: tuple[HouseholdFacts, ...] | None,
        single: bool,
    ) -> FactsBatch:
        size = hh["size"]
        start = np.zeros(size.shape[0], dtype=np.int64)
        if size.shape[0] > 1:
            np.cumsum(size[:-1], out=start[1:])
        hh["start"] = start
        # household sums of member wages, so every income type is a household column
        if members["wage"].shape[0] and size.shape[0]:
            hh["income_wage"] = np.add.reduceat(members["wage"].astype(np.int64), start)
        else:
            hh["income_wage"] = np.zeros(size.shape[0], dtype=np.int64)
        return cls(hh, members, supporters, households, single)

    def slice(self, a: int, b: int) -> FactsBatch:
        """Households ``a`` to ``b - 1`` as a batch of their own (views, no copies of
        household and member columns)."""
        a, b = max(0, a), min(self.n, b)
        start, size = self.hh["start"], self.hh["size"]
        m0 = int(start[a]) if a < b else 0
        m1 = int(start[b - 1] + size[b - 1]) if a < b else 0
        hh = {k: v[a:b] for k, v in self.hh.items()}
        hh["start"] = start[a:b] - m0
        members = {k: v[m0:m1] for k, v in self.members.items()}
        owner = self.supporters["household"]
        keep = (owner >= a) & (owner < b)
        supporters = {k: v[keep] for k, v in self.supporters.items()}
        supporters["household"] = supporters["household"] - a
        households = self.households[a:b] if self.households is not None else None
        return FactsBatch(hh, members, supporters, households, self.single)

    # ---- validation of columns ----

    def _check_ranges(self) -> None:
        size = self.hh["size"]
        if size.shape[0] and (size.min() < 1 or size.max() > MAX_MEMBERS):
            i = int(np.flatnonzero((size < 1) | (size > MAX_MEMBERS))[0])
            raise RulesInputError("out_of_range", self.household_path(i, "size"), f"家庭人口数应为1–{MAX_MEMBERS}人")
        for name, (_, _, lo, hi, label) in _HH_COLUMNS.items():
            self._range(self.hh[name], lo, hi, label, lambda j, f=name: self.household_path(j, f))
        for name, (_, _, lo, hi, label) in _MEMBER_COLUMNS.items():
            self._range(self.members[name], lo, hi, label, lambda j, f=name: self.member_path(j, f))
        for name, (_, _, lo, hi, label) in _SUPPORTER_COLUMNS.items():
            self._range(self.supporters[name], lo, hi, label, lambda j, f=name: f"supporters[{j}].{f}")
        m = self.members
        bad = (m["age"] < 0) & (m["birth"] == 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise RulesInputError("missing_field", self.member_path(j, "age"), "缺少年龄或出生日期")
        birth = m["birth"]
        given = birth > 0
        if given.any():
            month, day = (birth // 100) % 100, birth % 100
            bad = given & ((month < 1) | (month > 12) | (day < 1) | (day > 31) | (birth < 18500101))
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise RulesInputError("invalid_value", self.member_path(j, "birth"), "出生日期无效")
        bad = (m["disability_grade"] > 0) != (m["disability_type"] > 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise RulesInputError(
                "missing_field",
                self.member_path(j, "disability_type"),
                "残疾等级与残疾类别须同时填写",
            )

    def _range(self, col: Array, lo: int, hi: int, label: str, path: Any) -> None:
        if not col.shape[0]:
            return
        if col.min() >= lo and col.max() <= hi:
            return
        j = int(np.flatnonzero((col < lo) | (col > hi))[0])
        value = int(col[j])
        code = "negative_value" if value < 0 <= lo else "out_of_range"
        raise RulesInputError(code, path(j), f"{label}取值{value}超出允许范围（{lo}–{hi}）")

    # ---- field paths for errors found later (e.g. a birth date after the date) ----

    def household_path(self, i: int, name: str) -> str:
        return name if self.single else f"households[{i}].{name}"

    def member_path(self, j: int, name: str) -> str:
        i = int(np.searchsorted(self.hh["start"], j, side="right")) - 1
        k = j - int(self.hh["start"][i])
        return self.household_path(i, f"members[{k}].{name}")


def _column(values: npt.ArrayLike, dtype: Any, path: str, length: int | None = None) -> Array:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise RulesInputError("invalid_type", path, "列应为一维数组")
    if length is not None and arr.shape[0] != length:
        raise RulesInputError("invalid_value", path, f"列长度{arr.shape[0]}与应有行数{length}不一致")
    if arr.shape[0] and not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.bool_)):
        raise RulesInputError("invalid_type", path, "列应为整数或布尔数组（金额以分为单位）")
    if arr.shape[0] and np.issubdtype(arr.dtype, np.integer) and dtype is np.bool_:
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            raise RulesInputError("invalid_value", f"{path}[{int(np.flatnonzero(bad)[0])}]", "应为 0 或 1")
    if arr.shape[0] and np.issubdtype(arr.dtype, np.integer) and dtype is not np.bool_:
        info = np.iinfo(dtype)
        if arr.min() < info.min or arr.max() > info.max:
            j = int(np.flatnonzero((arr < info.min) | (arr > info.max))[0])
            raise RulesInputError("out_of_range", f"{path}[{j}]", "取值超出允许范围")
    return arr.astype(dtype, copy=False)


def _area_column(values: npt.ArrayLike, n: int) -> Array:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise RulesInputError("invalid_value", "households.area_code", "区划代码列长度与家庭数不一致")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    uniq, inv = np.unique(arr, return_inverse=True)
    out = np.empty(uniq.shape[0], dtype=np.int64)
    for k, code in enumerate(uniq.tolist()):
        try:
            out[k] = to_int12(normalize_area(code))
        except RulesInputError as e:
            i = int(np.flatnonzero(inv == k)[0])
            raise RulesInputError(e.code, f"households[{i}].area_code", e.message) from None
    return out[inv.reshape(-1)]
