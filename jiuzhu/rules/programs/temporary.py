"""临时救助: 支出型 (重特大疾病、子女教育费用) and 急难型.

支出型 (桓政字〔2021〕7号 五): for serious illness 3–12 times, for children's
self-paid education costs 3–6 times the *urban* monthly 低保 standard. Within the band the
amount is the configured share of the out-of-pocket cost. 急难型: a configured multiple
of the urban monthly standard, paid first (先行救助, within 24 hours). Each approval level
has a ceiling (镇街审批限额, 县级审批限额). For 重大生活困难 the county may hold 一事一议
(seed 003: 可“一事一议”适度提高临时救助标准): the meeting decides an amount above the most
the ordinary procedure gives (the band's top, or the county's limit if lower) and not
above the 一事一议 ceiling (a configured multiple of the band's top); that decided amount
is then the aid. The amount is one-off (一次性), reported in the ``monthly_amount_fen`` field.
"""

from __future__ import annotations

import numpy as np

from ..core import Households, Params, Program, register_program, variable
from ..facts import APPROVAL_LEVELS, TEMPORARY_KINDS, Array, code_of
from ..money import RATIO_SCALE, UP, mul_ratio, round_to_unit

ILLNESS = code_of(TEMPORARY_KINDS, "illness")
EDUCATION = code_of(TEMPORARY_KINDS, "education")
EMERGENCY = code_of(TEMPORARY_KINDS, "emergency")
TOWN = code_of(APPROVAL_LEVELS, "town")
COUNTY = code_of(APPROVAL_LEVELS, "county")
DELIBERATION = code_of(APPROVAL_LEVELS, "deliberation")

temporary = register_program(
    Program(
        code="temporary",
        name="临时救助",
        description="对遭遇急难情形或因重特大疾病、子女教育等刚性支出导致基本生活陷入困境的家庭给予一次性救助",
        amount_kind="one_off",
        amount_label="一次性救助金",
        requires=("temporary",),
        reports=("temporary_needs_higher_approval",),
    )
)


def _kind(h: Households) -> Array:
    return h.batch.hh["temporary_kind"]


def _is_expense(h: Households, p: Params) -> Array:
    k = _kind(h)
    return np.asarray((k == ILLNESS) | (k == EDUCATION))


def _is_emergency(h: Households, p: Params) -> Array:
    return np.asarray(_kind(h) == EMERGENCY)


def _by_kind(h: Households, p: Params, illness: str, education: str) -> Array:
    """The illness parameter for illness cases, the education one for education cases,
    0 otherwise; parameters no household needs are not read (nor traced)."""
    k = _kind(h)
    out = np.zeros(h.n, dtype=np.int64)
    if (k == ILLNESS).any():
        out = np.where(k == ILLNESS, p(illness), out)
    if (k == EDUCATION).any():
        out = np.where(k == EDUCATION, p(education), out)
    return out


@variable("temporary_expense_12m", "支出型：近12个月自付费用（医疗或教育）", "fen_12m")
def temporary_expense_12m(h: Households, p: Params) -> Array:
    hh = h.batch.hh
    k = _kind(h)
    return np.where(k == ILLNESS, hh["medical_oop_fen"], np.where(k == EDUCATION, hh["education_oop_fen"], 0))


@variable("temporary_min_expense", "支出型：自付费用起点", "fen_once")
def temporary_min_expense(h: Households, p: Params) -> Array:
    return _by_kind(h, p, "temporary.illness.min_expense", "temporary.education.min_expense")


@variable("students", "在学成员", "persons")
def students(h: Households, p: Params) -> Array:
    return h.count(h.batch.members["school"] != 0)


@temporary.test(
    "expense_qualifies",
    passed="自负医疗或教育费用达到支出型临时救助起点",
    failed="自负费用未达到支出型临时救助起点（或申请教育救助的家庭无在学成员）",
    detail="近12个月自付费用{temporary_expense_12m}，起点{temporary_min_expense}",
    applies=_is_expense,
)
def expense_qualifies(h: Households, p: Params) -> Array:
    enough = h.temporary_expense_12m >= h.temporary_min_expense
    student_ok = (_kind(h) != EDUCATION) | (h.students > 0)
    return np.asarray(enough & student_ok & (h.temporary_expense_12m > 0))


@variable("temporary_income_multiplier", "支出型：扣除自付费用后人均收入认定线（低保标准倍数）", "ratio")
def temporary_income_multiplier(h: Households, p: Params) -> Array:
    return p("temporary.expense.income_multiplier")


