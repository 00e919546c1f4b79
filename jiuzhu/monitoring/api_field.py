"""The API of 现场发现报告 (issue 17 item 4, DIS-5, INT-24) under
``/api/v1/monitoring/field-reports``: list (``area_code``, ``status``), create, and
``actions/match_identity``. A village worker sees only their village's reports (404 outside)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import InvalidInput, NotFound

from . import field
from .models import FIELD_STATUS, FieldReport

router = Router(tags=["政策找人"])
ACTIONS = ("match_identity",)


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def field_report_out(r: FieldReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "temp_number": r.temp_number or "",
        "person_id": r.person_id,
        "person_name": r.person.name if r.person else "",
        "id_number_masked": r.person.id_number_masked if r.person else "",
        "area_code": r.area_code,
        "name": r.name,
        "gender": r.gender,
        "approx_age": r.approx_age,
        "description": r.description,
        "place": r.place,
        "situation": r.situation,
        "needs": r.needs,
        "urgency": r.urgency,
        "urgency_name": r.get_urgency_display(),
        "status": r.status,
        "status_name": r.get_status_display(),
        "created_at": r.created_at,
        "matched_at": r.matched_at,
    }


class FieldReportIn(Schema):
    area_code: str = ""  # 12-digit village; default: the worker's own
    id_number: str = ""  # if known; else name / gender / approx_age / description
    name: str = ""
    gender: str = ""  # M, F or empty (不详)
    approx_age: int | None = None
    description: str = ""
    place: str = ""
    situation: str = ""
    needs: str = ""
    urgency: str = "normal"  # normal, urgent, critical


class MatchIdentityIn(Schema):
    id_number: str = ""


@router.get("/field-reports", summary="现场发现报告（本辖区）")
def list_field_reports(request: HttpRequest, area_code: str = "", status: str = "") -> dict[str, Any]:
    qs = FieldReport.objects.visible_to(_user(request)).select_related("person")
    if area_code:
        if not area_code.isdigit() or len(area_code) > 12:
            raise InvalidInput("invalid_area", "区划代码应为数字", field="area_code")
        qs = qs.filter(area_code__startswith=area_code)
    if status:
        if status not in dict(FIELD_STATUS):
            raise InvalidInput("invalid_status", "状态只能是 open、matched 或 closed", field="status")
        qs = qs.filter(status=status)
    return {"count": qs.count(), "items": [field_report_out(r) for r in qs[:500]]}


@router.post("/field-reports", response={201: dict}, summary="登记现场发现报告（网格员/村协理员）")
def create_field_report(request: HttpRequest, body: FieldReportIn) -> Status[dict[str, Any]]:
    return Status(201, field_report_out(field.submit_field_report(body.dict(), by=_user(request))))


@router.post("/field-reports/{report_id}/actions/{name}", summary="现场发现报告操作：match_identity 认定身份")
def field_report_action(request: HttpRequest, report_id: int, name: str, body: MatchIdentityIn) -> dict[str, Any]:
    by = _user(request)
    if name not in ACTIONS:
        raise NotFound("unknown_action", f"没有名为“{name}”的现场发现报告操作（可用：{'、'.join(ACTIONS)}）")
    report = get_object_or_404(FieldReport.objects.visible_to(by), pk=report_id)
    return field_report_out(field.match_identity(report, body.id_number, by=by))
