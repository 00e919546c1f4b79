"""The API of 现场发现报告 (issue 17 item 4, DIS-5, INT-24) under
``/api/v1/monitoring/field-reports``: list (``area_code``, ``status``), create, ``{id}/photo``
(multipart) and ``actions/{match_identity, refer_station, hand_off}``. A village worker sees
only their village's reports (404 outside)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.referrals.models import Referral

from . import field, field_referral
from .models import FIELD_STATUS, FieldReport

router = Router(tags=["政策找人"])
ACTIONS = ("match_identity", "refer_station", "hand_off")


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
        # the registry record under the temporary number (INT-24) and its household, for 当场申请
        "temp_person_id": r.temp_person_id,
        "household_id": _household_id(r),
        "task_id": r.task_id,
        "task_status": r.task.status if r.task else "",
        "task_status_name": r.task.get_status_display() if r.task else "",
        "has_photo": r.photo_id is not None,
        "origin_county_code": r.origin_county_code,
        "station_referral": _referral_out(r.station_referral),
        "handoff_referral": _referral_out(r.handoff_referral),
    }


def _household_id(r: FieldReport) -> int | None:
    subject = r.person or r.temp_person
    return subject.household_id if subject else None


def _referral_out(ref: Referral | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {
        "id": ref.pk,
        "number": ref.number,
        "office": ref.office,
        "status": ref.status,
        "status_name": ref.get_status_display(),
        "due_on": ref.due_on,
    }


RELATED = ("person", "temp_person", "task", "station_referral", "handoff_referral")


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
    origin_county_code: str = ""  # 来源地（户籍地）county, 6 digits, if known (LNK-11)


class FieldActionIn(Schema):
    id_number: str = ""  # match_identity
    reason: str = ""  # refer_station
    origin_county_code: str = ""  # refer_station, hand_off
    note: str = ""  # hand_off


@router.get("/field-reports", summary="现场发现报告（本辖区）")
def list_field_reports(request: HttpRequest, area_code: str = "", status: str = "") -> dict[str, Any]:
    qs = FieldReport.objects.visible_to(_user(request)).select_related(*RELATED)
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
    report = field.submit_field_report(body.dict(), by=_user(request))
    return Status(201, field_report_out(FieldReport.objects.select_related(*RELATED).get(pk=report.pk)))


@router.post("/field-reports/{report_id}/photo", summary="现场发现报告照片（JPG、PNG）")
def field_report_photo(request: HttpRequest, report_id: int, file: File[UploadedFile]) -> dict[str, Any]:
    by = _user(request)
    report = get_object_or_404(FieldReport.objects.visible_to(by), pk=report_id)
    return field_report_out(field.attach_photo(report, file, by=by))


@router.post(
    "/field-reports/{report_id}/actions/{name}",
    summary="现场发现报告操作：match_identity 认定身份、refer_station 转介救助管理站、hand_off 移交来源地",
)
def field_report_action(request: HttpRequest, report_id: int, name: str, body: FieldActionIn) -> dict[str, Any]:
    by = _user(request)
    if name not in ACTIONS:
        raise NotFound("unknown_action", f"没有名为“{name}”的现场发现报告操作（可用：{'、'.join(ACTIONS)}）")
    report = get_object_or_404(FieldReport.objects.visible_to(by), pk=report_id)
    if name == "refer_station":
        done = field_referral.refer_to_station(
            report, by=by, reason=body.reason, origin_county_code=body.origin_county_code
        )
    elif name == "hand_off":
        done = field_referral.hand_off(report, by=by, origin_county_code=body.origin_county_code, note=body.note)
    else:
        done = field.match_identity(report, body.id_number, by=by)
    return field_report_out(FieldReport.objects.select_related(*RELATED).get(pk=done.pk))