@variable("temporary_income_after_expense", "扣除自付费用后的家庭月人均收入（近12个月平均）")
def temporary_income_after_expense(h: Households, p: Params) -> Array:
    monthly = (h.income_before_rigid_deduction * 12 - h.temporary_expense_12m) // 12
    return np.asarray(monthly // h.size)


@variable("temporary_income_line", "支出型：人均收入认定线（每人每月）")
def temporary_income_line(h: Households, p: Params) -> Array:
    return mul_ratio(h.dibao_standard, h.temporary_income_multiplier, UP)


@temporary.test(
    "income_after_expense_below_line",
    passed="扣除自付费用后家庭人均收入低于认定线，基本生活陷入困境",
    failed="扣除自付费用后家庭人均收入不低于认定线",
    detail="扣除自付费用后家庭月人均收入{temporary_income_after_expense}，认定线{temporary_income_line}",
    applies=_is_expense,
)
def income_after_expense_below_line(h: Households, p: Params) -> Array:
    # exact: (12 × income − expense) × 10000 < multiplier × standard × members × 12
    left = (h.income_before_rigid_deduction * 12 - h.temporary_expense_12m) * RATIO_SCALE
    right = h.temporary_income_multiplier * h.dibao_standard * h.size * 12
    return np.asarray(left < right)


@temporary.test(
    "emergency_event",
    passed="遭遇急难情形，基本生活暂时陷入困境",
    failed="未说明遭遇的急难情形",
    applies=_is_emergency,
)
def emergency_event(h: Households, p: Params) -> Array:
    return np.asarray(h.batch.hh["temporary_event"] > 0)


# ---- amount -------------------------------------------------------------------------------


@variable("temporary_band_min", "救助金额下限（城市低保月标准×倍数）", "fen_once")
def temporary_band_min(h: Households, p: Params) -> Array:
    mult = _by_kind(h, p, "temporary.illness_multiplier.min", "temporary.education_multiplier.min")
    return mul_ratio(h.urban_standard, mult, UP)


@variable("temporary_band_max", "救助金额上限（城市低保月标准×倍数）", "fen_once")
def temporary_band_max(h: Households, p: Params) -> Array:
    mult = _by_kind(h, p, "temporary.illness_multiplier.max", "temporary.education_multiplier.max")
    return mul_ratio(h.urban_standard, mult, UP)


@variable("temporary_aid_rate", "支出型：按自付费用计算的救助比例", "ratio")
def temporary_aid_rate(h: Households, p: Params) -> Array:
    return _by_kind(h, p, "temporary.illness.aid_rate", "temporary.education.aid_rate")


@variable("temporary_proposed", "按标准计算的救助金额", "fen_once")
def temporary_proposed(h: Households, p: Params) -> Array:
    k = _kind(h)
    out = np.zeros(h.n, dtype=np.int64)
    expense = (k == ILLNESS) | (k == EDUCATION)
    if expense.any():
        by_cost = mul_ratio(h.temporary_expense_12m, h.temporary_aid_rate, UP)
        banded = np.clip(by_cost, h.temporary_band_min, h.temporary_band_max)
        out = np.where(expense, banded, out)
    if (k == EMERGENCY).any():
        emergency = mul_ratio(h.urban_standard, p("temporary.emergency.multiplier"), UP)
        out = np.where(k == EMERGENCY, emergency, out)
    return out


@variable("temporary_cap", "本审批层级限额（一事一议不设限额，记0）", "fen_once", on_notice=False)
def temporary_cap(h: Households, p: Params) -> Array:
    level = h.batch.hh["temporary_level"]
    out = np.zeros(h.n, dtype=np.int64)
    if (level == TOWN).any():
        out = np.where(level == TOWN, p("temporary.cap.town"), out)
    if (level == COUNTY).any():
        out = np.where(level == COUNTY, p("temporary.cap.county"), out)
    return out


def _is_deliberated(h: Households, p: Params) -> Array:
    return np.asarray((h.batch.hh["temporary_level"] == DELIBERATION) & (h.batch.hh["temporary_deliberated_fen"] > 0))


@variable("temporary_deliberated", "一事一议决定金额", "fen_once")
def temporary_deliberated(h: Households, p: Params) -> Array:
    return np.asarray(h.batch.hh["temporary_deliberated_fen"])


@variable("temporary_ordinary_max", "常规程序可批准的最高金额（倍数区间上限与县级审批限额中的较低者）", "fen_once")
def temporary_ordinary_max(h: Households, p: Params) -> Array:
    return np.minimum(h.temporary_band_max, p("temporary.cap.county"))


@variable("temporary_deliberation_ceiling", "一事一议可提高到的最高金额（倍数区间上限×倍数）", "fen_once")
def temporary_deliberation_ceiling(h: Households, p: Params) -> Array:
    return mul_ratio(h.temporary_band_max, p("temporary.deliberation.ceiling_ratio"), UP)


@temporary.test(
    "deliberated_amount_within_rules",
    passed="一事一议决定金额高于常规标准上限且未超过一事一议上限",
    failed="一事一议决定金额应高于常规标准上限、且不超过一事一议上限",
    detail="决定金额{temporary_deliberated}，常规上限{temporary_ordinary_max}，一事一议上限{temporary_deliberation_ceiling}",
    applies=_is_deliberated,
)
def deliberated_amount_within_rules(h: Households, p: Params) -> Array:
    d = h.batch.hh["temporary_deliberated_fen"]
    if not (d > 0).any():
        return np.ones(h.n, dtype=bool)
    ok = (h.temporary_deliberated > h.temporary_ordinary_max) & (
        h.temporary_deliberated <= h.temporary_deliberation_ceiling
    )
    return np.asarray(ok | (d == 0))


@variable("temporary_needs_higher_approval", "计算金额超过本层级限额，需报上级审批或一事一议", "bool")
def temporary_needs_higher_approval(h: Households, p: Params) -> Array:
    level = h.batch.hh["temporary_level"]
    return np.asarray((level != DELIBERATION) & (h.temporary_proposed > h.temporary_cap))


@variable("temporary_amount", "一次性救助金", "fen_once")
def temporary_amount(h: Households, p: Params) -> Array:
    level = h.batch.hh["temporary_level"]
    capped = np.where(
        level == DELIBERATION,
        h.temporary_proposed,
        np.minimum(h.temporary_proposed, h.temporary_cap),
    )
    rounded = round_to_unit(capped, p("rounding.benefit.unit_fen"), p("rounding.benefit.mode"))
    deliberated = _is_deliberated(h, p)
    if not deliberated.any():
        return rounded
    # 一事一议: the decided amount as decided (not rounded), never above the ceiling.
    decided = np.minimum(h.temporary_deliberated, h.temporary_deliberation_ceiling)
    return np.where(deliberated, decided, rounded)


@temporary.amount
def temporary_amount_formula(h: Households, p: Params) -> Array:
    return h.temporary_amount
