"""Read side of 资金预算与统筹: budget execution (FND-5), the source-of-funds report (FND-11),
the fund-demand forecast (FND-7), plan against budget and actual (FND-9), charity balances
(FND-15), the towns' reserves (FND-2, FND-8) and the Excel export. Everything is a grouped
query; actual spending comes from the payments ledger (payments minus reversals), never from a
copy.

An execution row is a *scope* (a county or a town) and a programme. A town's row holds the
town's budget lines and the ledger of its villages; the county row consolidates: the county's
own lines plus every town's lines, against the whole county's ledger (全区合计).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Case, CharField, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.utils import timezone

from jiuzhu.areas.models import Area, full_code, in_subtree
from jiuzhu.core.errors import NotFound
from jiuzhu.payments.models import MONTHLY_PROGRAMS, Benefit, LedgerEntry, RosterLine
from jiuzhu.payments.roster import sync_benefits
from jiuzhu.web.files import xlsx

from .models import (
    FUND_PROGRAM_LABELS,
    FUND_SOURCE_LABELS,
    FUND_SOURCES,
    LEDGER_PROGRAMS,
    MONTHS,
    BudgetLine,
    CharityAccount,
    CharityEntry,
    FundPlan,
    MonthlyPlan,
    PlanTarget,
    ReserveEntry,
    ServiceContract,
)


def root_area(user: Any, code: str | None = None) -> Area | None:
    """The county or town a report covers: the one asked for (inside the user's jurisdiction,
    else 404), else the user's own area; a superuser without area gets the first county."""
    if code:
        text = str(code).strip()
        area: Area | None = (
            Area.objects.visible_to(user).filter(code=full_code(text), level__in=("county", "town")).first()
            if text.isdigit() and len(text) <= 12
            else None
        )
        if area is None:
            raise NotFound("not_found", "区划不存在或不在您的管辖范围内")
        return area
    own: Area | None = getattr(user, "area", None)
    if own is not None and own.level in ("county", "town"):
        return own
    if own is not None and own.level == "village":
        return Area.objects.filter(code=own.code[:9] + "000").first()
    first = BudgetLine.objects.visible_to(user).order_by("county_code").values_list("county_code", flat=True).first()
    counties = Area.objects.visible_to(user).filter(level="county").order_by("code")
    return (counties.filter(code=full_code(first)) if first else counties).first()


def _key(area_code: str) -> str:
    """A 12-digit code → its scope key: 9 digits for towns and below, 6 for the county itself."""
    return area_code[:6] if area_code[6:9] == "000" else area_code[:9]


def _month(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def ledger_actuals(qs: Any, start: dt.date, end: dt.date, program: str = "") -> dict[tuple[str, str, dt.date], int]:
    """Net paid (payments − reversals) per (town prefix, programme, month) from a ledger
    queryset. Monthly benefits count in their month (所属月份); one-off aid in its booking month."""
    qs = qs.filter(kind__in=("payment", "reversal"))
    if program:
        qs = qs.filter(program=program)
    sums = {
        "p": Sum("amount_fen", filter=Q(kind="payment")),
        "r": Sum("amount_fen", filter=Q(kind="reversal")),
    }
    out: dict[tuple[str, str, dt.date], int] = defaultdict(int)
    periodic = (
        qs.filter(period__gte=start, period__lte=end)
        .annotate(town=Substr("area_code", 1, 9))
        .values("town", "program", "period")
        .annotate(**sums)
    )
    for r in periodic:
        out[(r["town"], r["program"], r["period"])] += int(r["p"] or 0) - int(r["r"] or 0)
    one_off = (
        qs.filter(period__isnull=True, created_at__date__gte=start, created_at__date__lte=end)
        .annotate(town=Substr("area_code", 1, 9), month=TruncMonth("created_at"))
        .values("town", "program", "month")
        .annotate(**sums)
    )
    for r in one_off:
        out[(r["town"], r["program"], _month(r["month"]))] += int(r["p"] or 0) - int(r["r"] or 0)
    return out


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
                "key": key,
                "area_code": full_code(key),
                "area_name": area.name if area else key,
                "consolidated": root.level == "county" and key == root.prefix,
                "program": prog,
                "program_label": FUND_PROGRAM_LABELS.get(prog, prog),
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
                "key": key,
                "area_code": full_code(key),
                "area_name": area.name if area else key,
                "consolidated": root.level == "county" and key == root.prefix,
                "program": prog,
                "program_label": FUND_PROGRAM_LABELS.get(prog, prog),
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


# ==== charity fund (FND-15) ======================================================================


def charity_summary(accounts: list[CharityAccount]) -> list[dict[str, Any]]:
    """Each account's balance, inflows and outflows (two grouped queries)."""
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account_id, kind, total in (
        CharityEntry.objects.filter(account__in=accounts)
        .values("account", "kind")
        .annotate(t=Sum("amount_fen"))
        .values_list("account", "kind", "t")
    ):
        sums[account_id][kind] = int(total or 0)
    return [
        {
            "account": a,
            "inflow_fen": sums[a.pk]["inflow"],
            "outflow_fen": sums[a.pk]["outflow"],
            "balance_fen": sums[a.pk]["inflow"] - sums[a.pk]["outflow"],
        }
        for a in accounts
    ]


# ==== town reserve funds (FND-2, FND-3, FND-8) ===================================================


def reserve_summary(funds: Any) -> list[dict[str, Any]]:
    """Each town's reserve: balance, top-ups by source (FND-8), disbursements, warning."""
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fund, kind, source, total in (
        ReserveEntry.objects.filter(fund__in=funds)
        .values("fund", "kind", "source")
        .annotate(t=Sum("amount_fen"))
        .values_list("fund", "kind", "source", "t")
    ):
        sums[fund][kind if kind != "top_up" else f"top_up_{source}"] += int(total or 0)
    last: dict[int, int] = {}
    for fund_id, balance in (
        ReserveEntry.objects.filter(fund__in=funds).order_by("fund", "-id").values_list("fund", "balance_after_fen")
    ):
        last.setdefault(fund_id, balance)
    out = []
    for fund in funds:
        s = sums[fund.pk]
        balance = int(last.get(fund.pk, 0))
        out.append(
            {
                "fund": fund,
                "balance_fen": balance,
                "top_up_fiscal_fen": s["top_up_fiscal"],
                "top_up_donation_fen": s["top_up_donation"] + s["top_up_other"],
                "disbursed_fen": s["disbursement"],
                "low": balance < fund.low_balance_fen,
            }
        )
    return out
