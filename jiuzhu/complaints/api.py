"""The API of 投诉举报 (SUP-4; fixed names): ``GET /api/v1/complaints?area_code=&status=``,
``POST /api/v1/complaints`` (staff logging a phone call) and
``POST /api/v1/complaints/{id}/actions/{assign|note|reply|close|open_review}``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status

from jiuzhu.accounts.models import User
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import InvalidInput

from . import actions
from .models import STATUSES, Complaint
from .stats import statistics

router = Router(tags=["投诉举报"])
ACTIONS = ("assign", "note", "reply", "close", "open_review")
PER_PAGE = 50


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


class ComplaintOut(Schema):
    id: int
    tracking_number: str
    category: str
    category_label: str
    channel: str
    area_code: str
    town_code: str
    department: str
    subject: str
    recipient_name: str
    recipient_village: str
    text: str
    status: str
    status_label: str
    due_on: dt.date
    overdue: bool
    handler: str
    reporter_name: str  # masked (王*) unless the caller asked to reveal and may
    reporter_phone: str
    reply: str
    application_number: str
    review_id: int | None


def _out(c: Complaint) -> dict[str, Any]:
    return {
        "id": c.pk,
        "tracking_number": c.tracking_number,
        "category": c.category,
        "category_label": c.get_category_display(),
        "channel": c.channel,
        "area_code": c.area_code,
        "town_code": c.town_code,
        "department": c.department.name if c.department else "",
        "subject": c.subject,
        "recipient_name": c.recipient_name,
        "recipient_village": c.recipient_village,
        "text": c.text,
        "status": c.status,
        "status_label": c.get_status_display(),
        "due_on": c.due_on,
        "overdue": c.overdue_on(timezone.localdate()),
        "handler": c.handler.display_name if c.handler else "",
        "reporter_name": c.reporter_name_masked,
        "reporter_phone": c.reporter_phone_masked,
        "reply": c.reply,
        "application_number": c.application.number if c.application else "",
        "review_id": c.review_id,
    }


class ComplaintPage(Schema):
    count: int
    items: list[ComplaintOut]
    statistics: dict[str, list[dict[str, Any]]]


@router.get("", response=ComplaintPage)
def list_complaints(request: HttpRequest, area_code: str = "", status: str = "", page: int = 1) -> dict[str, Any]:
    qs = Complaint.objects.visible_to(_user(request)).select_related("department", "handler", "application")
    if area_code:
        if not area_code.isdigit() or len(area_code) > 12:
            raise InvalidInput("invalid_area_code", "区划代码须为不超过12位的数字", field="area_code")
        area = Area.objects.filter(code=area_code.ljust(12, "0")).first()
        prefix = area.prefix if area is not None else area_code
        qs = qs.filter(Q(town_code__startswith=prefix) | Q(area_code__startswith=prefix))
    if status == "overdue":
        qs = qs.overdue()
    elif status:
        if status not in dict(STATUSES):
            raise InvalidInput(
                "invalid_status", "状态应为已受理、办理中、已答复、已办结或overdue（已超期）", field="status"
            )
        qs = qs.filter(status=status)
    page = max(page, 1)
    rows = list(qs[(page - 1) * PER_PAGE : page * PER_PAGE])
    return {"count": qs.count(), "items": [_out(c) for c in rows], "statistics": statistics(qs)}


class ComplaintIn(Schema):
    category: str
    area_code: str
    subject: str
    text: str
    recipient_name: str = ""
    recipient_village: str = ""
    anonymous: bool = False
    reporter_name: str = ""
    reporter_phone: str = ""


class CreatedOut(Schema):
    complaint: ComplaintOut
    query_code: str


@router.post("", response={201: CreatedOut})
def create_complaint(request: HttpRequest, body: ComplaintIn) -> Status[dict[str, Any]]:
    """电话登记 (staff): the tracking number and the 查询码 to tell the caller."""
    done = actions.submit(body.dict(), by=_user(request), channel="phone")
    return Status(201, {"complaint": _out(done.complaint), "query_code": done.query_code})


@router.get("/{complaint_id}", response=ComplaintOut)
def get_complaint(request: HttpRequest, complaint_id: int) -> dict[str, Any]:
    return _out(get_object_or_404(Complaint.objects.visible_to(_user(request)), pk=complaint_id))


class IdentityOut(Schema):
    reporter_name: str
    reporter_phone: str


@router.post("/{complaint_id}/identity", response=IdentityOut)
def reveal_identity(request: HttpRequest, complaint_id: int) -> dict[str, str]:
    """查看投诉人身份 (the handler and the county; audited)."""
    c = get_object_or_404(Complaint.objects.visible_to(_user(request)), pk=complaint_id)
    return actions.reveal_identity(c, by=_user(request))


class ActionIn(Schema):
    town_code: str = ""
    department_id: int | None = None
    handler_id: int | None = None
    note: str = ""
    text: str = ""
    application_number: str = ""


@router.post("/{complaint_id}/actions/{name}", response=ComplaintOut)
def complaint_action(request: HttpRequest, complaint_id: int, name: str, body: ActionIn) -> dict[str, Any]:
    user = _user(request)
    c = get_object_or_404(Complaint.objects.visible_to(user), pk=complaint_id)
    if name not in ACTIONS:
        raise InvalidInput("unknown_action", "操作应为assign、note、reply、close或open_review", field="name")
    if name == "assign":
        c = actions.assign(
            c,
            by=user,
            town_code=body.town_code,
            department_id=body.department_id,
            handler_id=body.handler_id,
            note=body.note,
        )
    elif name == "note":
        c = actions.add_note(c, by=user, text=body.text)
    elif name == "reply":
        c = actions.reply(c, by=user, text=body.text)
    elif name == "close":
        c = actions.close(c, by=user, note=body.note)
    else:
        c = actions.open_review(c, by=user, application_number=body.application_number)
    return _out(Complaint.objects.select_related("department", "handler", "application").get(pk=c.pk))
