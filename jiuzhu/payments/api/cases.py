"""A case's benefit and ledger, and reversing a payment (冲回)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Schema

from jiuzhu.applications.models import Application

from .. import actions, queries
from ..models import (
    Benefit,
    LedgerEntry,
)
from ._common import _actor, _view, router


def entry_out(e: LedgerEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "kind_label": e.get_kind_display(),
        "period": e.period,
        "amount_fen": e.amount_fen,
        "effect_fen": e.effect_fen,
        "attempt": e.attempt,
        "reason": e.reason,
        "source": e.source,
        "roster_id": e.roster_id,
        "reverses_id": e.reverses_id,
        "created_at": e.created_at,
    }


def _case(request: HttpRequest, application_id: int) -> Application:
    case: Application = get_object_or_404(Application.objects.visible_to(_view(request)), pk=application_id)
    return case


@router.get("/cases/{application_id}", summary="案件发放历史：待遇状态、台账明细与余额")
def case(request: HttpRequest, application_id: int) -> dict[str, Any]:
    app = _case(request, application_id)
    benefit = Benefit.objects.filter(application=app).first()
    return {
        "application_id": app.pk,
        "benefit": None
        if benefit is None
        else {
            "status": benefit.status,
            "start_month": benefit.start_month,
            "end_month": benefit.end_month,
            "stop_reason": benefit.stop_reason,
            "suspended_from": benefit.suspended_from,
            "suspend_reason": benefit.suspend_reason,
            "payee_id": benefit.payee_id,
            "next_review_on": benefit.next_review_on,
            "gradual_amount_fen": benefit.gradual_amount_fen,
        },
        "balance": actions.balance(app),
        "entries": [entry_out(e) for e in queries.case_history(app.pk)],
    }


class ReverseIn(Schema):
    reason: str
    amount_fen: int | None = None


@router.post("/ledger/{entry_id}/reverse", summary="冲回一笔实发（退汇或错账）")
def reverse(request: HttpRequest, entry_id: int, body: ReverseIn) -> dict[str, Any]:
    user = _actor(request)
    entry = get_object_or_404(LedgerEntry.objects.visible_to(user), pk=entry_id)
    return entry_out(actions.reverse_payment(entry, by=user, reason=body.reason, amount_fen=body.amount_fen))
