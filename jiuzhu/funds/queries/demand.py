"""The source-of-funds report (FND-11, FND-8), the fund-demand forecast (FND-7) and the multi-year
plan against budgets and actuals (FND-9)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Case, CharField, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from jiuzhu.areas.models import Area, full_code, in_subtree
from jiuzhu.payments.models import MONTHLY_PROGRAMS, Benefit, LedgerEntry, RosterLine
from jiuzhu.payments.roster import sync_benefits

from ..models import (
    FUND_PROGRAM_LABELS,
    FUND_SOURCE_LABELS,
    FUND_SOURCES,
    LEDGER_PROGRAMS,
    MONTHS,
    BudgetLine,
    CharityAccount,
    CharityEntry,
    FundPlan,
    PlanTarget,
)
from ._common import _key, ledger_actuals
from .spending import _names, _percent, _row_head, _targets, execution

# ==== source of funds (FND-11, FND-8) ============================================================


def by_source(user: Any, *, year: int, root: Area | None) -> dict[str, Any]:
    """预算按资金来源: per programme and source, shares, and what is tilted to the county."""
    empty = {"year": year, "rows": [], "sources": [], "total_fen": 0, "tilted_fen": 0, "charity_in_fen": 0}
    if root is None:
        return empty
    lines = BudgetLine.objects.visible_to(user).filter(in_subtree("area_code", root.prefix), year=year)
    matrix: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FUND_SOURCE_LABELS, 0))
    tilted: dict[str, int] = defaultdict(int)
    for prog, source, total, tilt in (
        lines.values("program", "source")
        .annotate(t=Sum("amount_fen"), tilt=Sum("amount_fen", filter=Q(tilted=True)))
        .values_list("program", "source", "t", "tilt")
    ):
        matrix[prog][source] += int(total or 0)
        tilted[prog] += int(tilt or 0)
    total_all = sum(sum(v.values()) for v in matrix.values())
    order = list(FUND_PROGRAM_LABELS)
    rows: list[dict[str, Any]] = [
        {
            "program": p,
            "program_label": FUND_PROGRAM_LABELS.get(p, p),
            "by_source": [matrix[p][s] for s, _ in FUND_SOURCES],
            "total_fen": sum(matrix[p].values()),
            "tilted_fen": tilted[p],
        }
        for p in sorted(matrix, key=lambda p: order.index(p) if p in order else 99)
    ]
    sources = []
    for i, (code, label) in enumerate(FUND_SOURCES):
        amount = sum(r["by_source"][i] for r in rows)
        sources.append({"source": code, "label": label, "amount_fen": amount, "share": _percent(amount, total_all)})
    charity_in = CharityEntry.objects.filter(
        account__in=CharityAccount.objects.visible_to(user).filter(in_subtree("area_code", root.prefix)),
        kind="inflow",
        occurred_on__year=year,
    ).aggregate(t=Sum("amount_fen"))["t"]
    return {
        "year": year,
        "rows": rows,
        "sources": sources,
        "total_fen": total_all,
        "tilted_fen": sum(tilted.values()),
        "charity_in_fen": int(charity_in or 0),
    }


# ==== forecast (FND-7) ===========================================================================

METHODS = {
    "recipients": "在保人数×现行月发放额",
    "run_rate": "按已发放月均推算",
    "plan": "按剩余月度用款计划",
    "none": "无可推算依据",
}


def _recipients(user: Any, root: Area, month: dt.date) -> dict[tuple[str, str, dt.date | None], tuple[int, int]]:
    """Benefits in force for ``month`` (monthly programmes), counted and summed at their current
    amount — the latest roster line, else the decided amount; 渐退 pays its fixed amount — per
    (town, programme, last month)."""
    latest = (
        RosterLine.objects.filter(application=OuterRef("application_id")).order_by("-month").values("amount_fen")[:1]
    )
    current = Case(
        When(status="gradual", gradual_amount_fen__isnull=False, then=F("gradual_amount_fen")),
        default=Coalesce(Subquery(latest), F("application__amount_fen"), Value(0)),
    )
    qs = (
        Benefit.objects.visible_to(user)
        .filter(in_subtree("area_code", root.prefix), program__in=MONTHLY_PROGRAMS)
        .exclude(status="stopped")
        .in_force(month)
        .annotate(town=Substr("area_code", 1, 9, output_field=CharField()), current=current)
        .values("town", "program", "end_month")
        .annotate(n=Count("pk"), total=Sum("current"))
    )
    return {(r["town"], r["program"], r["end_month"]): (int(r["n"]), int(r["total"] or 0)) for r in qs}


def forecast(user: Any, *, year: int, root: Area | None, as_of: dt.date | None = None) -> dict[str, Any]:
    """资金需求预测 (FND-7): what the rest of ``year`` will cost against what is left of the budget.
    Monthly programmes: current recipients × current monthly amounts for every month not yet paid
    (a benefit ending earlier stops counting then); one-off aid: the monthly average paid so far;
    other funds: the remaining monthly plan. Gap > 0 is a shortfall (资金缺口)."""
    as_of = as_of or timezone.localdate()
    report = execution(user, year=year, root=root)
    if root is None:
        return {"year": year, "as_of": as_of, "rows": [], "totals": {}}
    first_open = 1 if year > as_of.year else (13 if year < as_of.year else as_of.month)
    sync_benefits(root.prefix)  # approved cases not yet on a roster get their Benefit row, as a roster would
    recipients = _recipients(user, root, dt.date(year, first_open, 1)) if first_open <= 12 else {}
    rows_by_key = {(r["key"], r["program"]): r for r in report["rows"]}
    # recipients per row: a town's own, the county row all of them
    demand_parts: dict[tuple[str, str], list[tuple[int, int, dt.date | None]]] = defaultdict(list)
    for (town, prog, end), (n, total) in recipients.items():
        key = _key(full_code(town)) if root.level == "county" else root.prefix
        for k in _targets(root, key):
            demand_parts[(k, prog)].append((n, total, end))
    keys = set(rows_by_key) | set(demand_parts)
    areas = _names({k for k, _ in keys})
    out: list[dict[str, Any]] = []
    for key, prog in keys:
        row = rows_by_key.get((key, prog))
        actual = {m["month"]: m["actual_fen"] for m in row["months"]} if row else dict.fromkeys(MONTHS, 0)
        plan = {m["month"]: m["plan_fen"] for m in row["months"]} if row else dict.fromkeys(MONTHS, 0)
        start = first_open
        if start <= 12 and actual[start] > 0:  # this month already paid: forecast from the next
            start += 1
        open_months = [m for m in MONTHS if m >= start]
        parts = demand_parts.get((key, prog), [])
        n = sum(p[0] for p in parts)
        monthly = sum(p[1] for p in parts)
        if prog in MONTHLY_PROGRAMS:
            method = "recipients"
            demand = sum(
                total * sum(1 for m in open_months if end is None or dt.date(year, m, 1) <= end)
                for _, total, end in parts
            )
        elif prog in LEDGER_PROGRAMS and start > 1 and any(actual.values()):
            method = "run_rate"
            paid = sum(actual[m] for m in MONTHS if m < start)
            monthly = paid // (start - 1)
            demand = monthly * len(open_months)
        elif any(plan.values()):
            method = "plan"
            demand = sum(plan[m] for m in open_months)
        else:
            method, demand = "none", 0
        budget = row["budget_fen"] if row else 0
        spent = row["spent_fen"] if row else 0
        remaining = budget - spent
        area = areas.get(full_code(key))
        out.append(
            {
                **_row_head(key, prog, root, area),
                "budget_fen": budget,
                "spent_fen": spent,
                "remaining_fen": remaining,
                "recipients": n,
                "monthly_fen": monthly,
                "months_left": len(open_months),
                "demand_fen": demand,
                "gap_fen": demand - remaining,
                "method": method,
                "method_label": METHODS[method],
            }
        )
    order = list(FUND_PROGRAM_LABELS)
    out.sort(
        key=lambda r: (order.index(r["program"]) if r["program"] in order else 99, not r["consolidated"], r["key"])
    )
    top = [r for r in out if r["consolidated"]] or out
    totals = {k: sum(r[k] for r in top) for k in ("budget_fen", "remaining_fen", "demand_fen", "gap_fen")}
    return {"year": year, "as_of": as_of, "rows": out, "totals": totals}


# ==== multi-year plan against budgets and actuals (FND-9) =======================================


def plan_comparison(user: Any, plan: FundPlan) -> dict[str, Any]:
    """十四五 等资金规划: per programme and year the target, the budget and the actual paid."""
    years = plan.years
    targets: dict[str, dict[int, int]] = defaultdict(dict)
    for prog, year, amount in PlanTarget.objects.filter(plan=plan).values_list("program", "year", "amount_fen"):
        targets[prog][year] = amount
    budgets: dict[tuple[str, int], int] = {
        (p, y): int(t or 0)
        for p, y, t in BudgetLine.objects.visible_to(user)
        .filter(county_code=plan.county_code, year__gte=plan.start_year, year__lte=plan.end_year)
        .values("program", "year")
        .annotate(t=Sum("amount_fen"))
        .values_list("program", "year", "t")
    }
    actuals: dict[tuple[str, int], int] = defaultdict(int)
    ledger = LedgerEntry.objects.visible_to(user).filter(county_code=plan.county_code)
    for (_, prog, month), fen in ledger_actuals(
        ledger, dt.date(plan.start_year, 1, 1), dt.date(plan.end_year, 12, 31)
    ).items():
        actuals[(prog, month.year)] += fen
    programs = set(targets) | {p for p, _ in budgets} | {p for p, _ in actuals}
    order = list(FUND_PROGRAM_LABELS)
    rows = []
    for prog in sorted(programs, key=lambda p: order.index(p) if p in order else 99):
        cells: list[dict[str, Any]] = []
        for y in years:
            target = targets[prog].get(y)
            budget = budgets.get((prog, y), 0)
            actual = actuals.get((prog, y), 0)
            cells.append(
                {
                    "year": y,
                    "target_fen": target,
                    "budget_fen": budget,
                    "actual_fen": actual,
                    "budget_rate": _percent(budget, target or 0),
                    "actual_rate": _percent(actual, target or 0),
                }
            )
        rows.append(
            {
                "program": prog,
                "program_label": FUND_PROGRAM_LABELS.get(prog, prog),
                "years": cells,
                "target_fen": sum(c["target_fen"] or 0 for c in cells),
                "budget_fen": sum(c["budget_fen"] for c in cells),
                "actual_fen": sum(c["actual_fen"] for c in cells),
            }
        )
    return {"plan": plan, "years": years, "rows": rows}
