"""Read side: funds statistics (FND-5, FND-14, RPT-4), the roster reconciliation, payment
history of a case, anti-fraud checks (SUP-11) and Excel exports. Everything is a grouped
query over the ledger, never a loop with a query per row."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from jiuzhu.areas.models import Area
from jiuzhu.core.dates import month_label
from jiuzhu.core.money import format_yuan
from jiuzhu.web.files import xlsx

from .models import (
    PROGRAM_LABELS,
    BankLine,
    LedgerEntry,
    Roster,
    RosterLine,
)


def _sum(qs: Any, **filters: Any) -> int:
    return int(qs.filter(**filters).aggregate(t=Sum("amount_fen"))["t"] or 0)


def reconciliation(roster: Roster) -> dict[str, Any]:
    """对账: ledger sums = roster totals = bank results, each equation shown with its figures.

    Outstanding money (待重发) is what each failed or returned line still lacks: its amount less
    what the ledger shows reached the family on it, so a partial 退汇 counts only the returned
    part; money in transit is what the bank lines still out say, not the roster lines."""
    lines = RosterLine.objects.filter(roster=roster)
    by_status = {
        s: int(t or 0) for s, t in lines.values("status").annotate(t=Sum("amount_fen")).values_list("status", "t")
    }
    counts = dict(lines.values("status").annotate(n=Count("id")).values_list("status", "n"))
    ledger = LedgerEntry.objects.filter(roster=roster)
    # what a withdrawn line (撤出) took back is an adjustment booked on this roster
    entitled = _sum(ledger, kind__in=("entitlement", "adjustment"))
    payments, reversals = _sum(ledger, kind="payment"), _sum(ledger, kind="reversal")
    paid_ledger = payments - reversals
    net = {
        line: int(p or 0) - int(r or 0)
        for line, p, r in ledger.filter(kind__in=("payment", "reversal"), roster_line__isnull=False)
        .values("roster_line_id")
        .annotate(p=Sum("amount_fen", filter=Q(kind="payment")), r=Sum("amount_fen", filter=Q(kind="reversal")))
        .values_list("roster_line_id", "p", "r")
    }
    paid_lines = lines.filter(status="paid").values_list("pk", flat=True)
    paid_lines_net = sum(net.get(pk, 0) for pk in paid_lines.iterator(chunk_size=10000))
    outstanding = sum(
        amount - net.get(pk, 0)
        for pk, amount in lines.filter(status="failed").values_list("pk", "amount_fen").iterator(chunk_size=10000)
    )
    bank = BankLine.objects.filter(batch__roster=roster)
    bank_paid = _sum(bank, status="paid")
    in_transit = _sum(bank, status="sent")
    # a withdrawn line is payable only for what reached the family before it was withdrawn
    pulled_net = sum(net.get(pk, 0) for pk in lines.filter(status="pulled").values_list("pk", flat=True))
    payable = sum(v for k, v in by_status.items() if k not in ("held", "pulled")) + pulled_net
    checks = [
        ("台账应发合计（含撤出调整） = 花名册应发合计（不含暂缓发放、已撤出）", entitled, payable),
        ("台账实发合计 = 银行回盘成功合计", payments, bank_paid),
        ("花名册已发放明细合计 = 其台账实发减冲回", by_status.get("paid", 0), paid_lines_net),
        (
            "花名册应发 = 台账实发减冲回 + 失败及退汇待重发 + 在途 + 待导出",
            payable,
            paid_ledger + outstanding + in_transit + by_status.get("pending", 0),
        ),
    ]
    return {
        "roster": roster.pk,
        "month": roster.month.isoformat(),
        "total_fen": roster.total_fen,
        "held_fen": by_status.get("held", 0),
        "pulled_fen": by_status.get("pulled", 0),
        "payable_fen": payable,
        "entitled_fen": entitled,
        "ledger_paid_fen": paid_ledger,
        "bank_paid_fen": bank_paid,
        "reversed_fen": reversals,
        "bank_failed_open_fen": outstanding,
        "in_transit_fen": in_transit,
        "not_exported_fen": by_status.get("pending", 0),
        "counts": counts,
        "checks": [{"label": label, "left_fen": a, "right_fen": b, "ok": a == b} for label, a, b in checks],
        "balanced": all(a == b for _, a, b in checks),
    }


def funds_stats(qs: Any, *, year: int, group: str = "town") -> list[dict[str, Any]]:
    """Per month, program and area (town or village): recipients, entitled, paid, failed,
    recovered. ``qs`` is the user's visible ledger (``LedgerEntry.objects.visible_to``)."""
    width = 9 if group == "town" else 12
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows: dict[tuple[Any, str, str], dict[str, Any]] = defaultdict(
        lambda: {"recipients": 0, "entitled_fen": 0, "paid_fen": 0, "failed_fen": 0, "recovered_fen": 0}
    )
    monthly = (
        qs.filter(period__gte=start, period__lte=end)
        .annotate(area=Substr("area_code", 1, width))
        .values("period", "program", "area")
        .annotate(
            recipients=Count("person_id", distinct=True, filter=Q(kind="payment")),
            entitled=Sum("amount_fen", filter=Q(kind__in=("entitlement", "adjustment"))),
            paid=Sum("amount_fen", filter=Q(kind="payment")),
            reversed=Sum("amount_fen", filter=Q(kind="reversal")),
        )
    )
    for r in monthly:
        row = rows[(r["period"], r["program"], r["area"])]
        row["recipients"] = r["recipients"]
        row["entitled_fen"] = int(r["entitled"] or 0)
        row["paid_fen"] = int(r["paid"] or 0) - int(r["reversed"] or 0)
    one_off = (
        qs.filter(period__isnull=True, created_at__date__gte=start, created_at__date__lte=end)
        .annotate(month=TruncMonth("created_at"), area=Substr("area_code", 1, width))
        .values("month", "program", "area")
        .annotate(
            recipients=Count("person_id", distinct=True, filter=Q(kind="payment")),
            entitled=Sum("amount_fen", filter=Q(kind="entitlement")),
            paid=Sum("amount_fen", filter=Q(kind="payment")),
            recovered=Sum("amount_fen", filter=Q(kind="recovery")),
        )
    )
    for r in one_off:
        month = r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]
        row = rows[(month, r["program"], r["area"])]
        row["recipients"] += r["recipients"]
        row["entitled_fen"] += int(r["entitled"] or 0)
        row["paid_fen"] += int(r["paid"] or 0)
        row["recovered_fen"] += int(r["recovered"] or 0)
    lines = RosterLine.objects.filter(
        status="failed", month__gte=start, month__lte=end, area_code__in=qs.values("area_code")
    )
    for r in (
        lines.annotate(area=Substr("area_code", 1, width))
        .values("month", "program", "area")
        .annotate(t=Sum("amount_fen"))
    ):
        rows[(r["month"], r["program"], r["area"])]["failed_fen"] += int(r["t"] or 0)
    names = _area_names({k[2] for k in rows}, width)
    out = []
    for (month, program, area), v in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        out.append(
            {
                "month": month.isoformat()[:7],
                "program": program,
                "program_label": PROGRAM_LABELS.get(program, program),
                "area_code": area.ljust(12, "0"),
                "area_name": names.get(area, area),
                **v,
            }
        )
    return out


