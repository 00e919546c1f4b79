"""最低生活保障边缘家庭 (低保边缘).

A household that does not qualify for 低保, whose monthly income per person is at most
the configured multiple (1.5×) of the 低保 standard, and whose assets are within the
边缘 limits. It is a status that opens special assistance (医疗、教育、住房、就业救助);
it carries no monthly cash of its own, so its amount is 0.
"""

from __future__ import annotations

import numpy as np

from ..core import PROGRAMS, Households, Params, Program, register_program, variable
from ..facts import Array
from ..money import HALF_UP, RATIO_SCALE, mul_ratio
from ..variables import add_asset_tests, define_asset_limits
from . import dibao as _dibao  # noqa: F401  (registers dibao first)

dibao_edge = register_program(
    Program(
        code="dibao_edge",
        name="最低生活保障边缘家庭",
        description="不符合低保条件，家庭月人均收入不超过当地低保标准1.5倍且财产符合规定的家庭",
        amount_kind="none",
        amount_label="无现金（认定类别）",
    )
)

define_asset_limits("dibao_edge", "低保边缘")


@variable("dibao_eligible", "符合最低生活保障条件", "bool")
def dibao_eligible(h: Households, p: Params) -> Array:
    return PROGRAMS["dibao"].passes(h, p)


@dibao_edge.test(
    "not_dibao_eligible",
    passed="不符合最低生活保障条件",
    failed="符合最低生活保障条件，应按低保认定",
)
def not_dibao_eligible(h: Households, p: Params) -> Array:
    return np.asarray(~h.dibao_eligible)


@variable("dibao_edge_multiplier", "低保边缘收入标准与低保标准之比", "ratio")
def dibao_edge_multiplier(h: Households, p: Params) -> Array:
    return p("dibao_edge.income_multiplier")


@variable("dibao_edge_income_line", "低保边缘收入标准（每人每月）")
def dibao_edge_income_line(h: Households, p: Params) -> Array:
    return mul_ratio(h.dibao_standard, h.dibao_edge_multiplier, HALF_UP)


@dibao_edge.test(
    "income_within_edge_line",
    passed="家庭月人均收入不超过低保边缘收入标准",
    failed="家庭月人均收入超过低保边缘收入标准",
    detail="家庭月人均收入{counted_income_per_capita}，低保边缘收入标准{dibao_edge_income_line}"
    "（低保标准{dibao_standard}的{dibao_edge_multiplier}倍）",
)
def income_within_edge_line(h: Households, p: Params) -> Array:
    # exact: income × 10000 ≤ multiplier(ten-thousandths) × standard × members
    return np.asarray(h.counted_income * RATIO_SCALE <= h.dibao_edge_multiplier * h.dibao_standard * h.size)


add_asset_tests(dibao_edge, "dibao_edge")


@dibao_edge.amount
def dibao_edge_amount(h: Households, p: Params) -> Array:
    return np.zeros(h.n, dtype=np.int64)
