"""One household as dataclasses (the API and traced single evaluation use them), and the
primitive checks that parse its JSON form with field paths (``members[0].incomes.wage``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import RulesInputError
from .codes import MAX_FEN

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
    raise RulesInputError("invalid_type", path, f"{what}应为日期（如2026-01-31）")


def _int_map(value: object, path: str, what: str) -> dict[str, int]:
    m = _mapping(value, path, what)
    return {str(k): _int(v, _join(path, str(k)), what) for k, v in m.items()}


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
