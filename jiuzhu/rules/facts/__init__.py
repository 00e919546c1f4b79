"""Facts about households (家庭经济状况等事实), one at a time or as numpy columns.

``HouseholdFacts`` / ``Member`` / ``Supporter`` describe one household for the API and
for traced single evaluation; ``household_from_dict`` parses and validates the JSON form
with field paths (``members[0].incomes.wage``). ``FactsBatch`` holds many households as
columns — household columns of length H, member columns of length M (members of a
household are contiguous), supporter columns of length S — so that formulas never loop
over households in Python. A single household is a batch of one.

Money is integer fen (分); monthly unless the name says ``_12m`` (last 12 months).

The package by concern: ``codes`` (limits and code lists), ``household`` (the dataclasses and
the primitive field checks), ``dicts`` (the JSON form), ``rows`` (validated rows and the column
specifications), ``batch`` (``FactsBatch``). Import from ``jiuzhu.rules.facts``.
"""

from __future__ import annotations

from .batch import FactsBatch
from .codes import (
    APPROVAL_LEVELS,
    ASSET_TYPES,
    DISABILITY_TYPES,
    EMERGENCY_EVENTS,
    INCOME_TYPES,
    LABOUR_CAPACITY,
    MAX_AGE,
    MAX_COUNT,
    MAX_FEN,
    MAX_MEMBERS,
    MAX_SUPPORTERS,
    RELATIONS,
    SCHOOL,
    SELF_CARE_ITEMS,
    SUPPORTER_RELATIONS,
    TEMPORARY_KINDS,
    Array,
    code_of,
)
from .dicts import household_from_dict, household_to_dict, member_from_dict, supporter_from_dict
from .household import HouseholdFacts, Member, Supporter, TemporaryRequest
from .rows import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, SUPPORTER_COLUMNS, validate_household

__all__ = [
    "APPROVAL_LEVELS",
    "ASSET_TYPES",
    "DISABILITY_TYPES",
    "EMERGENCY_EVENTS",
    "HOUSEHOLD_COLUMNS",
    "INCOME_TYPES",
    "LABOUR_CAPACITY",
    "MAX_AGE",
    "MAX_COUNT",
    "MAX_FEN",
    "MAX_MEMBERS",
    "MAX_SUPPORTERS",
    "MEMBER_COLUMNS",
    "RELATIONS",
    "SCHOOL",
    "SELF_CARE_ITEMS",
    "SUPPORTER_COLUMNS",
    "SUPPORTER_RELATIONS",
    "TEMPORARY_KINDS",
    "Array",
    "FactsBatch",
    "HouseholdFacts",
    "Member",
    "Supporter",
    "TemporaryRequest",
    "code_of",
    "household_from_dict",
    "household_to_dict",
    "member_from_dict",
    "supporter_from_dict",
    "validate_household",
]
