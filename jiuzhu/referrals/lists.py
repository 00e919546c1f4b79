"""两清单 (REG-3, LNK-6): what a family may qualify for (救助政策关爱清单) and what it actually
receives or has under way (困难家庭救助服务清单)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from jiuzhu.core.errors import DomainError
from jiuzhu.programs.engine import evaluate_household
from jiuzhu.programs.models import AssistanceProgram
from jiuzhu.registry.models import Household

from .conditions import context_for, matching_programs
from .models import AssistanceRecord, Referral

ENGINE = ["dibao", "tekun", "dibao_edge", "rigid_expense"]


def care_list(household: Household) -> list[dict[str, Any]]:
    """Every program the family may qualify for, with why: the rules engine for the basic
    programs (on what the registry and the latest case know), department programs by their
    conditions."""
    from jiuzhu.applications.models import Application
    from jiuzhu.programs.facts import default_facts

    latest = Application.objects.filter(household=household).order_by("-id").first()
    facts = latest.facts if latest and latest.facts else default_facts(household)
    facts = {k: v for k, v in facts.items() if k != "temporary"}
    out: list[dict[str, Any]] = []
    try:
        results = evaluate_household(household.area_id, timezone.localdate(), ENGINE, facts)
    except DomainError:
        results = {}
    catalog = {p.code: p for p in AssistanceProgram.objects.filter(is_active=True)}
    engine_catalog = {p.engine_program: p for p in catalog.values() if p.engine_program}
    for code, r in results.items():
        if r["eligible"]:
            program = engine_catalog.get(code)
            out.append(
                {
                    "code": program.code if program else code,
                    "name": r["name"],
                    "department": program.department_name if program else "民政局",
                    "why": "；".join(x["message"] for x in r["reasons"] if x["passed"]),
                    "basis": "救助测算",
                    "amount_fen": r["monthly_amount_fen"] or None,
                }
            )
    for code, reasons in matching_programs(context_for(household)).items():
        program = catalog.get(code)
        if program is not None:
            out.append(
                {
                    "code": code,
                    "name": program.name,
                    "department": program.department_name,
                    "why": "；".join(reasons),
                    "basis": "项目条件",
                    "amount_fen": None,
                }
            )
    return out


def service_list(household: Household) -> dict[str, Any]:
    """What the family receives (active records) and every open referral. ``grants`` shows
    each piece of help once: a household grant as one line for the whole family (its amount
    counted once), a person's grant as that person's line; ``totals`` sums them."""
    from jiuzhu.web.labels import department_label

    today = timezone.localdate()
    records = list(
        AssistanceRecord.objects.filter(household=household)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=today))
        .order_by("program_name", "-amount_fen", "name")
    )
    grants: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in records:
        key = (r.source, r.source_ref, r.program_code) if r.unit == "household" else ("row", r.pk)
        grant = grants.get(key)
        if grant is None:
            grant = grants[key] = {
                "program": r.program_name,
                "department": department_label(r.department_code),
                "source": r.source,
                "unit": r.unit,
                "names": [],
                "start_on": r.start_on,
                "end_on": r.end_on,
                "period": r.period,
                "amount_fen": 0,
            }
        grant["names"].append(r.name)
        grant["amount_fen"] += r.amount_fen
    for grant in grants.values():
        grant["people"] = len(grant["names"])
        names = "、".join(grant["names"])
        grant["who"] = f"全家（{names}）" if grant["unit"] == "household" else names
    rows = sorted(grants.values(), key=lambda g: (g["program"], g["who"]))
    totals = {
        "monthly_fen": sum(g["amount_fen"] for g in rows if g["period"] == "monthly"),
        "once_fen": sum(g["amount_fen"] for g in rows if g["period"] != "monthly"),
    }
    referrals = Referral.objects.filter(household=household).select_related("program", "department")
    return {
        "records": records,
        "grants": rows,
        "totals": totals,
        "referrals": list(referrals.order_by("-created_at")),
    }
