"""Verification API (家庭经济状况核对): 一键核对, reports, the request queue, batch
re-verification, findings, cross-county requests (``/api/v1/verifications``). The department
data exchange (``/api/v1/sources``) is in ``api_sources``; ``sources_router`` is re-exported."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status

from jiuzhu.accounts.models import User
from jiuzhu.applications.models import Application
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.core.schemas import ErrorOut
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.queries import household_of_member

from . import actions, peers
from .api_sources import sources_router
from .models import Finding, Peer, Report, ReverificationRun, VerificationRequest
from .views import report_pdf_response

router = Router(tags=["家庭经济状况核对"])

__all__ = ["router", "sources_router"]


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


# ---- 一键核对 and reports ---------------------------------------------------------------------


class VerifyIn(Schema):
    application_id: int | None = None
    household_id: int | None = None
    id_number: str | None = None  # any member's (一证): instead of household_id
    program: str | None = None


class ReportOut(Schema):
    id: int
    number: str
    household_id: int
    application_id: int | None
    program: str
    created_at: dt.datetime
    content_sha256: str
    pdf_url: str
    content: dict[str, Any]


class ReportSummary(Schema):
    id: int
    number: str
    household_id: int
    application_id: int | None
    program: str
    created_at: dt.datetime
    findings: int


def _report_out(report: Report) -> dict[str, Any]:
    return {
        "id": report.pk,
        "number": report.number,
        "household_id": report.household_id,
        "application_id": report.application_id,
        "program": report.program,
        "created_at": report.created_at,
        "content_sha256": report.content_sha256,
        "pdf_url": f"/api/v1/verifications/{report.pk}/pdf",
        "content": report.content,
    }


@router.post("", response={201: ReportOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def verify(request: HttpRequest, body: VerifyIn) -> Any:
    """一键核对: ``{"application_id"}``, ``{"household_id", "program"}`` or ``{"id_number",
    "program"}`` (any member's ID number) → a new 核对报告.

    Refused with ``authorization_missing`` (409) unless every adult member signed a 授权书.
    Answers the pending 核对申请 of the application (or household and program)."""
    user = _actor(request)
    actions.require_perm(user, "verification.run")
    if body.application_id is not None:
        application = get_object_or_404(Application.objects.visible_to(user), pk=body.application_id)
        report = actions.run_verification(
            by=user, household=application.household, program=application.program, application=application
        )
    else:
        if (body.household_id is None and not body.id_number) or not body.program:
            raise InvalidInput(
                "required", "请提供 application_id，或 household_id（或成员 id_number）和 program", field="household_id"
            )
        if body.household_id is not None:
            household = get_object_or_404(Household.objects.visible_to(user), pk=body.household_id)
        else:
            found = household_of_member(user, body.id_number or "")
            if found is None:
                raise NotFound("not_found", "未找到该身份证号的家庭，或不在您的管辖范围内")
            household = found
        report = actions.run_verification(by=user, household=household, program=body.program)
    return Status(201, _report_out(report))


@router.get("", response=list[ReportSummary])
def list_reports(request: HttpRequest, household_id: int | None = None, application_id: int | None = None) -> Any:
    user = _actor(request)
    if not (actions.can(user, "verification.run") or actions.can(user, "verification.view")):
        actions.require_perm(user, "verification.view")
    qs = Report.objects.visible_to(user)
    if household_id:
        qs = qs.filter(household_id=household_id)
    if application_id:
        qs = qs.filter(application_id=application_id)
    return [
        {
            "id": r.pk,
            "number": r.number,
            "household_id": r.household_id,
            "application_id": r.application_id,
            "program": r.program,
            "created_at": r.created_at,
            "findings": len(r.content.get("findings", [])),
        }
        for r in qs.order_by("-id")[:200]
    ]


def _report(request: HttpRequest, report_id: int) -> Report:
    user = _actor(request)
    if not (actions.can(user, "verification.run") or actions.can(user, "verification.view")):
        actions.require_perm(user, "verification.view")
    report: Report = get_object_or_404(Report.objects.visible_to(user), pk=report_id)
    return report


@router.get("/{int:report_id}", response={200: ReportOut, 403: ErrorOut, 404: ErrorOut})
def get_report(request: HttpRequest, report_id: int) -> Any:
    report = _report(request, report_id)
    actions.log_report_read(report, "view", by=_actor(request))
    return _report_out(report)


@router.get("/{int:report_id}/pdf", response={200: None, 403: ErrorOut, 404: ErrorOut})
def get_report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    actions.log_report_read(report, "download", by=_actor(request))
    return report_pdf_response(report)


# ---- the request queue -------------------------------------------------------------------------


class RequestOut(Schema):
    id: int
    application_id: int | None
    household_id: int
    program: str
    status: str
    requested_at: dt.datetime
    completed_at: dt.datetime | None
    report_id: int | None
    refusal_message: str


class RefuseIn(Schema):
    reason: str


@router.get("/workload", summary="核对工作量统计：按月份和镇（街道）（format=xlsx 导出Excel）")
def workload_stats(request: HttpRequest, year: int | None = None, format: str = "json") -> Any:
    """VER-18."""
    from jiuzhu.web.files import file_response

    from . import workload

    user = _actor(request)
    if not (actions.can(user, "verification.view") or actions.can(user, "verification.run")):
        actions.require_perm(user, "verification.view")
    this_year = timezone.localdate().year
    year = year or this_year
    if not 2000 <= year <= this_year + 1:
        raise InvalidInput("invalid_year", f"统计年度应在2000年至{this_year + 1}年之间", field="year")
    rows = workload.workload(user, year=year)
    if format == "xlsx":
        return file_response(workload.workload_xlsx(rows), f"核对工作量-{year}.xlsx")
    return {"year": year, "rows": rows, "totals": workload.totals(rows)}


@router.get("/requests", response=list[RequestOut])
def list_requests(request: HttpRequest, status: str = "pending") -> Any:
    user = _actor(request)
    actions.require_perm(user, "verification.run")
    return list(VerificationRequest.objects.visible_to(user).filter(status=status).order_by("requested_at", "id")[:500])


@router.post(
    "/requests/{int:request_id}/refuse",
    response={200: RequestOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def refuse(request: HttpRequest, request_id: int, body: RefuseIn) -> Any:
    user = _actor(request)
    req = get_object_or_404(VerificationRequest.objects.visible_to(user), pk=request_id)
    return actions.refuse_request(req, by=user, reason=body.reason)


# ---- batch re-verification and findings ------------------------------------------------------------


class ReverifyIn(Schema):
    area_code: str


class RunOut(Schema):
    id: int
    area_code: str
    trigger: str
    status: str
    total: int
    done: int
    findings: int
    percent: int
    summary: dict[str, Any]
    message: str
    attempts: int
    created_at: dt.datetime
    finished_at: dt.datetime | None


@router.post("/reverifications", response={202: RunOut, 403: ErrorOut, 422: ErrorOut})
def start_run(request: HttpRequest, body: ReverifyIn) -> Any:
    """批量复核: every active case (approved application) of the area, as a background job."""
    run = actions.start_reverification(by=_actor(request), area_code=body.area_code)
    run.refresh_from_db()
    return Status(202, run)


@router.get("/reverifications/{int:run_id}", response={200: RunOut, 404: ErrorOut})
def get_run(request: HttpRequest, run_id: int) -> Any:
    user = _actor(request)
    if not (actions.can(user, "verification.run") or actions.can(user, "verification.view")):
        actions.require_perm(user, "verification.view")
    run = get_object_or_404(ReverificationRun.objects.visible_to(user), pk=run_id)
    if actions.recover_reverification_runs(ReverificationRun.objects.filter(pk=run.pk)):
        run.refresh_from_db()
    return run


@router.post("/reverifications/{int:run_id}/retry", response={202: RunOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def retry_run(request: HttpRequest, run_id: int) -> Any:
    """重试 a run that failed or whose worker died: it continues after the last household done."""
    user = _actor(request)
    run = get_object_or_404(ReverificationRun.objects.visible_to(user), pk=run_id)
    return Status(202, actions.retry_reverification(run, by=user))


class FindingOut(Schema):
    id: int
    household_id: int
    application_id: int | None
    run_id: int | None
    kind: str
    message: str
    area_code: str
    status: str
    created_at: dt.datetime
    handling_note: str


class HandleIn(Schema):
    note: str


@router.get("/findings", response=list[FindingOut])
def list_findings(request: HttpRequest, status: str = "open", household_id: int | None = None) -> Any:
    user = _actor(request)
    if not (actions.can(user, "verification.run") or actions.can(user, "verification.view")):
        actions.require_perm(user, "verification.view")
    qs = Finding.objects.visible_to(user).filter(status=status)
    if household_id:
        qs = qs.filter(household_id=household_id)
    return list(qs.order_by("-id")[:500])


@router.post(
    "/findings/{int:finding_id}/handle",
    response={200: FindingOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def handle(request: HttpRequest, finding_id: int, body: HandleIn) -> Any:
    user = _actor(request)
    finding = get_object_or_404(Finding.objects.visible_to(user), pk=finding_id)
    return actions.handle_finding(finding, by=user, note=body.note)


# ---- cross-county -------------------------------------------------------------------------------------


@router.post("/peer/query", auth=None, response={200: None, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def peer_query_answer(request: HttpRequest) -> HttpResponse:
    """Answer a signed request of another county's instance (not for people: see the
    X-Jiuzhu-* headers in docs/decisions.md)."""
    body = request.body
    peer, request_id = peers.verify_request(request.headers, request.method or "POST", request.path, body)
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("json_invalid", "请求内容不是合法的JSON") from None
    if not isinstance(payload, dict):
        raise InvalidInput("json_invalid", "请求内容应为JSON对象")
    out = peers.answer(peer, request_id, payload)
    raw = json.dumps(out, ensure_ascii=False).encode("utf-8")
    response = HttpResponse(raw, content_type="application/json; charset=utf-8")
    response["X-Jiuzhu-Signature"] = peers.response_signature(peer, request_id, raw)
    response["X-Jiuzhu-Signature-Algorithm"] = peers.scheme_for(peer)
    return response


class PeerQueryIn(Schema):
    person_id: int
    peer: str


class PeerQueryOut(Schema):
    id: int
    peer_id: int
    request_id: str
    person_id: int
    status: str
    answer: dict[str, Any]
    error: str
    asked_at: dt.datetime


@router.post("/peer-queries", response={201: PeerQueryOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def ask_peer(request: HttpRequest, body: PeerQueryIn) -> Any:
    """跨县核对: ask another county's instance about a member registered there."""
    user = _actor(request)
    person = get_object_or_404(Person.objects.visible_to(user), pk=body.person_id)
    peer = get_object_or_404(Peer, code=body.peer)
    return Status(201, peers.query_peer(by=user, person=person, peer=peer))
