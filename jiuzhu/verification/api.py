"""Verification API (家庭经济状况核对): 一键核对, reports, the request queue, batch
re-verification, findings, cross-county requests (``/api/v1/verifications``) and the
department data exchange (``/api/v1/sources``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TypedDict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from jiuzhu.applications.models import Application
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.core.schemas import ErrorOut
from jiuzhu.registry.models import Household, Person

from . import actions, ingest, peers
from .models import Batch, Finding, Peer, Report, ReverificationRun, Source, Upload, VerificationRequest
from .views import report_pdf_response, source_rows

router = Router(tags=["家庭经济状况核对"])
sources_router = Router(tags=["核对数据上报"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# ---- 一键核对 and reports ---------------------------------------------------------------------


class VerifyIn(Schema):
    application_id: int | None = None
    household_id: int | None = None
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
    """一键核对: ``{"application_id"}`` or ``{"household_id", "program"}`` → a new 核对报告.

    Refused with ``authorization_missing`` (409) unless every adult member signed a 授权书.
    Answers the pending 核对申请 of the application (or household and program)."""
    user = _actor(request)
    actions.require_perm(user, "verification.run")
    if body.application_id is not None:
        application = get_object_or_404(Application.objects.visible_to(user), pk=body.application_id)
        report = actions.run_verification(
            user, household=application.household, program=application.program, application=application
        )
    else:
        if body.household_id is None or not body.program:
            raise InvalidInput("required", "请提供 application_id，或 household_id 和 program", field="household_id")
        household = get_object_or_404(Household.objects.visible_to(user), pk=body.household_id)
        report = actions.run_verification(user, household=household, program=body.program)
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
    actions.log_report_read(_actor(request), report, "view")
    return _report_out(report)


@router.get("/{int:report_id}/pdf", response={200: None, 403: ErrorOut, 404: ErrorOut})
def get_report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    actions.log_report_read(_actor(request), report, "download")
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
    this_year = dt.date.today().year
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
    return actions.refuse_request(user, req, reason=body.reason)


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
    run = actions.start_reverification(_actor(request), area_code=body.area_code)
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
    return Status(202, actions.retry_reverification(user, run))


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
    return actions.handle_finding(user, finding, note=body.note)


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
    return Status(201, peers.query_peer(user, person=person, peer=peer))


# ---- /api/v1/sources: the data exchange ---------------------------------------------------------------


class SourceOut(Schema):
    code: str
    name: str
    provider_code: str
    provider_name: str
    mode: str
    schema_version: int | None
    headers: list[str]
    stale_after_days: int
    bank_data: bool
    last_batch_id: int | None
    last_loaded_at: dt.datetime | None
    rows: int | None
    fresh: bool | None
    may_upload: bool


class SchemaOut(Schema):
    version: int
    fields: list[dict[str, Any]]
    id_field: str
    period: dict[str, Any]
    record_key: list[str]
    category_field: str
    amount_field: str
    state_field: str
    inactive_states: list[str]


class SourceDetail(SourceOut):
    description: str
    effect: list[dict[str, Any]]
    current_schema: SchemaOut | None = None


class BatchOut(Schema):
    id: int
    source: str
    status: str
    kind: str
    file_format: str
    original_name: str
    sha256: str
    size: int
    encoding: str
    rows_total: int
    rows_loaded: int
    persons: int | None
    matched_persons: int | None
    touched_households: int | None
    error_count: int
    errors: list[dict[str, Any]]
    message: str
    received_at: dt.datetime
    loaded_at: dt.datetime | None
    progress: dict[str, Any]
    duplicate: bool = False
    duplicate_of: int | None = None
    errors_url: str | None = None


def _batch_out(batch: Batch, *, duplicate: bool = False) -> dict[str, Any]:
    out = {
        f: getattr(batch, f)
        for f in BatchOut.model_fields
        if hasattr(batch, f) and f not in ("source", "errors", "progress")
    }
    out.update(
        source=batch.source.code,
        errors=batch.errors[:100],
        progress=ingest.read_progress(batch),
        duplicate=duplicate,
        duplicate_of=batch.pk if duplicate else None,
        errors_url=f"/api/v1/sources/{batch.source.code}/batches/{batch.pk}/errors.xlsx" if batch.error_count else None,
    )
    if duplicate:
        out["message"] = (
            f"同一文件已于{batch.received_at:%Y-%m-%d %H:%M}作为批次#{batch.pk}上报"
            f"（{batch.get_status_display()}），未重复入库"
        )
    return out


def _source(code: str) -> Source:
    return get_object_or_404(Source.objects.select_related("provider"), code=code)


@sources_router.get("", response=list[SourceOut])
def list_sources(request: HttpRequest) -> Any:
    """核对数据目录 with each data type's latest batch and freshness in the caller's county."""
    return source_rows(_actor(request))


@sources_router.get("/{source_code}", response={200: SourceDetail, 404: ErrorOut})
def get_source(request: HttpRequest, source_code: str) -> Any:
    source = _source(source_code)
    row = next(r for r in source_rows(_actor(request), only=source) if r["code"] == source.code)
    schema = source.current_schema
    row.update(description=source.description, effect=source.effect)
    if schema is not None:
        row["current_schema"] = {k: getattr(schema, k) for k in SchemaOut.model_fields}
    return row


def _date_param(value: str | None, field: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("invalid_date", "日期格式应为YYYY-MM-DD", field=field) from None


def _stream_of(request: HttpRequest) -> Any:
    while True:
        chunk = request.read(ingest.CHUNK)
        if not chunk:
            return
        yield chunk


def _encoding_of(request: HttpRequest, encoding: str | None) -> str:
    if encoding:
        return encoding.lower()
    content_type: str = request.META.get("CONTENT_TYPE", "")
    if "charset=" in content_type:
        return content_type.split("charset=", 1)[1].split(";")[0].strip().lower()
    return "auto"


class _BatchParams(TypedDict):
    """The keyword arguments of ``actions.receive_batch`` that both upload forms share."""

    kind: str
    declared_encoding: str
    period_start: dt.date | None
    period_end: dt.date | None
    expected_rows: int | None
    channel: str


@sources_router.post(
    "/{source_code}/batches",
    response={200: BatchOut, 202: BatchOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut},
)
def push_batch(
    request: HttpRequest,
    source_code: str,
    file: File[UploadedFile | None] = None,
    kind: str = "",
    encoding: str | None = None,
    period_start: str | None = None,
    period_end: str | None = None,
    expected_rows: int | None = None,
    filename: str = "",
) -> Any:
    """数据上报: a CSV (UTF-8 or GBK), XLSX or JSON-lines file as multipart ``file`` or as the
    raw request body (gzip accepted). 202 with the queued batch; 200 naming the earlier
    batch when the same file was sent before. Larger than 20 MB: compress or use
    ``/uploads`` (parts)."""
    user = _actor(request)
    source = _source(source_code)
    common: _BatchParams = {
        "kind": kind,
        "declared_encoding": _encoding_of(request, encoding),
        "period_start": _date_param(period_start, "period_start"),
        "period_end": _date_param(period_end, "period_end"),
        "expected_rows": expected_rows,
        "channel": "api",
    }
    if file is not None:
        batch, created = actions.receive_batch(
            user, source, file.chunks(ingest.CHUNK), filename=file.name or filename, **common
        )
    else:
        name = filename or request.headers.get("X-Filename", "")
        batch, created = actions.receive_batch(user, source, _stream_of(request), filename=name, **common)
    batch.refresh_from_db()
    return Status(202 if created else 200, _batch_out(batch, duplicate=not created))


@sources_router.get("/{source_code}/batches", response=list[BatchOut])
def list_batches(request: HttpRequest, source_code: str) -> Any:
    source = _source(source_code)
    qs = Batch.objects.visible_to(_actor(request)).filter(source=source).select_related("source")
    return [_batch_out(b) for b in qs.order_by("-id")[:100]]


def _batch(request: HttpRequest, source_code: str, batch_id: int) -> Batch:
    return get_object_or_404(
        Batch.objects.visible_to(_actor(request)).select_related("source"), pk=batch_id, source__code=source_code
    )


@sources_router.get("/{source_code}/batches/{int:batch_id}", response={200: BatchOut, 404: ErrorOut})
def get_batch(request: HttpRequest, source_code: str, batch_id: int) -> Any:
    batch = _batch(request, source_code, batch_id)
    if ingest.recover_batches(Batch.objects.filter(pk=batch.pk)):
        batch.refresh_from_db()
    return _batch_out(batch)


@sources_router.get("/{source_code}/batches/{int:batch_id}/errors.xlsx", response={200: None, 404: ErrorOut})
def batch_errors(request: HttpRequest, source_code: str, batch_id: int) -> HttpResponse:
    from .views import error_report_response

    return error_report_response(_batch(request, source_code, batch_id))


@sources_router.post(
    "/{source_code}/batches/{int:batch_id}/retry", response={202: BatchOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def retry_batch(request: HttpRequest, source_code: str, batch_id: int, force: bool = False) -> Any:
    """重新处理 a batch whose processing was interrupted (e.g. the worker was killed)."""
    batch = actions.rerun_batch(_actor(request), _batch(request, source_code, batch_id), force=force)
    batch.refresh_from_db()
    return Status(202, _batch_out(batch))


class UploadIn(Schema):
    size: int
    filename: str = ""


class UploadOut(Schema):
    upload_id: str
    declared_size: int
    received: int
    parts: int
    max_part_bytes: int


class CompleteIn(Schema):
    kind: str = ""
    encoding: str = "auto"
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    expected_rows: int | None = None


def _upload_out(upload: Upload) -> dict[str, Any]:
    return {
        "upload_id": upload.key,
        "declared_size": upload.declared_size,
        "received": upload.received,
        "parts": upload.parts,
        "max_part_bytes": actions.MAX_PART_BYTES,
    }


@sources_router.post("/{source_code}/uploads", response={201: UploadOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def start_upload(request: HttpRequest, source_code: str, body: UploadIn) -> Any:
    """分段上传 of a large file: announce its size (refused above the per-batch limit
    before any byte is sent), then PUT the parts in order, then complete."""
    upload = actions.start_upload(_actor(request), _source(source_code), size=body.size, filename=body.filename)
    return Status(201, _upload_out(upload))


def _upload(request: HttpRequest, source_code: str, key: str) -> Upload:
    upload = Upload.objects.filter(key=key, source__code=source_code).select_related("source").first()
    if upload is None or upload.created_by_id != getattr(_actor(request), "pk", None):
        raise NotFound("not_found", "上传任务不存在")
    return upload


@sources_router.put(
    "/{source_code}/uploads/{key}/parts/{int:number}",
    response={200: UploadOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def put_part(request: HttpRequest, source_code: str, key: str, number: int) -> Any:
    upload = actions.append_part(_actor(request), _upload(request, source_code, key), number, request)
    return _upload_out(upload)


@sources_router.post(
    "/{source_code}/uploads/{key}/complete",
    response={200: BatchOut, 202: BatchOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def complete_upload(request: HttpRequest, source_code: str, key: str, body: CompleteIn) -> Any:
    batch, created = actions.complete_upload(
        _actor(request),
        _upload(request, source_code, key),
        kind=body.kind,
        declared_encoding=body.encoding,
        period_start=body.period_start,
        period_end=body.period_end,
        expected_rows=body.expected_rows,
        # a browser session (the upload page's 分段上传) is the UI channel; a token is a system
        channel="api" if request.headers.get("Authorization") else "ui",
    )
    batch.refresh_from_db()
    return Status(202 if created else 200, _batch_out(batch, duplicate=not created))
