"""The department data exchange API (``/api/v1/sources``): sources and their schemas, pushed
batches, chunked uploads. Mounted by ``jiuzhu.api``; ``jiuzhu.verification.api.sources_router``
is the same router."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.core.schemas import ErrorOut

from . import actions, ingest
from .models import Batch, Source, Upload
from .views import source_rows

sources_router = Router(tags=["核对数据上报"])


def _actor(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


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
        raise InvalidInput("invalid_date", "日期格式应为“2026-01-31”", field=field) from None


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
            source, file.chunks(ingest.CHUNK), by=user, filename=file.name or filename, **common
        )
    else:
        name = filename or request.headers.get("X-Filename", "")
        batch, created = actions.receive_batch(source, _stream_of(request), by=user, filename=name, **common)
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
    batch = actions.rerun_batch(_batch(request, source_code, batch_id), by=_actor(request), force=force)
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
    upload = actions.start_upload(_source(source_code), by=_actor(request), size=body.size, filename=body.filename)
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
    upload = actions.append_part(_upload(request, source_code, key), number, request, by=_actor(request))
    return _upload_out(upload)


@sources_router.post(
    "/{source_code}/uploads/{key}/complete",
    response={200: BatchOut, 202: BatchOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def complete_upload(request: HttpRequest, source_code: str, key: str, body: CompleteIn) -> Any:
    batch, created = actions.complete_upload(
        _upload(request, source_code, key),
        by=_actor(request),
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
