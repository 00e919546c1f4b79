"""追回 and 失信记录 endpoints (DYN-3, SUP-6/7/8)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Schema, Status

from jiuzhu.applications.models import Application

from .. import actions
from ..models import (
    CreditRecord,
    RepaymentPlan,
)
from ._common import _actor, _view, router


class RecoveryIn(Schema):
    application_id: int
    reason: str
    note: str
    months: list[str]
    installments: list[dict[str, Any]] | None = None
    fraud_category: str = ""


def plan_out(p: RepaymentPlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "application_id": p.application_id,
        "total_fen": p.total_fen,
        "recovered_fen": actions.recovered(p),
        "reason": p.reason,
        "months": p.months,
        "installments": p.installments,
        "status": p.status,
        "note": p.note,
    }


@router.get("/recoveries", summary="追回计划")
def recoveries(request: HttpRequest) -> list[dict[str, Any]]:
    return [plan_out(p) for p in RepaymentPlan.objects.visible_to(_view(request))[:500]]


@router.post("/recoveries", response={201: dict}, summary="追回多发资金（分期计划；骗取的记入失信记录）")
def create_recovery(request: HttpRequest, body: RecoveryIn) -> Status[dict[str, Any]]:
    app = get_object_or_404(Application.objects.visible_to(_actor(request)), pk=body.application_id)
    plan = actions.create_recovery(
        app,
        by=_actor(request),
        reason=body.reason,
        note=body.note,
        months=body.months,
        installments=body.installments,
        fraud_category=body.fraud_category,
    )
    return Status(201, plan_out(plan))


class RepayIn(Schema):
    amount_fen: int
    note: str = ""


@router.post("/recoveries/{plan_id}/repayments", response={201: dict}, summary="登记退款")
def repay(request: HttpRequest, plan_id: int, body: RepayIn) -> Status[dict[str, Any]]:
    user = _actor(request)
    plan = get_object_or_404(RepaymentPlan.objects.visible_to(user), pk=plan_id)
    actions.record_repayment(plan, by=user, amount_fen=body.amount_fen, note=body.note)
    plan.refresh_from_db()
    return Status(201, plan_out(plan))


@router.get("/credit-records", summary="失信记录（SUP-6/7/8）")
def credit_records(request: HttpRequest) -> list[dict[str, Any]]:
    qs = CreditRecord.objects.visible_to(_view(request)).select_related("person")[:1000]
    return [
        {
            "id": c.pk,
            "person": c.person.name,
            "id_number": c.person.id_number_masked,
            "category": c.category,
            "category_label": c.get_category_display(),
            "facts": c.facts,
            "amount_fen": c.amount_fen,
            "decided_on": c.decided_on,
            "reported_at": c.reported_at,
        }
        for c in qs
    ]
