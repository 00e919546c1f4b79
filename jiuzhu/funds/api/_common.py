"""The funds routers (``router`` at /api/v1/funds/, ``reserve_router`` at /api/v1/payments/) and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router

from jiuzhu.accounts.permissions import require

from ..actions._common import _year as parse_year
from ..models import BudgetLine

router = Router(tags=["资金预算与统筹"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _view(request: HttpRequest) -> Any:
    user = _actor(request)
    require(user, "funds.view")
    return user


def _line(request: HttpRequest, line_id: int) -> BudgetLine:
    line: BudgetLine = get_object_or_404(BudgetLine.objects.visible_to(_view(request)), pk=line_id)
    return line


def _listing(
    rows: QuerySet[Any], out: Callable[[Any], dict[str, Any]], *, limit: int | None = None, **filters: Any
) -> dict[str, Any]:
    """A list endpoint's answer ``{"count", "items"}``: the rows matching every filter given a
    value (a blank query parameter filters nothing), at most ``limit`` of them."""
    rows = rows.filter(**{name: value for name, value in filters.items() if value})
    found = list(rows if limit is None else rows[:limit])
    return {"count": len(found), "items": [out(row) for row in found]}


def _year(year: int | None) -> int:
    return parse_year(year) if year else timezone.localdate().year


reserve_router = Router(tags=["资金发放与动态管理"])


def _payments_view(request: HttpRequest) -> Any:
    user = _actor(request)
    require(user, "payments.view")
    return user