NEEDS = [  # 保障对象需求类别 (FND-14): what the families reached need, from the registry
    ("elderly", "有60周岁以上老年人"),
    ("minor", "有未满18周岁未成年人"),
    ("disabled", "有一、二级重度残疾人"),
    ("ill", "有重病或长期慢性病患者"),
    ("none", "以上均无"),
]
NEED_LABELS = dict(NEEDS)


def _needs(members: list[tuple[dt.date, int | None, str]], on: dt.date) -> list[str]:
    found = set()
    for birth, grade, health in members:
        age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
        if age >= 60:
            found.add("elderly")
        if age < 18:
            found.add("minor")
        if grade in (1, 2):
            found.add("disabled")
        if health in ("serious", "chronic"):
            found.add("ill")
    return [code for code, _ in NEEDS if code in found] or ["none"]


def spending_by_need(qs: Any, *, year: int) -> list[dict[str, Any]]:
    """供需对接 (FND-14): the year's money (payments − reversals) per program and by the needs of
    the households it reached (members' age, disability grade and health on 31 December or today).
    A household with several needs counts under each, so the rows of a program overlap; its
    "all households" row is the program's total."""
    from jiuzhu.registry.models import Person

    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    today = timezone.localdate()
    on = min(end, today) if year == today.year else end
    money = (
        qs.filter(kind__in=("payment", "reversal"))
        .filter(
            Q(period__gte=start, period__lte=end)
            | Q(period__isnull=True, created_at__date__gte=start, created_at__date__lte=end)
        )
        .values("household_id", "program")
        .annotate(p=Sum("amount_fen", filter=Q(kind="payment")), r=Sum("amount_fen", filter=Q(kind="reversal")))
    )
    net = {(m["household_id"], m["program"]): int(m["p"] or 0) - int(m["r"] or 0) for m in money}
    members: dict[int, list[tuple[dt.date, int | None, str]]] = defaultdict(list)
    for household, birth, grade, health in Person.objects.filter(
        household_id__in={h for h, _ in net}, death_date__isnull=True
    ).values_list("household_id", "birth_date", "disability_grade", "health_status"):
        members[household].append((birth, grade, health))
    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"households": 0, "paid_fen": 0})
    for (household, program), amount in net.items():
        for need in ["all", *_needs(members[household], on)]:
            row = rows[(program, need)]
            row["households"] += 1
            row["paid_fen"] += amount
    order = {code: i for i, code in enumerate(["all", *NEED_LABELS])}
    programs = list(PROGRAM_LABELS)
    return [
        {
            "program": program,
            "program_label": PROGRAM_LABELS.get(program, program),
            "need": need,
            "need_label": "全部家庭" if need == "all" else NEED_LABELS[need],
            **v,
            "share": round(v["paid_fen"] / rows[(program, "all")]["paid_fen"], 4)
            if rows[(program, "all")]["paid_fen"]
            else 0.0,
        }
        for (program, need), v in sorted(
            rows.items(), key=lambda kv: (programs.index(kv[0][0]) if kv[0][0] in programs else 99, order[kv[0][1]])
        )
    ]


