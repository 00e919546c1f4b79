"""The charity fund (慈善救助资金): accounts, inflows and outflows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Schema, Status

from .. import actions, queries
from ..models import (
    CharityAccount,
    CharityEntry,
)
from ._common import _actor, _view, router


class AccountIn(Schema):
    area_code: str
    name: str = ""
    manager: str = ""
    note: str = ""


class InflowIn(Schema):
    amount_fen: int
    donor: str
    restricted_purpose: str = ""
    received_on: dt.date | None = None
    note: str = ""


class OutflowIn(Schema):
    amount_fen: int
    purpose: str
    application_id: int | None = None
    paid_on: dt.date | None = None
    note: str = ""


def account_out(row: dict[str, Any]) -> dict[str, Any]:
    a = row["account"]
    return {
        "id": a.pk,
        "area_code": a.area_code,
        "name": a.name,
        "manager": a.manager,
        "inflow_fen": row["inflow_fen"],
        "outflow_fen": row["outflow_fen"],
        "balance_fen": row["balance_fen"],
    }


def entry_out(e: CharityEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "kind_label": e.get_kind_display(),
        "amount_fen": e.amount_fen,
        "balance_after_fen": e.balance_after_fen,
        "donor": e.donor,
        "restricted_purpose": e.restricted_purpose,
        "purpose": e.purpose,
        "application_id": e.application_id,
        "occurred_on": e.occurred_on.isoformat(),
        "note": e.note,
    }


@router.get("/charity", summary="慈善救助资金账户及余额")
def list_accounts(request: HttpRequest) -> dict[str, Any]:
    rows = queries.charity_summary(list(CharityAccount.objects.visible_to(_view(request))))
    return {"count": len(rows), "items": [account_out(r) for r in rows]}


@router.post("/charity", response={201: dict}, summary="设立慈善救助资金账户")
def open_account(request: HttpRequest, body: AccountIn) -> Status[dict[str, Any]]:
    account = actions.open_charity_account(by=_actor(request), **body.dict())
    return Status(201, account_out(queries.charity_summary([account])[0]))


def _account(request: HttpRequest, account_id: int) -> CharityAccount:
    account: CharityAccount = get_object_or_404(CharityAccount.objects.visible_to(_view(request)), pk=account_id)
    return account


@router.get("/charity/{account_id}", summary="慈善救助资金收支明细")
def get_account(request: HttpRequest, account_id: int) -> dict[str, Any]:
    account = _account(request, account_id)
    entries = CharityEntry.objects.filter(account=account).order_by("-id")[:500]
    return {**account_out(queries.charity_summary([account])[0]), "entries": [entry_out(e) for e in entries]}


@router.post("/charity/{account_id}/inflows", response={201: dict}, summary="登记捐赠收入")
def inflow(request: HttpRequest, account_id: int, body: InflowIn) -> Status[dict[str, Any]]:
    return Status(
        201, entry_out(actions.charity_inflow(_account(request, account_id), by=_actor(request), **body.dict()))
    )


@router.post("/charity/{account_id}/outflows", response={201: dict}, summary="登记救助支出（余额不足时拒绝）")
def outflow(request: HttpRequest, account_id: int, body: OutflowIn) -> Status[dict[str, Any]]:
    return Status(
        201, entry_out(actions.charity_outflow(_account(request, account_id), by=_actor(request), **body.dict()))
    )
