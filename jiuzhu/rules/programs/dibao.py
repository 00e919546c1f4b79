"""最低生活保障 (低保), urban and rural.

A household qualifies when its monthly income per person is below the local standard
and its assets are within the local limits (民发〔2021〕57号 第二、十三条). It receives
the difference (差额): standard × members − counted income, at least the local minimum
per person, plus the extra allowances the area configures for severely disabled,
elderly and minor members (分类施保), rounded as the area's rounding parameters say.
"""

from __future__ import annotations

import numpy as np

from ..core import Households, Params, Program, register_program, variable
from ..facts import Array
from ..money import HALF_UP, mul_ratio, round_to_unit
from ..variables import add_asset_tests, define_asset_limits

dibao = register_program(
    Program(
        code="dibao",
        name="最低生活保障",
        description="城乡最低生活保障：家庭月人均收入低于当地低保标准且财产符合规定的，按差额发放低保金",
        amount_kind="monthly",
        amount_label="月低保金",
    )
)

define_asset_limits("dibao", "低保")


@dibao.test(
    "income_below_standard",
    passed="家庭月人均收入低于当地低保标准",
    failed="家庭月人均收入不低于当地低保标准",
    detail="家庭月人均收入{counted_income_per_capita}，低保标准{dibao_standard}",
)
def income_below_standard(h: Households, p: Params) -> Array:
    # compared on totals, so that no rounding of the per-capita figure can decide a case
    return np.asarray(h.counted_income < h.dibao_standard * h.size)


add_asset_tests(dibao, "dibao")


# ---- 单独申请: an adult with severe disability or serious illness in a 低保边缘 family -------------


def _alone(h: Households, p: Params) -> Array:
    return np.asarray(h.batch.hh["alone"])


@dibao.test(
    "alone_family_is_edge",
    passed="单独申请：所在共同生活家庭为低保边缘家庭",
    failed="单独申请须所在家庭为低保边缘家庭（全家符合低保的应全家申请）",
    applies=_alone,
)
def alone_family_is_edge(h: Households, p: Params) -> Array:
    return np.asarray(h.batch.hh["family_edge"])


@variable("alone_qualifying_member", "可单独申请的成员（成年且重度残疾或重病）", "bool", "member")
def alone_qualifying_member(h: Households, p: Params) -> Array:
    grade = h.batch.members["disability_grade"]
    severe = (grade > 0) & (grade <= h.to_members(p("dibao.alone.max_disability_grade")))
    ill = h.batch.members["serious_illness"]
    adult = h.m.age >= h.to_members(p("dibao.alone.min_age"))
    return np.asarray(adult & (severe | ill))


@dibao.test(
    "alone_applicant_qualifies",
    passed="单独申请人为成年的重度残疾人或重病患者",
    failed="单独申请仅限低保边缘家庭中成年的重度残疾人、重病患者",
    applies=_alone,
)
def alone_applicant_qualifies(h: Households, p: Params) -> Array:
    return h.all(h.m.alone_qualifying_member)


# ---- amount -------------------------------------------------------------------------------


@variable("dibao_gap", "差额：低保标准×人数−家庭月计算收入")
def dibao_gap(h: Households, p: Params) -> Array:
    return np.asarray(h.dibao_standard * h.size - h.counted_income)


@variable("dibao_minimum", "保底金额：每人最低补差×人数")
def dibao_minimum(h: Households, p: Params) -> Array:
    return np.asarray(p("dibao.min_per_person") * h.size)


@variable("severe_disability", "重度残疾（分类施保）", "bool", "member")
def severe_disability(h: Households, p: Params) -> Array:
    grade = h.batch.members["disability_grade"]
    return np.asarray((grade > 0) & (grade <= h.to_members(p("dibao.extra.severe_disability_max_grade"))))


@variable("dibao_extra_severe", "分类施保：重度残疾成员加发比例之和", "ratio", basis_when_zero=False)
def dibao_extra_severe(h: Households, p: Params) -> Array:
    rate = p("dibao.extra.severe_disability")
    if not np.any(rate):
        return np.zeros((), dtype=np.int64)
    return np.asarray(rate * h.count(h.m.severe_disability))


@variable("dibao_extra_elderly", "分类施保：高龄成员加发比例之和", "ratio", basis_when_zero=False)
def dibao_extra_elderly(h: Households, p: Params) -> Array:
    rate = p("dibao.extra.elderly")
    if not np.any(rate):
        return np.zeros((), dtype=np.int64)
    return np.asarray(rate * h.count(h.m.age >= h.to_members(p("dibao.extra.elderly_age"))))


@variable("dibao_extra_minor", "分类施保：未成年成员加发比例之和", "ratio", basis_when_zero=False)
def dibao_extra_minor(h: Households, p: Params) -> Array:
    rate = p("dibao.extra.minor")
    if not np.any(rate):
        return np.zeros((), dtype=np.int64)
    return np.asarray(rate * h.count(h.m.age < h.to_members(p("dibao.extra.minor_age"))))


@variable("dibao_extra_rate", "分类施保加发比例合计（各成员所属类别的比例之和）", "ratio", basis_when_zero=False)
def dibao_extra_rate(h: Households, p: Params) -> Array:
    """Σ over members of the ratio of each category he or she falls in (重度残疾、高龄、
    未成年), e.g. one severely disabled member and one aged 80+: 0.2 + 0.1 = 0.3; each category
    its own variable, so that a notice cites only the categories the family has members in."""
    return np.asarray(h.dibao_extra_severe + h.dibao_extra_elderly + h.dibao_extra_minor)


@variable("dibao_extra_allowance", "分类施保加发合计：低保标准×加发比例合计", basis_when_zero=False)
def dibao_extra_allowance(h: Households, p: Params) -> Array:
    rate = h.dibao_extra_rate
    if not rate.any():
        return np.zeros(h.n, dtype=np.int64)
    return mul_ratio(h.dibao_standard, rate, HALF_UP)


@variable("dibao_benefit_unrounded", "低保金（取整前）")
def dibao_benefit_unrounded(h: Households, p: Params) -> Array:
    return np.asarray(np.maximum(h.dibao_gap, h.dibao_minimum) + h.dibao_extra_allowance)


@variable("dibao_benefit", "月低保金")
def dibao_benefit(h: Households, p: Params) -> Array:
    return round_to_unit(h.dibao_benefit_unrounded, p("rounding.benefit.unit_fen"), p("rounding.benefit.mode"))


@dibao.amount
def dibao_amount(h: Households, p: Params) -> Array:
    return h.dibao_benefit
