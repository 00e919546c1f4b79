"""The towns' reserve funds (备用金) at /api/v1/payments/reserves, their old address."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Schema, Status

from .. import actions, queries
from ..models import (
    ReserveEntry,
    ReserveFund,
)
from ._common import _actor, _payments_view, reserve_router


class ReserveIn(Schema):
    town_code: str
    low_balance_fen: int | None = None
    account_note: str = ""


class TopUpIn(Schema):
    amount_fen: int
    source: str = "fiscal"
    note: str = ""


def fund_out(row: dict[str, Any]) -> dict[str, Any]:
    fund = row["fund"]
    return {
        "id": fund.pk,
        "town_code": fund.area_code,
        "name": fund.name,
        "balance_fen": row["balance_fen"],
        "low_balance_fen": fund.low_balance_fen,
        "low_balance": row["low"],
        "disbursed_fen": row["disbursed_fen"],
        "top_up_fiscal_fen": row["top_up_fiscal_fen"],
        "top_up_donation_fen": row["top_up_donation_fen"],
    }


@reserve_router.get("/reserves", summary="临时救助备用金（余额、预警）", operation_id="jiuzhu_payments_api_reserves")
def reserves(request: HttpRequest) -> list[dict[str, Any]]:
    funds = list(ReserveFund.objects.visible_to(_payments_view(request)))
    return [fund_out(r) for r in queries.reserve_summary(funds)]


@reserve_router.post(
    "/reserves",
    response={201: dict},
    summary="设立镇（街道）备用金账户",
    operation_id="jiuzhu_payments_api_open_reserve",
)
def open_reserve(request: HttpRequest, body: ReserveIn) -> Status[dict[str, Any]]:
    fund = actions.open_reserve(
        by=_actor(request),
        town_code=body.town_code,
        low_balance_fen=body.low_balance_fen,
        account_note=body.account_note,
    )
    return Status(201, fund_out(queries.reserve_summary([fund])[0]))


def _fund(request: HttpRequest, fund_id: int) -> ReserveFund:
    fund: ReserveFund = get_object_or_404(ReserveFund.objects.visible_to(_payments_view(request)), pk=fund_id)
    return fund


@reserve_router.get("/reserves/{fund_id}", summary="备用金收支明细", operation_id="jiuzhu_payments_api_reserve")
def reserve(request: HttpRequest, fund_id: int, page: int = 1, page_size: int = 500) -> dict[str, Any]:
    """The fund and its entries, newest first, a page at a time (``page``, ``page_size`` ≤ 500)."""
    fund = _fund(request, fund_id)
    page_size, page = max(1, min(page_size, 500)), max(page, 1)
    all_entries = ReserveEntry.objects.filter(fund=fund)
    entries = all_entries.order_by("-id")[(page - 1) * page_size : page * page_size]
    return {
        **fund_out(queries.reserve_summary([fund])[0]),
        "entries_count": all_entries.count(),
        "entries": [
            {
                "id": e.pk,
                "kind": e.kind,
                "amount_fen": e.amount_fen,
                "balance_after_fen": e.balance_after_fen,
                "source": e.source,
                "application_id": e.application_id,
                "note": e.note,
                "created_at": e.created_at,
            }
            for e in entries
        ],
    }


@reserve_router.post(
    "/reserves/{fund_id}/top-ups", response={201: dict}, summary="拨付备用金", operation_id="jiuzhu_payments_api_top_up"
)
def top_up(request: HttpRequest, fund_id: int, body: TopUpIn) -> Status[dict[str, Any]]:
    entry = actions.top_up_reserve(
        _fund(request, fund_id), by=_actor(request), amount_fen=body.amount_fen, source=body.source, note=body.note
    )
    return Status(201, {"id": entry.pk, "balance_after_fen": entry.balance_after_fen})
