"""The API of 疑似困难人员名单 (issue 17 item 2; DIS-3, DIS-4, REG-6), under
``/api/v1/monitoring/suspected-lists``: the departments' lists (frequency and criteria) and
each loaded list's report; the lists whose processing failed (``failures``) and their retry
(``{batch_id}/retry``). A list is pushed like any department data:
``POST /api/v1/sources/{code}/batches``. Every step after a department batch's load (life
events, monitoring rules, lists) that failed: ``/api/v1/monitoring/after-load-failures`` and
``{id}/retry`` (``after_load``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from jiuzhu.accounts.models import User

from . import after_load, suspected
from .models import AfterLoadFailure, SuspectedList

router = Router(tags=["政策找人"])


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def report_out(r: SuspectedList) -> dict[str, Any]:
    return {
        "batch_id": r.batch_id,
        "source": r.source_code,
        "source_name": r.source_name,
        "county_code": r.county_code,
        "rule_id": r.rule_id,
        "rows": r.rows,
        "persons": r.persons,
        "duplicates": r.duplicates,
        "matched": r.matched,
        "unknown": r.unknown,
        "outside": r.outside,
        "deceased": r.deceased,
        "recipients": r.recipients,
        "open_cases": r.open_cases,
        "open_warnings": r.open_warnings,
        "created": r.created,
        "unknown_rows": r.unknown_rows,
        "processed_at": r.processed_at,
    }


@router.get("/suspected-lists/sources", summary="疑似困难人员名单：各部门名单的推送频次和名单标准（DIS-4）")
def list_sources(request: HttpRequest) -> dict[str, Any]:
    """The catalog's lists, as the data catalog shows every authenticated user."""
    items = []
    for s in suspected.list_sources():
        spec = suspected.list_spec(s) or {}
        items.append(
            {
                "code": s.code,
                "name": s.name,
                "provider_code": s.provider.code,
                "provider_name": s.provider.name,
                "program": spec.get("program", ""),
                "frequency": spec.get("frequency", ""),
                "criteria": spec.get("criteria", ""),
                "upload_url": f"/api/v1/sources/{s.code}/batches",
            }
        )
    return {"items": items}


@router.get("/suspected-lists", summary="疑似困难人员名单处理报告：source 名单类型")
def list_reports(request: HttpRequest, source: str = "", page: int = 1) -> dict[str, Any]:
    qs = SuspectedList.objects.visible_to(_user(request))
    if source:
        qs = qs.filter(source_code=source)
    page = max(page, 1)
    total = qs.count()
    rows = qs.order_by("-processed_at", "-id")[(page - 1) * 50 : page * 50]
    return {"count": total, "page": page, "items": [report_out(r) for r in rows]}


@router.get("/suspected-lists/{int:batch_id}", summary="一份名单的处理报告（匹配、去重、预警）")
def get_report(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    report = get_object_or_404(SuspectedList.objects.visible_to(_user(request)), batch_id=batch_id)
    return report_out(report)


def failure_out(f: AfterLoadFailure) -> dict[str, Any]:
    return {
        "id": f.pk,
        "batch_id": f.batch_id,
        "step": f.step,
        "step_name": f.get_step_display(),
        "source": f.source_code,
        "source_name": f.source_name,
        "county_code": f.county_code,
        "error": f.error,
        "failed_at": f.failed_at,
        "attempts": f.attempts,
        "resolved_at": f.resolved_at,
        "can_retry": f.resolved_at is None,
    }


@router.get("/suspected-lists/failures", summary="处理失败的疑似困难人员名单（批次已入库，可重试）")
def list_failures(request: HttpRequest, unresolved: bool = True) -> dict[str, Any]:
    qs = AfterLoadFailure.objects.visible_to(_user(request)).filter(step="suspected")
    if unresolved:
        qs = qs.filter(resolved_at__isnull=True)
    return {"count": qs.count(), "items": [failure_out(f) for f in qs[:100]]}


@router.post(
    "/suspected-lists/{int:batch_id}/retry",
    response={200: dict},
    summary="重新处理处理失败的疑似困难人员名单（补齐参数设置后）",
)
def retry_failed_list(request: HttpRequest, batch_id: int) -> Status[dict[str, Any]]:
    failure = get_object_or_404(
        AfterLoadFailure.objects.visible_to(_user(request)), batch_id=batch_id, step="suspected"
    )
    return Status(200, report_out(after_load.retry(failure, by=_user(request))))


@router.get(
    "/after-load-failures",
    summary="部门数据入库后处理失败的环节（死亡迁出同步、预警规则评估、疑似困难人员名单；批次已入库，可重试）",
)
def list_after_load_failures(request: HttpRequest, unresolved: bool = True, step: str = "") -> dict[str, Any]:
    qs = AfterLoadFailure.objects.visible_to(_user(request))
    if unresolved:
        qs = qs.filter(resolved_at__isnull=True)
    if step:
        qs = qs.filter(step=step)
    return {"count": qs.count(), "items": [failure_out(f) for f in qs[:100]]}


@router.post(
    "/after-load-failures/{int:failure_id}/retry",
    response={200: dict},
    summary="重新处理部门数据入库后失败的环节（排除原因后）",
)
def retry_after_load_failure(request: HttpRequest, failure_id: int) -> Status[dict[str, Any]]:
    failure = get_object_or_404(AfterLoadFailure.objects.visible_to(_user(request)), pk=failure_id)
    after_load.retry(failure, by=_user(request))
    failure.refresh_from_db()
    return Status(200, failure_out(failure))
