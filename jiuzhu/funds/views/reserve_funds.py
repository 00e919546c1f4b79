"""The towns' reserve funds (备用金): pages at /payments/reserves/, read with payments.view."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.areas.models import Area
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.web.files import file_response
from jiuzhu.web.forms import run_action
from jiuzhu.web.pagination import IdPaginator

from .. import actions, queries
from ..models import (
    RESERVE_SOURCES,
    ReserveEntry,
    ReserveFund,
)
from ._common import _viewer

# ---- town reserve funds (备用金): pages at /payments/reserves/, read with payments.view ------------


@login_required
def reserves(request: HttpRequest) -> HttpResponse:
    user = _viewer(request, "payments.view")
    funds = queries.reserve_summary(list(ReserveFund.objects.visible_to(user)))
    towns = [a for a in Area.objects.visible_to(user).filter(level="town").order_by("code")]
    opened = {f["fund"].area_code for f in funds}
    return render(
        request,
        "funds/reserves.html",
        {"funds": funds, "towns": [t for t in towns if t.code not in opened], "sources": RESERVE_SOURCES},
    )


@login_required
@require_POST
def reserve_open(request: AuthedRequest) -> HttpResponse:
    p = request.POST

    def act() -> None:
        low = yuan_to_fen(p["low_balance_yuan"], field="low_balance_yuan") if p.get("low_balance_yuan") else None
        actions.open_reserve(
            by=request.user,
            town_code=p.get("town_code", ""),
            low_balance_fen=low,
            account_note=p.get("account_note", ""),
        )

    run_action(request, act, "已设立备用金账户")
    return redirect("payments:reserves")


@login_required
def reserve_view(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(ReserveFund.objects.visible_to(_viewer(request, "payments.view")), pk=pk)
    entries = ReserveEntry.objects.filter(fund=fund).select_related("application", "created_by").order_by("-id")
    page = IdPaginator(
        entries,
        50,
        fetch=lambda ids: ReserveEntry.objects.filter(pk__in=ids).select_related("application", "created_by"),
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "funds/reserve.html",
        {"fund": fund, "row": queries.reserve_summary([fund])[0], "page": page, "sources": RESERVE_SOURCES},
    )


@login_required
def reserve_export(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(ReserveFund.objects.visible_to(_viewer(request, "payments.view")), pk=pk)
    return file_response(queries.reserve_entries_xlsx(fund), f"{fund.name}收支明细.xlsx")


@login_required
@require_POST
def reserve_top_up(request: AuthedRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(ReserveFund.objects.visible_to(_viewer(request, "payments.view")), pk=pk)
    p = request.POST

    def act() -> None:
        amount = yuan_to_fen(p.get("amount_yuan", ""), field="amount_yuan")
        actions.top_up_reserve(
            fund, by=request.user, amount_fen=amount, source=p.get("source", "fiscal"), note=p.get("note", "")
        )

    run_action(request, act, "已拨付备用金")
    return redirect("payments:reserve", fund.pk)
