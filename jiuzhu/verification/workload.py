"""核对工作量统计 (VER-18): what the verification centre did per month and town — requests
received and refused, reports issued, households re-verified, findings raised and handled,
department batches and rows loaded — so a county can staff and budget the centre. Every
figure is a grouped query over the user's visible rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from jiuzhu.areas.models import Area

from .models import Batch, Finding, Report, ReverificationRun, VerificationRequest

FIGURES = [
    ("requests", "委托核对"),
    ("refused", "拒绝核对"),
    ("reports", "出具核对报告"),
    ("reverified", "批量复核家庭"),
    ("findings", "发现预警"),
    ("handled", "处理预警"),
    ("batches", "入库数据批次"),
    ("rows", "入库数据行"),
]


def _month(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    day: dt.date = value
    return day.replace(day=1)


def workload(user: Any, *, year: int) -> list[dict[str, Any]]:
    """Rows per month and town (street); county-level work (a county department's batches, a
    county-wide run) is under the county itself."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    rows: dict[tuple[dt.date, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(dict(FIGURES), 0))

    def add(qs: Any, date_field: str, figures: dict[str, Any]) -> None:
        grouped = (
            qs.filter(**{f"{date_field}__gte": start, f"{date_field}__lt": end})
            .annotate(month=TruncMonth(date_field), town=Substr("area_code", 1, 9))
            .values("month", "town")
            .annotate(**figures)
        )
        for g in grouped:
            row = rows[(_month(g["month"]), g["town"])]
            for name in figures:
                row[name] += int(g[name] or 0)

    add(
        VerificationRequest.objects.visible_to(user),
        "requested_at",
        {"requests": Count("id"), "refused": Count("id", filter=Q(status="refused"))},
    )
    add(Report.objects.visible_to(user), "created_at", {"reports": Count("id")})
    add(
        ReverificationRun.objects.visible_to(user).filter(status="done"),
        "finished_at",
        {"reverified": Sum("done")},
    )
    add(Finding.objects.visible_to(user), "created_at", {"findings": Count("id")})
    add(Finding.objects.visible_to(user).exclude(handled_at=None), "handled_at", {"handled": Count("id")})
    add(
        Batch.objects.visible_to(user).filter(status="loaded"),
        "loaded_at",
        {"batches": Count("id"), "rows": Sum("rows_loaded")},
    )
    towns = {code for _, code in rows}
    names = dict(Area.objects.filter(code__in=[c.ljust(12, "0") for c in towns]).values_list("code", "name"))
    return [
        {
            "month": month.isoformat()[:7],
            "area_code": town.ljust(12, "0"),
            "area_name": names.get(town.ljust(12, "0"), town),
            **figures,
        }
        for (month, town), figures in sorted(rows.items())
    ]


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {name: sum(r[name] for r in rows) for name, _ in FIGURES}


def workload_xlsx(rows: list[dict[str, Any]]) -> bytes:
    from jiuzhu.web.files import xlsx

    return xlsx(
        ["月份", "区域", *(label for _, label in FIGURES)],
        ([r["month"], r["area_name"], *(r[name] for name, _ in FIGURES)] for r in rows),
        text={0, 1},
        sheet="核对工作量",
    )
