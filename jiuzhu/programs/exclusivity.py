"""Benefits that exclude each other (互斥救助, REG-6): one table, read by 救助测算 (screening),
intake, approval, the recipients' register and its duplicate check.

Each row names the program that is kept when a family meets both (``preferred``), the
program it excludes, and the reason in plain Chinese. The platform grants 低保 and 特困 to
the whole household (every living member is entered in the register), so a person-level
exclusion also holds between a household and any of its members.

The urban/rural side of 低保 (城市低保 / 农村低保) is not a choice of the applicant: it follows
the household's 户籍/area (``Household.urban_rural``), see ``urban_of``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Exclusion:
    preferred: str  # program kept when both are met
    excluded: str  # program that is then not granted
    scope: str  # "person": the same person may not have both; "household": the same family
    message: str  # why, in plain Chinese

    def other(self, program: str) -> str:
        return self.excluded if program == self.preferred else self.preferred


EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion(
        "tekun",
        "dibao",
        "person",
        "特困人员不再享受最低生活保障：特困人员救助供养与低保不可兼得，同时符合条件的优先认定为特困人员",
    ),
)
# 低保边缘家庭 and 刚性支出困难家庭 are recognitions the rules engine itself defines against 低保
# (a family that passes 低保 fails 低保边缘), so they need no row here.

# The recipients' register (社会救助对象基础信息库) names programs by catalog code.
CATALOG_CODES: dict[str, tuple[str, ...]] = {
    "dibao": ("dibao_urban", "dibao_rural"),
    "tekun": ("tekun", "tekun_centralized", "tekun_dispersed", "tekun_social_custody"),
}
# Register-only pairs (programs the platform does not decide itself).
_REGISTER_ONLY = [("tekun", {"orphan_basic_living", "orphan_support"})]


def exclusions_of(program: str) -> list[Exclusion]:
    """Every row that involves ``program``, on either side."""
    return [e for e in EXCLUSIONS if program in (e.preferred, e.excluded)]


def pair_conflicts(programs: Iterable[str]) -> list[Exclusion]:
    """Rows whose two programs are both in ``programs`` (e.g. one intake asking for both)."""
    chosen = set(programs)
    return [e for e in EXCLUSIONS if e.preferred in chosen and e.excluded in chosen]


def annotate_screening(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """智能研判: mark each program that an eligible program excludes (``excluded_by``,
    ``exclusion``), so the window pre-ticks only the one to grant and says why."""
    for code, result in results.items():
        result.setdefault("excluded_by", "")
        result.setdefault("exclusion", "")
        for e in EXCLUSIONS:
            kept = results.get(e.preferred)
            if e.excluded == code and kept is not None and kept.get("eligible") and result.get("eligible"):
                result["excluded_by"], result["exclusion"] = e.preferred, e.message
                break
    return results


def register_codes(program: str) -> tuple[str, ...]:
    return CATALOG_CODES.get(program, (program,))


def register_pairs() -> list[tuple[set[str], set[str]]]:
    """The table in catalog codes, for the register's duplicate check (重复救助)."""
    pairs = [(set(register_codes(e.preferred)), set(register_codes(e.excluded))) for e in EXCLUSIONS]
    return pairs + [(set(register_codes(a)), set(b)) for a, b in _REGISTER_ONLY]


def urban_of(household: Any) -> bool:
    """城市 or 农村 for the household's benefits: its 户籍/area classification, never a fact
    an applicant or a client chooses."""
    return bool(household.urban_rural == "urban")
