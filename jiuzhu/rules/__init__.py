"""jiuzhu.rules — the pure rules engine of the platform (规则引擎). No Django.

Facts about households go in; for each assistance program come out: eligibility, the
atomic tests with reason codes and Chinese messages, the benefit amount in integer fen,
and — for a single household — a JSON trace naming every parameter version and
intermediate value, so a decision can be reproduced years later.

    from datetime import date
    from jiuzhu.rules import ParameterStore, household_from_dict, evaluate_one

    params = ParameterStore.from_directory()                # + overrides=[ParameterRecord]
    h = household_from_dict({"urban": True, "members": [{"age": 45}, {"age": 12}]})
    r = evaluate_one("dibao", h, "370405", date(2026, 3, 1), params)
    r.eligible, r.monthly_amount_fen, [x.code for x in r.failed], r.trace

Batch (vectorized, no Python loop over households)::

    batch = FactsBatch.from_households(list_of_households)  # or FactsBatch.from_columns(...)
    res = evaluate("dibao", batch, date(2026, 3, 1), params)
    res.eligible, res.reasons_bitmask, res.monthly_amount_fen

``screen(household, area_code, date, params)`` runs every applicable program (智能研判).
``propose_standard(params, area_code, year, consumption_fen, urban=...)`` proposes next
year's 低保 standard from consumption statistics (STD-1).

Programs: ``dibao`` 最低生活保障, ``tekun`` 特困人员救助供养, ``dibao_edge`` 低保边缘家庭,
``rigid_expense`` 刚性支出困难家庭, ``temporary`` 临时救助. Bad input of any kind raises
``RulesInputError(code, field, message)``.
"""

from .core import PROGRAMS, Program
from .engine import (
    RULES_VERSION,
    BatchResult,
    Reason,
    Result,
    amount_basis,
    evaluate,
    evaluate_all,
    evaluate_one,
    household_variable,
    screen,
)
from .errors import RulesInputError
from .facts import (
    APPROVAL_LEVELS,
    ASSET_TYPES,
    DISABILITY_TYPES,
    EMERGENCY_EVENTS,
    HOUSEHOLD_COLUMNS,
    INCOME_TYPES,
    LABOUR_CAPACITY,
    MEMBER_COLUMNS,
    RELATIONS,
    SCHOOL,
    SELF_CARE_ITEMS,
    SUPPORTER_COLUMNS,
    SUPPORTER_RELATIONS,
    TEMPORARY_KINDS,
    FactsBatch,
    HouseholdFacts,
    Member,
    Supporter,
    TemporaryRequest,
    code_of,
    household_from_dict,
    household_to_dict,
)
from .parameters import ParameterRecord, ParameterStore, ParameterValue
from .standards import StandardProposal, propose_standard

__all__ = [
    "APPROVAL_LEVELS",
    "ASSET_TYPES",
    "DISABILITY_TYPES",
    "EMERGENCY_EVENTS",
    "HOUSEHOLD_COLUMNS",
    "INCOME_TYPES",
    "LABOUR_CAPACITY",
    "MEMBER_COLUMNS",
    "PROGRAMS",
    "RELATIONS",
    "RULES_VERSION",
    "SCHOOL",
    "SELF_CARE_ITEMS",
    "SUPPORTER_COLUMNS",
    "SUPPORTER_RELATIONS",
    "TEMPORARY_KINDS",
    "BatchResult",
    "FactsBatch",
    "HouseholdFacts",
    "Member",
    "ParameterRecord",
    "ParameterStore",
    "ParameterValue",
    "Program",
    "Reason",
    "Result",
    "RulesInputError",
    "StandardProposal",
    "Supporter",
    "TemporaryRequest",
    "amount_basis",
    "code_of",
    "evaluate",
    "evaluate_all",
    "evaluate_one",
    "household_from_dict",
    "household_to_dict",
    "household_variable",
    "propose_standard",
    "screen",
]
