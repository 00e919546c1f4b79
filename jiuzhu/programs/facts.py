"""Registry → rules-engine facts: what the 一户一档 already knows about a family."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jiuzhu.registry.models import Household, Person

_DISABILITY = {"vision": "visual"}
_SCHOOL = {"college": "higher", "university": "higher", "dropout": "none"}


def person_facts(p: Person) -> dict[str, Any]:
    """What the registry knows of one member, in the 救助测算 form's terms."""
    return {
        "relation": p.relation or "other",
        "birth_date": p.birth_date,
        "labour_capacity": p.labour_capacity or "unassessed",
        "disability_type": _DISABILITY.get(p.disability_category, p.disability_category),
        "disability_grade": p.disability_grade or 0,
        "school": _SCHOOL.get(p.school_status, p.school_status),
        "serious_illness": p.health_status == "serious",
    }


def household_facts(household: Household) -> list[dict[str, Any]]:
    """Initial member facts for the 救助测算 form (incomes and assets are asked there)."""
    return [person_facts(p) for p in household.current_members().filter(death_date__isnull=True)]


def default_facts(household: Household, declared: Mapping[int, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The engine's JSON form of what the registry knows; ``declared`` adds, per person id, the
    incomes and assets the family declared (``{"incomes": …, "assets": …}``, amounts in 分)."""
    members = []
    for p in household.current_members().filter(death_date__isnull=True):
        m = person_facts(p)
        out = {k: v for k, v in m.items() if v not in ("", 0, None) or k == "relation"}
        out["birth_date"] = m["birth_date"].isoformat()
        for key, values in (declared or {}).get(p.pk, {}).items():
            if key in ("incomes", "assets") and values:
                out[key] = dict(values)
        members.append(out)
    return {"urban": household.urban_rural == "urban", "members": members}
