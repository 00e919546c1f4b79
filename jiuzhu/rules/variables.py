"""Variables shared by the programs: ages, labour capacity, self-care, income, assets.

Income follows 民发〔2021〕57号 (低保审核确认办法) and 民发〔2021〕43号 (特困人员认定办法):
家庭收入 is every kind of income of the members; the kinds a parameter marks as not
counted (优待抚恤金、计划生育奖励与扶助金、奖励性补助 …) are disregarded; 就业成本 and
刚性支出 are deducted only where a parameter enables them.
"""

from __future__ import annotations

import numpy as np

from .core import Households, Params, Program, constant, variable
from .errors import RulesInputError
from .facts import (
    DISABILITY_TYPES,
    INCOME_TYPES,
    LABOUR_CAPACITY,
    SCHOOL,
    Array,
    code_of,
)
from .money import DOWN, HALF_UP, div_round, mul_ratio

LABOUR_NONE = code_of(LABOUR_CAPACITY, "none")
SCHOOL_NONE = code_of(SCHOOL, "none")
# 义务教育、普通高中、中等职业学校 (民发〔2021〕43号 第十条)
SCHOOL_SECONDARY = tuple(code_of(SCHOOL, s) for s in ("primary", "junior", "senior", "vocational"))
SELF_CARE_CAPABLE, SELF_CARE_PARTIAL, SELF_CARE_FULL = 0, 1, 2
SELF_CARE_LEVEL_LABELS = {
    SELF_CARE_CAPABLE: "具备生活自理能力",
    SELF_CARE_PARTIAL: "部分丧失生活自理能力",
    SELF_CARE_FULL: "完全丧失生活自理能力",
}


# ---- members ---------------------------------------------------------------------------


