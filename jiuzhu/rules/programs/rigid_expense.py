"""刚性支出困难家庭 (支出型困难家庭).

A household whose out-of-pocket medical and education spending over the last 12 months
exceeds the configured share of its income over the same months, whose income per
person is below the configured multiple of the area's per-capita disposable income,
and whose assets are within the 低保边缘 limits. A status for special assistance; no
monthly cash of its own.
"""

from __future__ import annotations

import numpy as np

from ..core import Households, Params, Program, register_program, variable
from ..facts import Array
from ..money import HALF_UP, RATIO_SCALE, div_round
from ..variables import add_asset_tests

rigid_expense = register_program(
    Program(
        code="rigid_expense",
        name="刚性支出困难家庭",
        description="因病、因学等刚性支出较大，近12个月刚性支出超过家庭收入，"
        "家庭人均收入低于当地上年人均可支配收入且财产符合规定的家庭",
        amount_kind="none",
        amount_label="无现金（认定类别）",
    )
)


@variable("annual_income", "家庭年收入（月收入×12，扣除刚性支出前）", "fen_year")
def annual_income(h: Households, p: Params) -> Array:
    return np.asarray(h.income_before_rigid_deduction * 12)


@variable("annual_income_per_capita", "家庭年人均收入", "fen_year")
def annual_income_per_capita(h: Households, p: Params) -> Array:
    return div_round(h.annual_income, h.size, HALF_UP)


@variable("rigid_expense_share", "刚性支出与家庭年收入之比（下限）", "ratio")
def rigid_expense_share(h: Households, p: Params) -> Array:
    return p("rigid_expense.expense_share")


@rigid_expense.test(
    "rigid_expense_exceeds_income",
    passed="近12个月刚性支出超过家庭年收入的规定比例",
    failed="近12个月刚性支出未超过家庭年收入的规定比例",
    detail="近12个月自付医疗、教育费用{rigid_expense_12m}，家庭年收入{annual_income}，须超过家庭年收入的{rigid_expense_share}倍",
)
def rigid_expense_exceeds_income(h: Households, p: Params) -> Array:
    expense = h.rigid_expense_12m
    return np.asarray((expense > 0) & (expense * RATIO_SCALE > h.rigid_expense_share * h.annual_income))


@variable("rigid_expense_income_ratio", "人均收入与当地人均可支配收入之比（上限）", "ratio")
def rigid_expense_income_ratio(h: Households, p: Params) -> Array:
    return p("rigid_expense.income_ratio")


@rigid_expense.test(
    "income_below_disposable",
    passed="家庭年人均收入低于当地上年人均可支配收入的规定比例",
    failed="家庭年人均收入不低于当地上年人均可支配收入的规定比例",
    detail="家庭年人均收入{annual_income_per_capita}，当地上年人均可支配收入"
    "{disposable_income_per_capita}，须低于其{rigid_expense_income_ratio}倍",
)
def income_below_disposable(h: Households, p: Params) -> Array:
    return np.asarray(
        h.annual_income * RATIO_SCALE < h.rigid_expense_income_ratio * h.disposable_income_per_capita * h.size
    )


add_asset_tests(rigid_expense, "dibao_edge")


@rigid_expense.amount
def rigid_expense_amount(h: Households, p: Params) -> Array:
    return np.zeros(h.n, dtype=np.int64)
