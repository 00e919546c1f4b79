"""What every funds report shares: the area it covers and the ledger's actual spending."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import Substr, TruncMonth

from jiuzhu.areas.models import Area, full_code
from jiuzhu.core.errors import NotFound

from ..models import (
    BudgetLine,
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
