"""Proposing next year's 低保 standard from consumption statistics (STD-1).

桓政字〔2021〕7号: the urban standard is 25–35 % of the previous year's urban per-capita
consumption expenditure (城市居民人均消费支出), the rural one 35–45 % of the rural figure,
adjusted dynamically for steady growth and in step with the city-wide standard.
``propose_standard`` computes the standard for a chosen share (default: the middle of
the range), the range itself, and compares with the standard in force, never proposing
a decrease (稳步可持续增长). The county decides; the proposal is advice with its sources.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from .areas import normalize_area
from .errors import RulesInputError
from .facts import MAX_FEN
from .money import RATIO_SCALE, UP, div_round, e4_to_str, ratio_to_e4, round_to_unit, yuan
from .parameters import ParameterStore, ParameterValue


@dataclass(frozen=True)
class StandardProposal:
    """A proposed monthly 低保 standard (元/人·月, in fen) and how it was derived."""

    area_code: str
    year: int
    urban: bool
    consumption_per_capita_fen: int  # previous year, per person, per year
    share: str
    share_min: str
    share_max: str
    formula_fen: int  # consumption × share ÷ 12, rounded up
    low_fen: int  # at share_min
    high_fen: int  # at share_max
    current_fen: int | None  # standard in force on 31 December of the previous year
    current_valid_from: str | None
    city_fen: int | None  # the city-level standard in force, to keep in step with
    monthly_fen: int  # the proposal: formula, never below the current standard
    raised_to_current: bool
    parameters: list[dict[str, Any]]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def propose_standard(
    params: ParameterStore,
    area_code: str,
    year: int,
    consumption_per_capita_fen: int,
    *,
    urban: bool,
    share: str | float | None = None,
) -> StandardProposal:
    """Propose the monthly 低保 standard of ``area_code`` for ``year`` from the previous
    year's per-capita consumption expenditure (``consumption_per_capita_fen``, annual).
    ``share`` (e.g. ``"0.30"``) must lie in the configured range; default: its middle."""
    key = normalize_area(area_code)
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise RulesInputError("invalid_value", "year", "年度应为2000–2100之间的整数")
    if isinstance(consumption_per_capita_fen, bool) or not isinstance(consumption_per_capita_fen, int):
        raise RulesInputError("invalid_type", "consumption_per_capita_fen", "人均消费支出应为整数（分）")
    if not 0 < consumption_per_capita_fen <= MAX_FEN:
        raise RulesInputError("out_of_range", "consumption_per_capita_fen", "人均消费支出应为正数且在合理范围内")
    on = date(year, 1, 1)
    kind = "urban" if urban else "rural"
    used: list[ParameterValue] = [
        params.lookup(f"standard_formula.share.{kind}.min", key, on),
        params.lookup(f"standard_formula.share.{kind}.max", key, on),
        params.lookup("standard_formula.rounding_unit_fen", key, on),
    ]
    lo, hi, unit = (v.internal for v in used)
    if share is None:
        chosen = (lo + hi) // 2
    else:
        try:
            chosen = ratio_to_e4(share)
        except ValueError:
            raise RulesInputError("invalid_value", "share", "比例应为小数，如0.30") from None
        if not lo <= chosen <= hi:
            raise RulesInputError(
                "out_of_range",
                "share",
                f"{'城市' if urban else '农村'}低保标准应为上年人均消费支出的"
                f"{e4_to_str(lo)}–{e4_to_str(hi)}，所选比例{e4_to_str(chosen)}超出范围",
            )

    def monthly(share_e4: int) -> int:
        raw = div_round(consumption_per_capita_fen * share_e4, 12 * RATIO_SCALE, UP)
        return int(round_to_unit(raw, unit, UP))

    formula, low, high = monthly(chosen), monthly(lo), monthly(hi)
    current: ParameterValue | None = None
    try:
        current = params.lookup(f"dibao.standard.{kind}", key, date(year - 1, 12, 31))
        used.append(current)
    except RulesInputError:
        current = None
    city: ParameterValue | None = None
    if len(key) > 4:
        try:
            city = params.lookup(f"dibao.standard.{kind}", key[:4], on)
        except RulesInputError:
            city = None
        if city is not None and city.area != key[:4]:
            city = None  # no city-level value of its own
    proposal = formula
    raised = False
    if current is not None and current.internal > formula:
        proposal, raised = current.internal, True
    label = "城市" if urban else "农村"
    message = (
        f"{year}年{label}低保标准建议{yuan(proposal)}/人·月：上年{label}居民人均消费支出"
        f"{yuan(consumption_per_capita_fen)}×{e4_to_str(chosen)}÷12≈{yuan(formula)}"
        f"（比例区间{e4_to_str(lo)}–{e4_to_str(hi)}对应{yuan(low)}–{yuan(high)}）"
    )
    if current is not None:
        message += f"；现行标准{yuan(current.internal)}（{current.valid_from.isoformat()}起）"
    if raised:
        message += "；按稳步增长原则不低于现行标准"
    if city is not None:
        message += f"；全市标准{yuan(city.internal)}，应与之相协调"
    return StandardProposal(
        area_code=key,
        year=year,
        urban=urban,
        consumption_per_capita_fen=consumption_per_capita_fen,
        share=e4_to_str(chosen),
        share_min=e4_to_str(lo),
        share_max=e4_to_str(hi),
        formula_fen=formula,
        low_fen=low,
        high_fen=high,
        current_fen=None if current is None else current.internal,
        current_valid_from=None if current is None else current.valid_from.isoformat(),
        city_fen=None if city is None else city.internal,
        monthly_fen=proposal,
        raised_to_current=raised,
        parameters=[v.to_trace() for v in used],
        message=message,
    )
