"""Registry → rules-engine facts: what the 一户一档 already knows about a family."""

from __future__ import annotations

from typing import Any

from jiuzhu.registry.models import Household

_DISABILITY = {"vision": "visual"}
_SCHOOL = {"college": "higher", "university": "higher", "dropout": "none"}


def household_facts(household: Household) -> list[dict[str, Any]]:
    """Initial member facts for the 救助测算 form (incomes and assets are asked there)."""
    out = []
    for p in household.current_members().filter(death_date__isnull=True):
        out.append(
            {
                "relation": p.relation or "other",
                "birth_date": p.birth_date,
                "labour_capacity": p.labour_capacity or "unassessed",
                "disability_type": _DISABILITY.get(p.disability_category, p.disability_category),
                "disability_grade": p.disability_grade or 0,
                "school": _SCHOOL.get(p.school_status, p.school_status),
                "serious_illness": p.health_status == "serious",
            }
        )
    return out


def default_facts(household: Household) -> dict[str, Any]:
    """The engine's JSON form of what the registry knows (incomes and assets are declared)."""
    members = []
    for m in household_facts(household):
        out = {k: v for k, v in m.items() if v not in ("", 0, None) or k == "relation"}
        out["birth_date"] = m["birth_date"].isoformat()
        members.append(out)
    return {"urban": household.urban_rural == "urban", "members": members}
