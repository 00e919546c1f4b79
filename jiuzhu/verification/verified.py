"""Declared and verified (issue 14 item 5, VER-12, INT-3): what the family declared at the
window and what the departments' data say, side by side, and the facts a decision uses.

A 核对报告 keeps, per member, the incomes and assets the departments' data give, and which
types were checked at all (a source with no loaded or only stale data checks nothing). A
decision then uses:

- for what a department pays or registers (pensions, 基础养老金, allowances, 优抚, subsidies,
  awards; vehicles, houses, businesses): the department's figure — also 0 when it knows none,
  since the payer's or the register's data are complete;
- for incomes and assets a department sees only in part (wages, business, transfers,
  deposits, securities): the larger of the declared and the verified figure;
- for the 12 months' self-paid medical and education costs (支出型临时救助, 刚性支出): the
  larger of the declared (receipts seen at the window or the visit) and the verified figure
  (医保's settlements, the school's fees) — a department's data show costs the family may not
  have brought receipts for, and receipts may show costs outside the department's data;
- for anything no checked source covers: the declaration.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jiuzhu.rules.facts import ASSET_TYPES, INCOME_TYPES

from .catalog import EXPENSE_MEASURES

# Types a department knows completely (it pays them, or it is the register).
AUTHORITATIVE = frozenset(
    {
        "pension",
        "basic_pension",
        "allowance",
        "preferential",
        "agricultural_subsidy",
        "award",
        "family_planning",
        "vehicles",
        "houses",
        "businesses",
    }
)
MONEY_ASSETS = ("deposits", "securities")
KINDS: tuple[tuple[str, Any], ...] = (("incomes", INCOME_TYPES), ("assets", ASSET_TYPES))
# a member's expense as a department measures it → the facts' field a decision reads
EXPENSE_FIELDS = {"medical": "medical_oop_fen", "education": "education_oop_fen"}


def content_part(
    members: list[Any], measures: dict[int, Any], covered: Iterable[tuple[str, str]], on: Any
) -> dict[str, Any]:
    """The ``verified`` part of a report's content. ``covered``: (kind, measure) of the checked sources."""
    kinds = set(covered)
    return {
        "incomes": sorted(m for k, m in kinds if k == "income" and m in INCOME_TYPES),
        "assets": sorted(m for k, m in kinds if k == "asset" and m in ASSET_TYPES),
        "expenses": sorted(m for k, m in kinds if k == "expense" and m in EXPENSE_FIELDS),
        "members": [
            {
                "person_id": p.pk,
                "name": p.name,
                "relation": p.relation or "other",
                "birth_date": p.birth_date.isoformat() if p.birth_date else "",
                "incomes": {k: v for k, v in getattr(measures.get(p.pk), "incomes", {}).items() if v},
                "assets": {k: v for k, v in getattr(measures.get(p.pk), "assets", {}).items() if v},
                "expenses": {k: v for k, v in getattr(measures.get(p.pk), "expenses", {}).items() if v},
            }
            for p in members
        ],
    }


def _pair(facts_members: list[dict[str, Any]], verified_members: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """The verified member of each declared member, by relation and birth date."""
    pool = list(verified_members)
    out: list[dict[str, Any] | None] = []
    for m in facts_members:
        birth = str(m.get("birth_date") or "")[:10]
        match = next((v for v in pool if v["relation"] == m.get("relation") and v["birth_date"] == birth), None)
        match = match or next((v for v in pool if v["birth_date"] == birth and birth), None)
        if match is not None:
            pool.remove(match)
        out.append(match)
    return out


def _used(kind: str, declared: int | None, verified: int | None, covered: bool) -> int:
    if not covered:
        return declared or 0
    if kind in AUTHORITATIVE:
        return verified or 0
    return max(declared or 0, verified or 0)


def with_verified(facts: dict[str, Any], verified: dict[str, Any] | None) -> dict[str, Any]:
    """The facts a decision uses: the declaration corrected by the report's data."""
    if not verified or not facts.get("members"):
        return facts
    checked = {key: set(verified[key]) for key, _ in KINDS}
    checked_expenses = set(verified.get("expenses", ()))  # a report from before expenses were kept: none
    members = []
    for m, v in zip(facts["members"], _pair(facts["members"], verified["members"]), strict=True):
        if v is None:
            members.append(m)
            continue
        out = dict(m)
        for key, types in KINDS:
            declared, found = m.get(key) or {}, v.get(key) or {}
            merged = {
                t: _used(t, declared.get(t), found.get(t), t in checked[key])
                for t in types
                if t in declared or t in found
            }
            out[key] = {t: amount for t, amount in merged.items() if amount}
        for measure, field in EXPENSE_FIELDS.items():
            if measure in checked_expenses:
                out[field] = max(int(m.get(field) or 0), int((v.get("expenses") or {}).get(measure) or 0))
        members.append(out)
    return {**facts, "members": members}


def comparison(facts: dict[str, Any], verified: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Rows of the declared-vs-verified table: member, type, declared, verified, used."""
    if not verified or not facts.get("members"):
        return []
    checked_types = {key: set(verified[key]) for key, _ in KINDS}
    checked_expenses = set(verified.get("expenses", ()))
    rows = []
    pairs = zip(facts["members"], _pair(facts["members"], verified["members"]), strict=True)
    for index, (m, v) in enumerate(pairs):
        name = v["name"] if v else f"成员{index + 1}"
        for key, types in KINDS:
            declared, found = m.get(key) or {}, (v or {}).get(key) or {}
            for t in types:
                if t not in declared and t not in found:
                    continue
                checked = v is not None and t in checked_types[key]
                rows.append(
                    {
                        "member": name,
                        "kind": "income" if key == "incomes" else "asset",
                        "type": t,
                        "label": INCOME_TYPES.get(t) or ASSET_TYPES[t][0],
                        "money": key == "incomes" or t in MONEY_ASSETS,
                        "declared": declared.get(t),
                        "verified": found.get(t, 0) if checked else None,
                        "used": _used(t, declared.get(t), found.get(t), checked),
                        "differs": checked and (declared.get(t) or 0) != (found.get(t) or 0),
                    }
                )
        for measure, field in EXPENSE_FIELDS.items():
            stated, seen = int(m.get(field) or 0), int(((v or {}).get("expenses") or {}).get(measure) or 0)
            if not stated and not seen:
                continue
            checked = v is not None and measure in checked_expenses
            rows.append(
                {
                    "member": name,
                    "kind": "expense",
                    "type": measure,
                    "label": EXPENSE_MEASURES[measure],
                    "money": True,
                    "declared": stated,
                    "verified": seen if checked else None,
                    "used": max(stated, seen) if checked else stated,
                    "differs": checked and stated != seen,
                }
            )
    return rows