@variable("age", "评估日年龄", "years", "member")
def age(h: Households, p: Params) -> Array:
    """Age on the evaluation date: the given age, or computed from the birth date."""
    given = h.batch.members["age"]
    birth = h.batch.members["birth"]
    has_birth = birth > 0
    if not has_birth.any():
        return given
    on = h.date.year * 10000 + h.date.month * 100 + h.date.day
    derived = (on - birth.astype(np.int64)) // 10000  # whole years: YYYYMMDD arithmetic
    field = "birth_date" if h.batch.households is not None else "birth"
    bad = has_birth & (derived < 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise RulesInputError("invalid_value", h.batch.member_path(j, field), "出生日期晚于评估日期")
    bad = has_birth & (derived > 150)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise RulesInputError("out_of_range", h.batch.member_path(j, field), "年龄超出合理范围")
    return np.where(has_birth, derived, given)


@variable("no_labour_by_age", "因年龄无劳动能力（老年人或未成年人）", "bool", "member")
def no_labour_by_age(h: Households, p: Params) -> Array:
    """60周岁以上的老年人；未满（特困供养）未成年人年龄上限的未成年人."""
    a = h.m.age
    elderly = a >= h.to_members(p("tekun.no_labour.elderly_age"))
    minor = a < h.to_members(p("tekun.minor_age_limit"))
    return elderly | minor


@variable("no_labour_by_disability", "因残疾无劳动能力", "bool", "member")
def no_labour_by_disability(h: Households, p: Params) -> Array:
    """智力、精神残疾一至三级，肢体残疾一、二级，视力残疾一级 … (grade limits by type)."""
    grade = h.batch.members["disability_grade"]
    if not (grade > 0).any():
        return np.zeros(grade.shape[0], dtype=bool)
    limit = h.by_code(
        h.batch.members["disability_type"],
        {code_of(DISABILITY_TYPES, t): f"tekun.no_labour.disability_max_grade.{t}" for t in DISABILITY_TYPES if t},
    )
    return (grade > 0) & (grade <= limit)


@variable("no_labour_by_assessment", "经评定完全丧失劳动能力", "bool", "member")
def no_labour_by_assessment(h: Households, p: Params) -> Array:
    return np.asarray(h.batch.members["labour_capacity"] == LABOUR_NONE)


@variable("no_labour_by_schooling", "成年后仍在校就读（延续供养）", "bool", "member")
def no_labour_by_schooling(h: Households, p: Params) -> Array:
    """年满18周岁仍在接受义务教育或在普通高中、中等职业学校就读 (民发〔2021〕43号 第十条)."""
    school = h.batch.members["school"]
    in_school = np.isin(school, SCHOOL_SECONDARY)
    if not in_school.any():
        return np.zeros(school.shape[0], dtype=bool)
    enabled = h.to_members(p("tekun.student_extension")) != 0
    return np.asarray(enabled & in_school & (h.m.age >= h.to_members(p("tekun.minor_age_limit"))))


@variable("no_labour_capacity", "无劳动能力", "bool", "member")
def no_labour_capacity(h: Households, p: Params) -> Array:
    m = h.m
    return np.asarray(
        m.no_labour_by_age | m.no_labour_by_disability | m.no_labour_by_assessment | m.no_labour_by_schooling
    )


@variable("self_care_level", "生活自理能力（0具备/1部分丧失/2完全丧失）", "code", "member")
def self_care_level(h: Households, p: Params) -> Array:
    """Six activities (自主吃饭、穿衣、上下床、如厕、室内行走、洗澡): all achieved →
    具备自理能力; up to 3 not achieved → 部分丧失; 4 or more → 完全丧失."""
    unable = h.batch.members["self_care_unable"]
    full = unable >= h.to_members(p("tekun.self_care.full_min_items"))
    partial = unable >= h.to_members(p("tekun.self_care.partial_min_items"))
    return np.where(full, SELF_CARE_FULL, np.where(partial, SELF_CARE_PARTIAL, SELF_CARE_CAPABLE))


@variable("care_allowance", "照料护理费", "fen", "member")
def care_allowance(h: Households, p: Params) -> Array:
    return h.by_code(
        h.m.self_care_level,
        {
            SELF_CARE_CAPABLE: "tekun.care_allowance.none",
            SELF_CARE_PARTIAL: "tekun.care_allowance.partial",
            SELF_CARE_FULL: "tekun.care_allowance.full",
        },
    )


@variable("employment_cost", "就业成本扣除", "fen", "member", basis_when_zero=False)
def employment_cost(h: Households, p: Params) -> Array:
    """工资收入 × 扣除比例, at most the cap, where the area enables 就业成本扣除.
    Computed only for members with a wage in households where it is enabled; zero
    everywhere (one value, no array) where no household has it."""
    wage = h.batch.members["wage"]
    enabled = p("income.employment_cost.enabled")
    if (enabled.ndim == 0 and not enabled) or h.batch.is_default("members", "wage"):
        return np.zeros((), dtype=np.int64)
    earning = wage > 0 if enabled.ndim == 0 else (wage > 0) & h.to_members(enabled != 0)
    working = np.flatnonzero(earning)
    if not working.shape[0]:
        return np.zeros((), dtype=np.int64)
    rate, cap = p("income.employment_cost.rate"), p("income.employment_cost.cap")
    if rate.ndim or cap.ndim:  # the household of each working member, for its parameters
        owner = np.searchsorted(h.start, working, side="right") - 1
        rate, cap = (v if v.ndim == 0 else v[owner] for v in (rate, cap))
    out = np.zeros(wage.shape[0], dtype=np.int64)
    out[working] = np.minimum(mul_ratio(wage[working], rate, DOWN), cap)
    return out


# ---- household income ---------------------------------------------------------------------


def _income_columns(h: Households) -> list[str]:
    """The income types whose column was given (the others are zero everywhere)."""
    return [t for t in INCOME_TYPES if not h.batch.is_default("households", f"income_{t}")]


def _sum(columns: list[Array]) -> Array:
    """Sum of household columns in one buffer (zero, one value, when there are none)."""
    if not columns:
        return np.zeros((), dtype=np.int64)
    total = np.array(columns[0], dtype=np.int64)
    for col in columns[1:]:
        total += col
    return total


@variable("gross_income", "家庭月收入（含不计入部分）")
def gross_income(h: Households, p: Params) -> Array:
    hh = h.batch.hh
    return _sum([hh[f"income_{t}"] for t in _income_columns(h)])


@variable("disregarded_income", "不计入家庭收入的部分")
def disregarded_income(h: Households, p: Params) -> Array:
    hh = h.batch.hh
    parts = []
    for t in _income_columns(h):
        col = hh[f"income_{t}"]
        if not col.any():  # nobody has this kind of income: its rule cannot matter
            continue
        counted = p(f"income.counted.{t}")
        if counted.ndim:
            parts.append(np.where(counted != 0, 0, col))
        elif not counted:
            parts.append(col)
    return _sum(parts)


@variable("work_income", "劳动收入（就业、经营等，用于判断渐退）")
def work_income(h: Households, p: Params) -> Array:
    """The income types the area's parameters mark as work income (income.work.*), summed:
    a rise of it above the standard opens 渐退; a rise of any other income does not."""
    hh = h.batch.hh
    parts = []
    for t in _income_columns(h):
        col = hh[f"income_{t}"]
        if not col.any():
            continue
        work = p(f"income.work.{t}")
        if work.ndim:
            parts.append(np.where(work != 0, col, 0))
        elif work:
            parts.append(col)
    return _sum(parts)


@variable("total_income", "家庭月收入（计入部分）")
def total_income(h: Households, p: Params) -> Array:
    gross = h.gross_income  # read first: a notice's 金额计算 lists the figures in the order read
    disregarded = h.disregarded_income
    if constant(disregarded) == 0:
        return gross
    return np.asarray(gross - disregarded)


@variable("employment_cost_deduction", "就业成本扣除合计", basis_when_zero=False)
def employment_cost_deduction(h: Households, p: Params) -> Array:
    cost = h.m.employment_cost
    if constant(cost) == 0:  # switched off everywhere: nothing to sum
        return np.zeros((), dtype=np.int64)
    return h.sum(cost)


@variable("rigid_expense_12m", "近12个月刚性支出（自付医疗、教育费用）", "fen_12m")
def rigid_expense_12m(h: Households, p: Params) -> Array:
    hh = h.batch.hh
    return np.asarray(hh["medical_oop_fen"] + hh["education_oop_fen"])


@variable("rigid_expense_deduction", "刚性支出扣除（按月）", basis_when_zero=False)
def rigid_expense_deduction(h: Households, p: Params) -> Array:
    enabled = p("income.rigid_expense_deduction.enabled")
    if enabled.ndim == 0 and not enabled:
        return np.zeros((), dtype=np.int64)
    monthly = div_round(h.rigid_expense_12m, 12, DOWN)
    return np.where(enabled != 0, monthly, 0)


@variable("income_before_rigid_deduction", "家庭月收入（扣除就业成本后、扣除刚性支出前）")
def income_before_rigid_deduction(h: Households, p: Params) -> Array:
    total = h.total_income  # the income before its deduction, as a person would explain it
    deduction = h.employment_cost_deduction
    if constant(deduction) == 0:  # total income is never negative
        return total
    return np.asarray(np.maximum(total - deduction, 0))


@variable("counted_income", "家庭月计算收入")
def counted_income(h: Households, p: Params) -> Array:
    before = h.income_before_rigid_deduction
    deduction = h.rigid_expense_deduction
    if constant(deduction) == 0:  # the income before it is never negative
        return before
    return np.asarray(np.maximum(before - deduction, 0))


@variable("counted_income_per_capita", "家庭月人均收入")
def counted_income_per_capita(h: Households, p: Params) -> Array:
    return div_round(h.counted_income, h.size, HALF_UP)


# ---- assets -------------------------------------------------------------------------------


@variable("financial_assets", "存款、有价证券等金融资产合计")
def financial_assets(h: Households, p: Params) -> Array:
    hh = h.batch.hh
    if h.batch.is_default("households", "asset_securities"):
        return hh["asset_deposits"]
    if h.batch.is_default("households", "asset_deposits"):
        return hh["asset_securities"]
    return np.asarray(hh["asset_deposits"] + hh["asset_securities"])


@variable("vehicles", "机动车辆（辆）", "count")
def vehicles(h: Households, p: Params) -> Array:
    return h.batch.hh["asset_vehicles"]


@variable("houses", "住房（套）", "count")
def houses(h: Households, p: Params) -> Array:
    return h.batch.hh["asset_houses"]


@variable("businesses", "登记的企业（个）", "count")
def businesses(h: Households, p: Params) -> Array:
    return h.batch.hh["asset_businesses"]


# ---- standards ----------------------------------------------------------------------------


@variable("dibao_standard", "当地低保标准（城乡分设，每人每月）")
def dibao_standard(h: Households, p: Params) -> Array:
    return p.by_urban("dibao.standard")


@variable("urban_standard", "城市低保月标准")
def urban_standard(h: Households, p: Params) -> Array:
    return p("dibao.standard.urban")


@variable("disposable_income_per_capita", "当地上年居民人均可支配收入", "fen_year")
def disposable_income_per_capita(h: Households, p: Params) -> Array:
    return p("common.disposable_income_per_capita")


@variable("household_size", "家庭人口", "persons")
def household_size(h: Households, p: Params) -> Array:
    return h.size


# ---- asset tests, shared by several programs ------------------------------------------------


def define_asset_limits(prefix: str, label: str) -> None:
    """Variables for the asset limits of ``prefix`` (``dibao``, ``tekun``, ``dibao_edge``):
    financial assets at most N months of the 低保 standard per person; vehicles, houses
    and registered businesses at most the configured counts."""

    @variable(f"{prefix}_deposit_months", f"{label}金融资产限额（低保标准月数）", "months")
    def months(h: Households, p: Params) -> Array:
        return p(f"{prefix}.assets.deposit_months")

    @variable(f"{prefix}_deposit_limit", f"{label}家庭金融资产限额")
    def limit(h: Households, p: Params) -> Array:
        return np.asarray(h.get("household", f"{prefix}_deposit_months") * h.dibao_standard * h.size)

    for kind, what in (
        ("vehicles", "机动车辆（辆）"),
        ("houses", "住房（套）"),
        ("businesses", "企业（个）"),
    ):
        _define_cap(prefix, label, kind, what)


def _define_cap(prefix: str, label: str, kind: str, what: str) -> None:
    @variable(f"{prefix}_max_{kind}", f"{label}{what}上限", "count")
    def cap(h: Households, p: Params) -> Array:
        return p(f"{prefix}.assets.max_{kind}")


def add_asset_tests(program: Program, prefix: str) -> None:
    """The four asset tests, against the limits of ``prefix``."""

    @program.test(
        "deposits_within_limit",
        passed="家庭人均存款等金融资产未超过规定限额",
        failed="家庭人均存款等金融资产超过规定限额",
        detail=f"金融资产合计{{financial_assets}}，限额{{{prefix}_deposit_limit}}"
        f"（{{{prefix}_deposit_months}}个月低保标准×{{household_size}}人）",
    )
    def deposits_within_limit(h: Households, p: Params) -> Array:
        return np.asarray(h.financial_assets <= h.get("household", f"{prefix}_deposit_limit"))

    @program.test(
        "vehicles_within_limit",
        passed="家庭成员名下机动车辆未超过规定",
        failed="家庭成员名下有规定以外的机动车辆",
        detail=f"机动车辆{{vehicles}}辆，允许{{{prefix}_max_vehicles}}辆",
    )
    def vehicles_within_limit(h: Households, p: Params) -> Array:
        return np.asarray(h.vehicles <= h.get("household", f"{prefix}_max_vehicles"))

    @program.test(
        "houses_within_limit",
        passed="家庭住房未超过规定套数",
        failed="家庭住房超过规定套数",
        detail=f"住房{{houses}}套，允许{{{prefix}_max_houses}}套",
    )
    def houses_within_limit(h: Households, p: Params) -> Array:
        return np.asarray(h.houses <= h.get("household", f"{prefix}_max_houses"))

    @program.test(
        "no_registered_business",
        passed="家庭成员未登记开办企业",
        failed="家庭成员登记开办企业",
        detail=f"登记企业{{businesses}}个，允许{{{prefix}_max_businesses}}个",
    )
    def no_registered_business(h: Households, p: Params) -> Array:
        return np.asarray(h.businesses <= h.get("household", f"{prefix}_max_businesses"))