def _area_names(prefixes: set[str], width: int) -> dict[str, str]:
    codes = [p.ljust(12, "0") for p in prefixes]
    return {code[:width]: name for code, name in Area.objects.filter(code__in=codes).values_list("code", "name")}


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    keys = ("recipients", "entitled_fen", "paid_fen", "failed_fen", "recovered_fen")
    return {k: sum(r[k] for r in rows) for k in keys}


def stats_xlsx(rows: list[dict[str, Any]]) -> bytes:
    headers = [
        "月份",
        "救助项目",
        "区域代码",
        "区域",
        "发放人数",
        "应发（元）",
        "实发（元）",
        "发放失败（元）",
        "追回（元）",
    ]
    body = [
        [
            r["month"],
            r["program_label"],
            r["area_code"],
            r["area_name"],
            r["recipients"],
            r["entitled_fen"] / 100,
            r["paid_fen"] / 100,
            r["failed_fen"] / 100,
            r["recovered_fen"] / 100,
        ]
        for r in rows
    ]
    return xlsx(headers, body, text={0, 1, 2, 3}, sheet="资金统计")


def reconciliation_xlsx(rec: dict[str, Any], roster: Roster) -> bytes:
    rows: list[list[Any]] = [
        ["花名册", str(roster), ""],
        ["应发合计（元）", rec["total_fen"] / 100, ""],
        ["暂缓发放（元）", rec["held_fen"] / 100, ""],
        ["已撤出（停发、暂停、死亡）（元）", rec["pulled_fen"] / 100, ""],
        ["台账应发（元）", rec["entitled_fen"] / 100, ""],
        ["台账实发（元）", rec["ledger_paid_fen"] / 100, ""],
        ["银行回盘成功（元）", rec["bank_paid_fen"] / 100, ""],
        ["冲回（退汇）（元）", rec["reversed_fen"] / 100, ""],
        ["失败及退汇待重发（元）", rec["bank_failed_open_fen"] / 100, ""],
        ["在途（元）", rec["in_transit_fen"] / 100, ""],
    ]
    for c in rec["checks"]:
        rows.append(
            [c["label"], f"{format_yuan(c['left_fen'])} / {format_yuan(c['right_fen'])}", "相符" if c["ok"] else "不符"]
        )
    return xlsx(["项目", "金额", "结论"], rows, text={0, 2}, sheet="对账报告")


def payments_after_death(qs: Any) -> list[dict[str, Any]]:
    """SUP-11: money paid for months after the payee's death (冒领), from the ledger."""
    rows = (
        qs.filter(kind="payment", period__isnull=False, person__death_date__isnull=False)
        .filter(period__gt=F("person__death_date"))
        .values("application_id", "person_id", "person__name", "person__death_date", "program", "area_code")
        .annotate(months=Count("id"), total=Sum("amount_fen"))
        .order_by("area_code")
    )
    return [
        {
            "application_id": r["application_id"],
            "person": r["person__name"],
            "death_date": r["person__death_date"],
            "program": PROGRAM_LABELS.get(r["program"], r["program"]),
            "months": r["months"],
            "total_fen": int(r["total"] or 0),
        }
        for r in rows
    ]


def shared_accounts(persons: Any) -> list[dict[str, Any]]:
    """SUP-11: one bank account used by members of different households."""
    rows = (
        persons.exclude(bank_account_index="")
        .values("bank_account_index", "bank_account_masked")
        .annotate(households=Count("household_id", distinct=True), people=Count("id"))
        .filter(households__gt=1)
        .order_by("-households")[:500]
    )
    return list(rows)


def case_history(application_id: int) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(application_id=application_id).select_related("created_by").order_by("id"))


def month_text(month: dt.date | None) -> str:
    return month_label(month)
