"""The API of 应急期 (issue 17 item 6; WF-12, LNK-9, PRG-12), under
``/api/v1/monitoring/emergencies``: list and declare, ``victims`` (upload the 应急 list),
``actions/relieve`` (batch 先行救助: starts a job, 202), ``reliefs/{id}`` (the job's progress) and
``reliefs/{id}/retry``, ``actions/transition`` (one month of 过渡期生活救助 onto that month's
roster), ``actions/end``, and ``report`` (JSON) / ``report.xlsx``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import NotFound
from jiuzhu.web.files import file_response, xlsx

from . import emergency as em
from .models import EMERGENCY_STATUS, Emergency, EmergencyRelief

router = Router(tags=["政策找人"])
ACTIONS = ("relieve", "transition", "end")


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def emergency_out(e: Emergency) -> dict[str, Any]:
    return {
        "id": e.pk,
        "county_code": e.county_code,
        "area_code": e.area_code,
        "name": e.name,
        "kind": e.kind,
        "kind_name": em.KINDS.get(e.kind, e.kind),
        "starts_on": e.starts_on,
        "planned_end_on": e.planned_end_on,
        "source_document": e.source_document,
        "status": e.status,
        "status_name": dict(EMERGENCY_STATUS).get(e.status, e.status),
        "advance_fen": e.advance_fen,
        "transition_monthly_fen": e.transition_monthly_fen,
        "transition_months": e.transition_months,
        "settings_sources": e.settings_sources,
        "declared_at": e.declared_at,
        "ended_at": e.ended_at,
        "end_note": e.end_note,
        "imports": e.imports,
    }


def relief_out(job: EmergencyRelief) -> dict[str, Any]:
    return {
        "id": job.pk,
        "emergency_id": job.emergency_id,
        "area_code": job.area_code,
        "status": job.status,
        "status_name": job.get_status_display(),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "relieved": job.relieved,
        "amount_fen": job.amount_fen,
        "error": job.error,
        "attempts": job.attempts,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "can_retry": job.status == "failed",
    }


class EmergencyIn(Schema):
    name: str = ""
    kind: str = ""  # flood, earthquake, fire, epidemic, other
    area_code: str = ""  # a 9-digit town code of the county; empty = the whole county
    starts_on: str = ""
    planned_end_on: str = ""
    source_document: str = ""


class EmergencyActionIn(Schema):
    month: str = ""  # transition: "2026-07"
    limit: int = 0  # relieve: at most this many households (0 = all not yet relieved)
    note: str = ""  # end


def _get(request: HttpRequest, emergency_id: int) -> Emergency:
    return get_object_or_404(Emergency.objects.visible_to(_user(request)), pk=emergency_id)


@router.get("/emergencies", summary="应急期（本辖区）")
def list_emergencies(request: HttpRequest) -> dict[str, Any]:
    qs = Emergency.objects.visible_to(_user(request))
    return {"count": qs.count(), "items": [emergency_out(e) for e in qs]}


@router.post("/emergencies", response={201: dict}, summary="启动应急期（县级）")
def declare(request: HttpRequest, body: EmergencyIn) -> Status[dict[str, Any]]:
    return Status(201, emergency_out(em.declare_emergency(body.dict(), by=_user(request))))


@router.get("/emergencies/{emergency_id}", summary="应急期详情")
def detail(request: HttpRequest, emergency_id: int) -> dict[str, Any]:
    return emergency_out(_get(request, emergency_id))


@router.post("/emergencies/{emergency_id}/victims", summary="导入应急受灾人员名单（Excel/CSV，按身份证号匹配）")
def import_victims(request: HttpRequest, emergency_id: int, file: File[UploadedFile]) -> dict[str, Any]:
    result = em.import_victims(_get(request, emergency_id), file.name or "", file.read(), by=_user(request))
    return {"rows": result.rows, "loaded": result.loaded, "already": result.already, "unknown": result.unknown}


@router.post(
    "/emergencies/{emergency_id}/actions/{name}",
    response={200: dict, 202: dict},
    summary="应急期操作：relieve 批量先行救助（后台任务），transition 过渡期生活救助列入该月花名册，end 结束",
)
def emergency_action(
    request: HttpRequest, emergency_id: int, name: str, body: EmergencyActionIn
) -> Status[dict[str, Any]]:
    by = _user(request)
    if name not in ACTIONS:
        raise NotFound("unknown_action", f"没有名为“{name}”的应急期操作（可用：{'、'.join(ACTIONS)}）")
    e = _get(request, emergency_id)
    if name == "relieve":
        job = em.request_relief(e, by=by, limit=body.limit)
        return Status(
            202,
            {
                "emergency": emergency_out(e),
                "relief": relief_out(job),
                "progress_url": f"/api/v1/monitoring/emergencies/{e.pk}/reliefs/{job.pk}",
            },
        )
    if name == "transition":
        paid = em.pay_transition_month(e, by=by, month=body.month)
        return Status(
            200, {"emergency": emergency_out(e), "households": paid, "amount_fen": paid * e.transition_monthly_fen}
        )
    return Status(200, {"emergency": emergency_out(em.end_emergency(e, by=by, note=body.note))})


def _relief(request: HttpRequest, emergency_id: int, relief_id: int) -> EmergencyRelief:
    e = _get(request, emergency_id)
    job: EmergencyRelief = get_object_or_404(
        EmergencyRelief.objects.visible_to(_user(request)), pk=relief_id, emergency=e
    )
    if em.recover_reliefs(EmergencyRelief.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    return job


@router.get("/emergencies/{emergency_id}/reliefs", summary="批量先行救助任务（本辖区）")
def list_reliefs(request: HttpRequest, emergency_id: int) -> dict[str, Any]:
    e = _get(request, emergency_id)
    em.recover_reliefs(EmergencyRelief.objects.filter(emergency=e))
    qs = EmergencyRelief.objects.visible_to(_user(request)).filter(emergency=e)
    return {"count": qs.count(), "items": [relief_out(j) for j in qs[:50]]}


@router.get(
    "/emergencies/{emergency_id}/reliefs/{relief_id}",
    summary="批量先行救助任务进度（处理进程中断的任务显示为失败，可重试）",
)
def get_relief(request: HttpRequest, emergency_id: int, relief_id: int) -> dict[str, Any]:
    return relief_out(_relief(request, emergency_id, relief_id))


@router.post(
    "/emergencies/{emergency_id}/reliefs/{relief_id}/retry",
    response={202: dict},
    summary="重试失败的批量先行救助任务（只救助尚未救助的受灾户）",
)
def retry_relief(request: HttpRequest, emergency_id: int, relief_id: int) -> Status[dict[str, Any]]:
    job = em.retry_relief(_relief(request, emergency_id, relief_id), by=_user(request))
    return Status(
        202,
        {"relief": relief_out(job), "progress_url": f"/api/v1/monitoring/emergencies/{emergency_id}/reliefs/{job.pk}"},
    )


@router.get("/emergencies/{emergency_id}/report", summary="应急期报告")
def emergency_report(request: HttpRequest, emergency_id: int) -> dict[str, Any]:
    e = _get(request, emergency_id)
    return {"emergency": emergency_out(e), **em.report(e, by=_user(request))}


@router.get("/emergencies/{emergency_id}/report.xlsx", summary="应急期报告（Excel）", response={200: None})
def emergency_report_xlsx(request: HttpRequest, emergency_id: int) -> HttpResponse:
    e = _get(request, emergency_id)
    data = em.report(e, by=_user(request))
    content = xlsx(em.REPORT_HEADERS, em.report_rows(data), sheet="应急期报告", notes=em.report_notes(e, data))
    return file_response(content, f"应急期报告-{e.name}.xlsx")
