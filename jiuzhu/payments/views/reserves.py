"""临时救助备用金 pages: the towns' reserve accounts, their passbooks and top-ups."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.web.pagination import IdPaginator

from .. import actions, queries
from ..models import FUND_SOURCES, ReserveEntry, ReserveFund
from ._common import _do, _viewer


@login_required
def reserves(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    funds = queries.reserve_summary(list(ReserveFund.objects.visible_to(user)))
    towns = [a for a in Area.objects.visible_to(user).filter(level="town").order_by("code")]
    opened = {f["fund"].area_code for f in funds}
    return render(
        request,
        "payments/reserves.html",
        {"funds": funds, "towns": [t for t in towns if t.code not in opened], "sources": FUND_SOURCES},
    )


@login_required
@require_POST
def reserve_open(request: HttpRequest) -> HttpResponse:
    p = request.POST
    try:
        low = yuan_to_fen(p["low_balance_yuan"], field="low_balance_yuan") if p.get("low_balance_yuan") else None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:reserves")
    _do(
        request,
        lambda: actions.open_reserve(
            request.user, town_code=p.get("town_code", ""), low_balance_fen=low, account_note=p.get("account_note", "")
        ),
        "已设立备用金账户",
    )
    return redirect("payments:reserves")


@login_required
def reserve_view(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(ReserveFund.objects.visible_to(_viewer(request)), pk=pk)
    entries = ReserveEntry.objects.filter(fund=fund).select_related("application", "created_by").order_by("-id")
    page = IdPaginator(
        entries,
        50,
        fetch=lambda ids: ReserveEntry.objects.filter(pk__in=ids).select_related("application", "created_by"),
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/reserve.html",
        {"fund": fund, "row": queries.reserve_summary([fund])[0], "page": page, "sources": FUND_SOURCES},
    )


@login_required
@require_POST
def reserve_top_up(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(ReserveFund.objects.visible_to(_viewer(request)), pk=pk)
    p = request.POST
    try:
        amount = yuan_to_fen(p.get("amount_yuan", ""), field="amount_yuan")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:reserve", fund.pk)
    _do(
        request,
        lambda: actions.top_up_reserve(
            request.user, fund, amount_fen=amount, source=p.get("source", "fiscal"), note=p.get("note", "")
        ),
        "已拨付备用金",
    )
    return redirect("payments:reserve", fund.pk)
