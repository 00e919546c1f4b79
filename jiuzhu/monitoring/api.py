"""The API of 动态管理: review tasks (复核), change reports, conclusions, and stops,
suspensions and resumptions of a benefit. Mounted beside payments' router under
``/api/v1/payments/`` so that the paths outside systems use stay as they were."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.applications.models import Application
from jiuzhu.payments.models import Benefit

from . import actions
from .models import Review

router = Router(tags=["资金发放与动态管理"])


def _actor(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _view(request: HttpRequest) -> User:
    user = _actor(request)
    require(user, "payments.view")
    return user


def review_out(r: Review) -> dict[str, Any]:
    return {
        "id": r.pk,
        "application_id": r.application_id,
        "kind": r.kind,
        "status": r.status,
        "due_on": r.due_on,
        "reason": r.reason,
        "outcome": r.outcome,
        "amount_before_fen": r.amount_before_fen,
        "amount_after_fen": r.amount_after_fen,
        "effective_month": r.effective_month,
        "verification_request_id": r.verification_id,
        "verification_status": getattr(r.verification, "status", None),
        "evaluation": r.evaluation,
        "notice": getattr(r.notice, "number", None),
        "note": r.note,
    }


@router.get("/reviews", summary="复核任务（status=open 待办，overdue=true 已超期）")
def reviews(request: HttpRequest, status: str = "open", overdue: bool = False, page: int = 1) -> dict[str, Any]:
    qs = Review.objects.visible_to(_view(request)).select_related("verification", "notice")
    if status == "open":
        qs = qs.open()
    elif status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.overdue()
    page = max(page, 1)
    return {"count": qs.count(), "page": page, "items": [review_out(r) for r in qs[(page - 1) * 50 : page * 50]]}


class ChangeReportIn(Schema):
    application_id: int
    reason: str
    facts: dict[str, Any] | None = None


@router.post("/reviews", response={201: dict}, summary="变更报告（成员变化、收入变化），生成复核")
def change_report(request: HttpRequest, body: ChangeReportIn) -> Status[dict[str, Any]]:
    app = get_object_or_404(Application.objects.visible_to(_actor(request)), pk=body.application_id)
    return Status(201, review_out(actions.report_change(app, by=_actor(request), reason=body.reason, facts=body.facts)))


def _review(request: HttpRequest, review_id: int) -> Review:
    review: Review = get_object_or_404(Review.objects.visible_to(_actor(request)), pk=review_id)
    return review


class StartIn(Schema):
    facts: dict[str, Any] | None = None


@router.post("/reviews/{review_id}/start", summary="开始复核：录入复核情况并委托核对")
def start(request: HttpRequest, review_id: int, body: StartIn) -> dict[str, Any]:
    return review_out(actions.start_review(_review(request, review_id), by=_actor(request), facts=body.facts))


class DecideIn(Schema):
    outcome: str
    note: str = ""
    gradual_months: int | None = None
    stop_reason: str = "income"


@router.post("/reviews/{review_id}/decide", summary="复核结论：continue 维持 / change 调整 / gradual 渐退 / stop 停发")
def decide(request: HttpRequest, review_id: int, body: DecideIn) -> dict[str, Any]:
    review = actions.decide_review(
        _review(request, review_id),
        by=_actor(request),
        outcome=body.outcome,
        note=body.note,
        gradual_months=body.gradual_months,
        stop_reason=body.stop_reason,
    )
    return review_out(review)


class StopIn(Schema):
    reason: str
    note: str
    last_month: str | None = None


@router.post("/cases/{application_id}/stop", summary="停发（退出），出具停发告知书")
def stop(request: HttpRequest, application_id: int, body: StopIn) -> dict[str, Any]:
    app = get_object_or_404(Application.objects.visible_to(_actor(request)), pk=application_id)
    b = actions.stop_benefit(app, by=_actor(request), reason=body.reason, note=body.note, last_month=body.last_month)
    return {
        "application_id": app.pk,
        "status": b.status,
        "end_month": b.end_month,
        "stop_reason": b.stop_reason,
        **(b.pulled.changes() if b.pulled else {}),
    }


class SuspendIn(Schema):
    reason: str
    note: str
    from_month: str | None = None


class ResumeIn(Schema):
    note: str
    payee_id: int | None = None


def benefit_out(app: Application, b: Benefit) -> dict[str, Any]:
    return {
        "application_id": app.pk,
        "status": b.status,
        "status_label": b.get_status_display(),
        "suspended_from": b.suspended_from,
        "suspend_reason": b.suspend_reason,
        "payee_id": b.payee_id,
        **(b.pulled.changes() if b.pulled else {}),
    }


@router.post(
    "/cases/{application_id}/suspend",
    summary="暂停发放（无法联系、未按期配合复核等）：撤出尚未导出的发放明细",
)
def suspend(request: HttpRequest, application_id: int, body: SuspendIn) -> dict[str, Any]:
    app = get_object_or_404(Application.objects.visible_to(_actor(request)), pk=application_id)
    b = actions.suspend_benefit(app, by=_actor(request), reason=body.reason, note=body.note, from_month=body.from_month)
    return benefit_out(app, b)


@router.post("/cases/{application_id}/resume", summary="恢复发放（可指定新的领款人）：撤出的明细回到花名册")
def resume(request: HttpRequest, application_id: int, body: ResumeIn) -> dict[str, Any]:
    app = get_object_or_404(Application.objects.visible_to(_actor(request)), pk=application_id)
    return benefit_out(app, actions.resume_benefit(app, by=_actor(request), note=body.note, payee_id=body.payee_id))
