"""Measured yield (成效, issue 17 item 9, DIS-11): what each monitoring rule and each
department list (the department source of a warning's first fact) brought in one month.

For the warnings of the month (``Warning.period``): the warnings, the 核查任务 made of them,
tasks closed on time (on or before their deadline), closed late, still open past their
deadline, still open; the closing outcomes (applied, referred, not eligible, not found,
already helped); the applications opened from them, those approved, the precision
(approved ÷ warnings) and the median days from the warning to the first payment booked in
the ledger (资金台账, a ``payment`` entry of the case).

Set-based: one GROUP BY per dimension (rule, department list) and one query for the payment
delays — a fixed number of queries whatever the county's size. Every query starts from
``Warning.objects.visible_to(user)``: a town sees its own villages only.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from typing import Any

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.applications.models import PROGRAM_CHOICES
from jiuzhu.core.errors import Forbidden, InvalidInput
from jiuzhu.payments.models import LedgerEntry

from .conduct import _area_filter, parse_month
from .models import TASK_OUTCOMES, Warning

PERMISSION = "registry.view"
OUTCOME_LABELS = dict(TASK_OUTCOMES)
COLUMNS = [  # (key, Chinese header) in the order the page and the workbook show them
    ("warnings", "预警数"),
    ("tasks", "派发核查任务"),
    ("on_time", "按期办结"),
    ("late", "超期办结"),
    ("overdue_open", "超期未办结"),
    ("open", "办理中"),
    *[(f"outcome_{code}", label) for code, label in TASK_OUTCOMES],
    ("applications", "转为救助申请"),
    ("approved", "审批通过"),
]
NO_SOURCE = "other"  # warnings without a department fact (none today; kept for old rows)


def _month(value: str | None) -> str:
    month = (value or "").strip() or f"{timezone.localdate():%Y-%m}"
    if not re.fullmatch(r"\d{4}-\d{2}", month):
        raise InvalidInput("invalid_month", "月份格式应为“2026-12”", field="month")
    parse_month(month)  # 01–12
    return month


def _counts(today: dt.date) -> dict[str, Any]:
    closed = Q(task__status="closed")
    unclosed = Q(task__isnull=False) & ~closed
    out: dict[str, Any] = {
        "warnings": Count("id"),
        "tasks": Count("task"),
        "on_time": Count("task", filter=closed & Q(task__closed_at__date__lte=F("task__due_on"))),
        "late": Count("task", filter=closed & Q(task__closed_at__date__gt=F("task__due_on"))),
        "overdue_open": Count("task", filter=unclosed & Q(task__due_on__lt=today)),
        "open": Count("task", filter=unclosed),
        "applications": Count("task__application"),
        "approved": Count("task", filter=Q(task__application__state="approved")),
    }
    for code, _label in TASK_OUTCOMES:
        out[f"outcome_{code}"] = Count("task", filter=closed & Q(task__outcome=code))
    return out


def _row(values: dict[str, Any], delays: list[float]) -> dict[str, Any]:
    row: dict[str, Any] = {key: int(values.get(key) or 0) for key, _ in COLUMNS}
    row["cells"] = [row[key] for key, _ in COLUMNS]
    row["outcomes"] = {code: row[f"outcome_{code}"] for code, _ in TASK_OUTCOMES}
    row["precision"] = round(row["approved"] / row["warnings"], 4) if row["warnings"] else None
    row["precision_percent"] = f"{row['precision'] * 100:.1f}%" if row["precision"] is not None else "—"
    row["paid"] = len(delays)
    row["median_days_to_payment"] = round(statistics.median(delays), 1) if delays else None
    return row


def yield_report(
    *, by: User, area_code: str | None = None, month: str | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """The month's yield by rule and by department list, with the total (DIS-11)."""
    require(by, PERMISSION)
    if getattr(by, "role", "") == "village_assistant":
        raise Forbidden("permission_denied", "预警成效统计供乡镇和县级工作人员查看")
    month = _month(month)
    prefix = _area_filter(area_code, by)
    today = today or timezone.localdate()
    qs = Warning.objects.visible_to(by).filter(period=month)
    if prefix:
        qs = qs.filter(area_code__startswith=prefix)
    qs = qs.order_by()
    counts = _counts(today)
    by_rule = list(qs.values("rule_id", "rule__code", "rule__name", "rule__level", "rule__program").annotate(**counts))
    by_source = list(
        qs.annotate(source=KT("facts__0__source"))
        .values("source")
        .annotate(source_name=Max(KT("facts__0__source_name")), **counts)
    )
    # the first payment of each approved case that came from a warning of the month (one query)
    first_paid = (
        LedgerEntry.objects.filter(application=OuterRef("task__application"), kind="payment")
        .order_by()
        .values("application")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    paid = (
        qs.filter(task__application__state="approved")
        .annotate(first_paid=Subquery(first_paid), source=KT("facts__0__source"))
        .filter(first_paid__isnull=False)
        .values_list("rule_id", "source", "created_at", "first_paid")
    )
    rule_delays: dict[int, list[float]] = {}
    source_delays: dict[str, list[float]] = {}
    all_delays: list[float] = []
    for rule_id, source, created, first in paid:
        days = max((first - created).total_seconds(), 0) / 86400
        rule_delays.setdefault(rule_id, []).append(days)
        source_delays.setdefault(source or NO_SOURCE, []).append(days)
        all_delays.append(days)

    rules = [
        {
            "rule_id": r["rule_id"],
            "code": r["rule__code"],
            "name": r["rule__name"],
            "level": r["rule__level"],
            "program": r["rule__program"],
            **_row(r, rule_delays.get(r["rule_id"], [])),
        }
        for r in sorted(by_rule, key=lambda r: r["rule__code"])
    ]
    sources = [
        {
            "source": s["source"] or NO_SOURCE,
            "name": s["source_name"] or "其他",
            **_row(s, source_delays.get(s["source"] or NO_SOURCE, [])),
        }
        for s in sorted(by_source, key=lambda s: s["source"] or "")
    ]
    total = _row({key: sum(r[key] for r in rules) for key, _ in COLUMNS}, all_delays)
    return {
        "area_code": area_code or "",
        "month": month,
        "columns": [{"key": k, "label": v} for k, v in COLUMNS],
        "by_rule": rules,
        "by_source": sources,
        "total": total,
    }


def yield_xlsx(report: dict[str, Any]) -> bytes:
    """The report as a workbook: by rule, then by department list, then the total."""
    from jiuzhu.web.files import xlsx

    labels = [label for _, label in COLUMNS]
    headers = [
        "分组",
        "指向救助项目或推送部门",
        "名称",
        *labels,
        "精准率（审批通过÷预警）",
        "首次发放人数",
        "预警至首次发放（中位天数）",
    ]

    def line(group: str, code: str, name: str, row: dict[str, Any]) -> list[Any]:
        median = row["median_days_to_payment"]
        return [group, code, name, *[row[k] for k, _ in COLUMNS], row["precision_percent"], row["paid"], median]

    programs = dict(PROGRAM_CHOICES)
    rows: list[list[Any]] = [
        line("按预警规则", programs.get(r["program"], ""), r["name"], r) for r in report["by_rule"]
    ]
    rows += [line("按部门名单", "部门推送名单", s["name"], s) for s in report["by_source"]]
    rows.append(line("合计", "", "", report["total"]))
    return xlsx(headers, rows, sheet=f"{report['month']}预警成效")
