"""资金统计 and 资金稽核 endpoints."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from jiuzhu.web.files import file_response

from .. import queries
from ..models import (
    LedgerEntry,
)
from ._common import _view, router


@router.get("/stats", summary="资金统计：按月、项目、区域，及按保障对象需求（format=xlsx 导出Excel）")
def stats(request: HttpRequest, year: int | None = None, group: str = "town", format: str = "json") -> Any:
    user = _view(request)
    year = year or timezone.localdate().year
    visible = LedgerEntry.objects.visible_to(user)
    rows = queries.funds_stats(visible, year=year, group=group)
    if format == "xlsx":
        return file_response(queries.stats_xlsx(rows), f"资金统计-{year}.xlsx")
    return {"rows": rows, "totals": queries.totals(rows), "by_need": queries.spending_by_need(visible, year=year)}


@router.get("/checks", summary="资金稽核：死亡后仍发放、多户共用账户（SUP-11）")
def checks(request: HttpRequest) -> dict[str, Any]:
    from jiuzhu.registry.models import Person

    user = _view(request)
    return {
        "payments_after_death": queries.payments_after_death(LedgerEntry.objects.visible_to(user)),
        "shared_accounts": queries.shared_accounts(Person.objects.visible_to(user)),
    }
