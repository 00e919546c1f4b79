"""特困人员救助供养 (特困).

All three conditions must hold (民发〔2021〕43号 第二条): no labour capacity (无劳动能力),
no source of living (无生活来源: income below the 低保 standard and assets within the
limits), and no legal supporter able to support (无法定赡养、抚养、扶养义务人，或者其法定
义务人无履行义务能力). The household is evaluated as a whole: every member must lack labour
capacity (a member who can work is a supporter living in the household).

Support = basic living standard per person (不低于城市低保标准1.5倍、农村低保标准1.3倍,
桓政字〔2021〕7号) + care allowance by each member's self-care level (照料护理标准).
"""

from __future__ import annotations

import numpy as np

from ..core import Households, Params, Program, register_program, variable
from ..facts import DISABILITY_TYPES, Array, code_of
from ..money import UP, mul_ratio, round_to_unit
from ..variables import add_asset_tests, define_asset_limits

tekun = register_program(
    Program(
        code="tekun",
        name="特困人员救助供养",
        description="无劳动能力、无生活来源、无法定赡养抚养扶养义务人或其义务人无履行义务能力的"
        "老年人、残疾人和未成年人，给予基本生活供养和照料护理",
        amount_kind="monthly",
        amount_label="月供养金（基本生活费+照料护理费）",
    )
)

define_asset_limits("tekun", "特困")

INTELLECTUAL = code_of(DISABILITY_TYPES, "intellectual")
MENTAL = code_of(DISABILITY_TYPES, "mental")


@variable("members_without_labour", "无劳动能力的成员", "persons")
def members_without_labour(h: Households, p: Params) -> Array:
    return h.count(h.m.no_labour_capacity)


@tekun.test(
    "no_labour_capacity",
    passed="家庭成员均无劳动能力",
    failed="有家庭成员具有劳动能力",
    detail="无劳动能力成员{members_without_labour}人，家庭成员{household_size}人",
)
def no_labour_capacity(h: Households, p: Params) -> Array:
    return np.asarray(h.members_without_labour == h.size)


@tekun.test(
    "no_income_source",
    passed="无生活来源：家庭月人均收入低于当地低保标准",
    failed="有生活来源：家庭月人均收入不低于当地低保标准",
    detail="家庭月人均收入{counted_income_per_capita}，低保标准{dibao_standard}",
)
def no_income_source(h: Households, p: Params) -> Array:
    return np.asarray(h.counted_income < h.dibao_standard * h.size)


add_asset_tests(tekun, "tekun")


# ---- supporters (民发〔2021〕43号 第八条) ----------------------------------------------------


@variable("low_income", "本人收入低于当地上年人均可支配收入", "bool", "supporter")
def supporter_low_income(h: Households, p: Params) -> Array:
    income = h.batch.supporters["monthly_income_fen"]
    return np.asarray(income * 12 < h.to_supporters(h.disposable_income_per_capita))


@variable("severely_disabled", "重度残疾或三级智力、精神残疾", "bool", "supporter")
def supporter_severely_disabled(h: Households, p: Params) -> Array:
    s = h.batch.supporters
    grade, kind = s["disability_grade"], s["disability_type"]
    return np.asarray(((grade >= 1) & (grade <= 2)) | ((grade == 3) & ((kind == INTELLECTUAL) | (kind == MENTAL))))


@variable("unable_to_support", "义务人无履行义务能力", "bool", "supporter")
def supporter_unable(h: Households, p: Params) -> Array:
    s = h.batch.supporters
    if s["age"].shape[0] == 0:
        return np.zeros(0, dtype=bool)
    age = s["age"]
    low = h.s.low_income & s["assets_within_limit"]
    return np.asarray(
        s["is_tekun"]  # (一) 特困人员
        | (s["is_dibao"] & (age >= h.to_supporters(p("tekun.supporter.dibao_age"))))  # (二)
        | ((age >= h.to_supporters(p("tekun.supporter.elderly_age"))) & low)  # (三)
        | (h.s.severely_disabled & low)  # (四)
        | (s["incapacitated"] & s["assets_within_limit"])  # (五)
    )


@variable("capable_supporters", "有履行义务能力的法定义务人", "persons")
def capable_supporters(h: Households, p: Params) -> Array:
    if h.batch.supporters["age"].shape[0] == 0:
        return np.zeros(h.n, dtype=np.int64)
    return h.supporter_count(~h.s.unable_to_support)


@tekun.test(
    "no_capable_supporter",
    passed="无法定赡养、抚养、扶养义务人，或义务人无履行义务能力",
    failed="有具备履行义务能力的法定赡养、抚养、扶养义务人",
    detail="有履行能力的义务人{capable_supporters}人",
)
def no_capable_supporter(h: Households, p: Params) -> Array:
    return np.asarray(h.capable_supporters == 0)


# ---- amount -------------------------------------------------------------------------------


@variable("tekun_basic_multiplier", "特困基本生活标准与低保标准之比（下限）", "ratio")
def tekun_basic_multiplier(h: Households, p: Params) -> Array:
    return p.by_urban("tekun.basic_multiplier")


@variable("tekun_basic_standard", "特困人员基本生活标准（每人每月）")
def tekun_basic_standard(h: Households, p: Params) -> Array:
    """不低于 multiplier × 低保标准: always rounded up, to the benefit rounding unit."""
    raw = mul_ratio(h.dibao_standard, h.tekun_basic_multiplier, UP)
    return round_to_unit(raw, p("rounding.benefit.unit_fen"), UP)


@variable("tekun_basic_support", "基本生活费合计")
def tekun_basic_support(h: Households, p: Params) -> Array:
    return np.asarray(h.tekun_basic_standard * h.size)


@variable("tekun_care_allowance", "照料护理费合计")
def tekun_care_allowance(h: Households, p: Params) -> Array:
    return h.sum(h.m.care_allowance)


@variable("tekun_benefit", "月供养金")
def tekun_benefit(h: Households, p: Params) -> Array:
    return round_to_unit(
        h.tekun_basic_support + h.tekun_care_allowance,
        p("rounding.benefit.unit_fen"),
        p("rounding.benefit.mode"),
    )


@tekun.amount
def tekun_amount(h: Households, p: Params) -> Array:
    return h.tekun_benefit
