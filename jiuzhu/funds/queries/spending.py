"""Budget execution (FND-5): plan against actual by scope, programme and month, and its Excel export."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from jiuzhu.areas.models import Area, full_code, in_subtree
from jiuzhu.payments.models import LedgerEntry
from jiuzhu.web.files import xlsx

from ..models import (
    FUND_PROGRAM_LABELS,
    LEDGER_PROGRAMS,
    MONTHS,
    BudgetLine,
    MonthlyPlan,
    ServiceContract,
)
from ._common import _key, ledger_actuals


def _row_head(key: str, prog: str, root: Area, area: Area | None) -> dict[str, Any]:
    """What names a report row: its scope (a county row consolidates its towns) and programme."""
    return {
        "key": key,
        "area_code": full_code(key),
        "area_name": area.name if area else key,
        "consolidated": root.level == "county" and key == root.prefix,
        "program": prog,
        "program_label": FUND_PROGRAM_LABELS.get(prog, prog),
    }


def _new_cell() -> dict[str, Any]:
    return {
        "budget_fen": 0,
        "lines": 0,
        "contracted_fen": 0,
        "plan": dict.fromkeys(MONTHS, 0),
        "actual": dict.fromkeys(MONTHS, 0),
    }


def _targets(root: Area, key: str) -> list[str]:
    """Which rows a figure of ``key`` adds to: its own, and the county's consolidated row."""
    if root.level == "county" and key != root.prefix:
        return [key, root.prefix]
    return [root.prefix if root.level == "county" else key]


def _cells(user: Any, *, year: int, root: Area, program: str = "") -> dict[tuple[str, str], dict[str, Any]]:
    cells: dict[tuple[str, str], dict[str, Any]] = defaultdict(_new_cell)
    lines = BudgetLine.objects.visible_to(user).filter(in_subtree("area_code", root.prefix), year=year)
    if program:
        lines = lines.filter(program=program)
    for area_code, prog, total, n in (
        lines.values("area_code", "program")
        .annotate(t=Sum("amount_fen"), n=Count("id"))
        .values_list("area_code", "program", "t", "n")
    ):
        for k in _targets(root, _key(area_code)):
            cells[(k, prog)]["budget_fen"] += int(total or 0)
            cells[(k, prog)]["lines"] += n
    for area_code, prog, month, total in (
        MonthlyPlan.objects.filter(line__in=lines)
        .values("line__area_code", "line__program", "month")
        .annotate(t=Sum("amount_fen"))
        .values_list("line__area_code", "line__program", "month", "t")
    ):
        for k in _targets(root, _key(area_code)):
            cells[(k, prog)]["plan"][month] += int(total or 0)
    for area_code, prog, total in (
        ServiceContract.objects.filter(line__in=lines)
        .values("line__area_code", "line__program")
        .annotate(t=Sum("amount_fen"))
        .values_list("line__area_code", "line__program", "t")
    ):
        for k in _targets(root, _key(area_code)):
            cells[(k, prog)]["contracted_fen"] += int(total or 0)
    ledger = LedgerEntry.objects.visible_to(user).filter(in_subtree("area_code", root.prefix))
    if not program or program in LEDGER_PROGRAMS:
        actuals = ledger_actuals(ledger, dt.date(year, 1, 1), dt.date(year, 12, 31), program)
        for (town, prog, first_day), fen in actuals.items():
            if not fen:
                continue
            key = _key(full_code(town)) if root.level == "county" else root.prefix
            for k in _targets(root, key):
                cells[(k, prog)]["actual"][first_day.month] += fen
    return cells


def _names(keys: set[str]) -> dict[str, Area]:
    codes = [full_code(k) for k in keys]
    return {a.code: a for a in Area.objects.filter(code__in=codes)}


def _percent(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


def execution(user: Any, *, year: int, root: Area | None, program: str = "") -> dict[str, Any]:
    """预算执行 (FND-5): per scope and programme the annual budget, the monthly plan, actual
    payments per month from the ledger, contracts charged (FND-12) and what is left."""
    if root is None:
        return {"year": year, "root": None, "rows": [], "totals": _totals([])}
    cells = _cells(user, year=year, root=root, program=program)
    areas = _names({k for k, _ in cells})
    today = timezone.localdate()
    rows = []
    for (key, prog), c in cells.items():
        area = areas.get(full_code(key))
        actual_total = sum(c["actual"].values())
        plan_total = sum(c["plan"].values())
        spent = actual_total + c["contracted_fen"]
        upto = 12 if year < today.year else (today.month if year == today.year else 0)
        plan_to_date = sum(c["plan"][m] for m in MONTHS if m <= upto)
        rows.append(
            {
                **_row_head(key, prog, root, area),
                "ledger": prog in LEDGER_PROGRAMS,
                "lines": c["lines"],
                "budget_fen": c["budget_fen"],
                "plan_fen": plan_total,
                "plan_to_date_fen": plan_to_date,
                "actual_fen": actual_total,
                "contracted_fen": c["contracted_fen"],
                "spent_fen": spent,
                "balance_fen": c["budget_fen"] - spent,
                "rate": _percent(spent, c["budget_fen"]),
                "behind_plan": actual_total < plan_to_date,
                "months": [{"month": m, "plan_fen": c["plan"][m], "actual_fen": c["actual"][m]} for m in MONTHS],
            }
        )
    order = list(FUND_PROGRAM_LABELS)
    rows.sort(
        key=lambda r: (order.index(r["program"]) if r["program"] in order else 99, not r["consolidated"], r["key"])
    )
    return {"year": year, "root": root, "rows": rows, "totals": _totals(rows)}


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over the rows that do not overlap (the consolidated rows when there are any)."""
    top = [r for r in rows if r["consolidated"]] or rows
    keys = ("budget_fen", "plan_fen", "actual_fen", "contracted_fen", "spent_fen", "balance_fen")
    out: dict[str, Any] = {k: sum(r[k] for r in top) for k in keys}
    out["rate"] = _percent(out["spent_fen"], out["budget_fen"])
    out["months"] = [
        {
            "month": m,
            "plan_fen": sum(r["months"][m - 1]["plan_fen"] for r in top),
            "actual_fen": sum(r["months"][m - 1]["actual_fen"] for r in top),
        }
        for m in MONTHS
    ]
    return out


def execution_xlsx(report: dict[str, Any]) -> bytes:
    headers = ["区域代码", "区域", "救助项目", "年度预算（元）", "用款计划（元）"]
    for m in MONTHS:
        headers += [f"{m}月计划（元）", f"{m}月实际（元）"]
    headers += ["实际发放（元）", "购买服务合同（元）", "预算余额（元）", "执行率"]
    body = []
    for r in report["rows"]:
        row: list[Any] = [
            r["area_code"],
            r["area_name"] + ("（合计）" if r["consolidated"] else ""),
            r["program_label"],
            r["budget_fen"] / 100,
            r["plan_fen"] / 100,
        ]
        for cell in r["months"]:
            row += [cell["plan_fen"] / 100, cell["actual_fen"] / 100]
        row += [r["actual_fen"] / 100, r["contracted_fen"] / 100, r["balance_fen"] / 100, r["rate"]]
        body.append(row)
    return xlsx(headers, body, text={0, 1, 2}, sheet=f"{report['year']}年预算执行")
