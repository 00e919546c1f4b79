"""花名册 endpoints: rosters, their generation jobs, lines and exceptions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Schema, Status

from jiuzhu.core.errors import InvalidInput

from .. import actions
from ..models import (
    EXCEPTION_LABELS,
    AdjustmentNoticeJob,
    Roster,
    RosterLine,
    RosterRun,
)
from ._common import _actor, _view, router


def roster_out(r: Roster) -> dict[str, Any]:
    return {
        "id": r.pk,
        "area_code": r.area_code,
        "month": r.month.isoformat()[:7],
        "status": r.status,
        "status_label": r.get_status_display(),
        "line_count": r.line_count,
        "total_fen": r.total_fen,
        "exception_count": r.exception_count,
        "reconfirm_required": r.reconfirm_required,
        "summary": r.summary,
        "parameters_digest": r.parameters_digest,
        "lock_requested_by": getattr(r.lock_requested_by, "username", None),
        "locked_by": getattr(r.locked_by, "username", None),
        "batches": [
            {
                "id": b.pk,
                "seq": b.seq,
                "kind": b.kind,
                "status": b.status,
                "lines": b.line_count,
                "total_fen": b.total_fen,
            }
            for b in r.batches.all()
        ],
    }


def run_out(run: RosterRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "status": run.status,
        "phase": run.phase,
        "done": run.done,
        "total": run.total,
        "percent": run.percent,
        "error": run.error,
        "roster_id": run.roster_id,
        "attempts": run.attempts,
        "can_retry": run.status == "failed",
    }


def line_out(line: RosterLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "application_id": line.application_id,
        "household_id": line.household_id,
        "payee_id": line.payee_id,
        "payee_name": line.payee.name,
        "program": line.program,
        "area_code": line.area_code,
        "members": line.members,
        "amount_fen": line.amount_fen,
        "previous_fen": line.previous_fen,
        "change": line.change,
        "change_note": line.change_note,
        "exceptions": [{"code": c, "label": EXCEPTION_LABELS.get(c, c)} for c in line.exceptions],
        "status": line.status,
        "status_label": line.get_status_display(),
        "resolution_note": line.resolution_note,
    }


class RosterIn(Schema):
    area_code: str
    month: str
    refresh: bool = False


class NoteIn(Schema):
    note: str = ""
    reason: str = ""


class ResolveIn(Schema):
    decision: str
    note: str


@router.get("/rosters", summary="花名册列表")
def list_rosters(request: HttpRequest, month: str = "", page: int = 1) -> dict[str, Any]:
    user = _view(request)
    qs = Roster.objects.visible_to(user).select_related("lock_requested_by", "locked_by")
    if month:
        qs = qs.filter(month=actions.parse_month(month))
    page = max(page, 1)
    rows = qs.order_by("-month", "area_code")[(page - 1) * 50 : page * 50]
    return {"count": qs.count(), "page": page, "items": [roster_out(r) for r in rows]}


@router.post("/rosters", response={200: dict, 202: dict}, summary="生成花名册（大区域在后台生成，返回任务进度）")
def create_roster(request: HttpRequest, body: RosterIn) -> Status[dict[str, Any]]:
    result = actions.request_roster(
        by=_actor(request), area_code=body.area_code, month=body.month, refresh=body.refresh
    )
    if isinstance(result, Roster):
        return Status(200, {"roster": roster_out(result)})
    return Status(202, {"run": run_out(result), "progress_url": f"/api/v1/payments/runs/{result.pk}"})


@router.get("/runs/{run_id}", summary="花名册生成进度（处理进程中断的任务显示为失败，可重试）")
def get_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    run = get_object_or_404(RosterRun.objects.visible_to(_view(request)), pk=run_id)
    if actions.recover_roster_runs(RosterRun.objects.filter(pk=run.pk)):
        run.refresh_from_db()
    return run_out(run)


@router.post("/runs/{run_id}/retry", response={202: dict}, summary="重试失败的花名册生成任务")
def retry_run(request: HttpRequest, run_id: int) -> Status[dict[str, Any]]:
    run = get_object_or_404(RosterRun.objects.visible_to(_view(request)), pk=run_id)
    run = actions.retry_roster_run(run, by=_actor(request))
    return Status(202, {"run": run_out(run), "progress_url": f"/api/v1/payments/runs/{run.pk}"})


def notice_job_out(job: AdjustmentNoticeJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "roster_id": job.roster_id,
        "status": job.status,
        "status_label": job.get_status_display(),
        "done": job.done,
        "error": job.error,
        "attempts": job.attempts,
        "can_retry": job.status == "failed",
    }


def _notice_job(request: HttpRequest, job_id: int) -> AdjustmentNoticeJob:
    job: AdjustmentNoticeJob = get_object_or_404(AdjustmentNoticeJob.objects.visible_to(_view(request)), pk=job_id)
    return job


@router.get("/notice-jobs/{job_id}", summary="调整告知书生成任务（处理进程中断的任务显示为失败，可重试）")
def get_notice_job(request: HttpRequest, job_id: int) -> dict[str, Any]:
    job = _notice_job(request, job_id)
    if actions.recover_adjustment_notice_jobs(AdjustmentNoticeJob.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    return notice_job_out(job)


@router.post("/notice-jobs/{job_id}/retry", response={202: dict}, summary="重试失败的调整告知书生成任务")
def retry_notice_job(request: HttpRequest, job_id: int) -> Status[dict[str, Any]]:
    job = actions.retry_adjustment_notices(_notice_job(request, job_id), by=_actor(request))
    return Status(202, notice_job_out(job))


def _roster(request: HttpRequest, roster_id: int) -> Roster:
    roster: Roster = get_object_or_404(Roster.objects.visible_to(_view(request)), pk=roster_id)
    return roster


@router.get("/rosters/{roster_id}", summary="花名册详情（与上月比较、异常统计）")
def get_roster(request: HttpRequest, roster_id: int) -> dict[str, Any]:
    return roster_out(_roster(request, roster_id))


@router.get("/rosters/{roster_id}/lines", summary="花名册明细（可按状态、异常、变化原因筛选）")
def roster_lines(
    request: HttpRequest,
    roster_id: int,
    status: str = "",
    exception: str = "",
    change: str = "",
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    roster = _roster(request, roster_id)
    qs = RosterLine.objects.filter(roster=roster)
    if status:
        qs = qs.filter(status=status)
    if exception == "any":
        qs = qs.exclude(exceptions=[])
    elif exception:
        qs = (
            qs.filter(exceptions__contains=[exception])
            if _json_contains()
            else qs.filter(exceptions__icontains=exception)
        )
    if change:
        qs = qs.filter(change=change)
    page_size, page = max(1, min(page_size, 500)), max(page, 1)
    rows = qs.select_related("payee").order_by("id")[(page - 1) * page_size : page * page_size]
    return {"count": qs.count(), "page": page, "items": [line_out(x) for x in rows]}


def _json_contains() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


ROSTER_ACTIONS = {"check", "request_lock", "cancel_lock", "confirm_lock", "reconfirm"}


@router.post(
    "/rosters/{roster_id}/actions/{name}",
    summary="花名册操作：check 核查、request_lock 提交锁定、confirm_lock 复核锁定（须另一人）、cancel_lock 退回、"
    "reconfirm 锁定后撤出明细的重新确认",
)
def roster_action(request: HttpRequest, roster_id: int, name: str, body: NoteIn) -> dict[str, Any]:
    user = _actor(request)
    roster = get_object_or_404(Roster.objects.visible_to(user), pk=roster_id)
    if name not in ROSTER_ACTIONS:
        raise InvalidInput("unknown_action", f"未知操作“{name}”", field="name")
    out: dict[str, Any] = {}
    if name == "check":
        out["check"] = actions.check_roster(roster, by=user)
    elif name == "request_lock":
        actions.request_lock(roster, by=user, note=body.note)
    elif name == "cancel_lock":
        actions.cancel_lock(roster, by=user, reason=body.reason or body.note)
    elif name == "reconfirm":
        actions.reconfirm_roster(roster, by=user, note=body.note or body.reason)
    else:
        actions.confirm_lock(roster, by=user)
    roster.refresh_from_db()
    return {**roster_out(roster), **out}


def _line(request: HttpRequest, line_id: int) -> RosterLine:
    line: RosterLine = get_object_or_404(RosterLine.objects.visible_to(_actor(request)), pk=line_id)
    return line


@router.post("/lines/{line_id}/resolve", summary="处理异常：hold 暂缓发放 / pay 确认发放")
def resolve(request: HttpRequest, line_id: int, body: ResolveIn) -> dict[str, Any]:
    line = actions.resolve_line(_line(request, line_id), by=_actor(request), decision=body.decision, note=body.note)
    return line_out(line)


@router.post("/lines/{line_id}/release", summary="补发暂缓发放的记录（随下一批重新发放）")
def release(request: HttpRequest, line_id: int, body: NoteIn) -> dict[str, Any]:
    return line_out(actions.release_line(_line(request, line_id), by=_actor(request), note=body.note or body.reason))
