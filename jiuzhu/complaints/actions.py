"""Actions of 投诉举报 (SUP-4): every state change of a complaint, atomic and audited.

``submit`` (public site or staff from a phone call) gives the tracking number and the deadline
(``complaints.reply_days`` working days, a dated setting); ``assign`` routes it to a town or a
department; ``add_note``, ``reply`` and ``close`` carry it to closure; ``open_review`` opens a
review (变更报告) on a recipient's case once staff confirm the match; ``reveal_identity`` shows
the reporter's name and phone to the handler or the county, audited. ``lookup`` answers the
public progress query (same answer for an unknown number or a wrong phone)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.applications.models import Application
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.core.inputs import field_text as _text
from jiuzhu.core.masking import mask_name
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.monitoring.actions import report_change
from jiuzhu.programs.engine import parameter_store
from jiuzhu.registry.pii import blind_index, cipher, seal, unseal
from jiuzhu.rules import RulesInputError

from .models import CATEGORIES, Complaint, ComplaintNote, TrackingCounter
from .workflow import STEPS

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
MAX_TEXT = 2000
QUERY_CODE_DIGITS = 6
QUERY_CODE = "complaint_query"  # the sealed field name of the 查询码
REPORTER_NAME = "name"
CIVIL_AFFAIRS = "minzheng"  # 民政局: the county department that oversees complaints


def reply_days(county_code: str, on: dt.date) -> int:
    """办理答复时限 in working days: the dated setting ``complaints.reply_days``."""
    try:
        return int(parameter_store().lookup("complaints.reply_days", county_code, on).value)
    except RulesInputError as exc:
        raise InvalidInput("parameter_missing", f"{exc.message}（投诉举报办理时限）") from None


def _next_number(county_code: str, year: int) -> str:
    """受理编号 TS370405-2026-000123: one sequence per county and year, under a row lock."""
    TrackingCounter.objects.get_or_create(county_code=county_code, year=year)
    counter = TrackingCounter.objects.select_for_update().get(county_code=county_code, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"TS{county_code}-{year}-{counter.last:06d}"


def _note(complaint: Complaint, kind: str, text: str, by: User) -> None:
    name = str(getattr(by, "display_name", "") or getattr(by, "username", "") or "系统")
    ComplaintNote.objects.create(complaint=complaint, kind=kind, text=text, by_name=name)


@dataclass(frozen=True)
class Submitted:
    complaint: Complaint
    query_code: str  # 查询码: shown once, for a reporter who left no phone


def submit(data: dict[str, Any], *, by: User, channel: str = "public") -> Submitted:
    """受理投诉举报: from the public form (``by`` is the system acting for the public) or logged
    by staff from a phone call (``channel="phone"``, the staff member's county only)."""
    if channel == "phone":
        require(by, "registry.edit")
    category = str(data.get("category") or "")
    if category not in dict(CATEGORIES):
        raise InvalidInput("invalid_choice", "请选择类别（投诉、举报或咨询建议）", field="category")
    area_code = str(data.get("area_code") or "").strip()
    area = Area.objects.filter(code=area_code).first() if area_code.isdigit() and len(area_code) == 12 else None
    if area is None or area.level not in ("town", "village"):
        raise InvalidInput("invalid_area", "请选择涉及的乡镇（街道）或村（社区）", field="area_code")
    if channel == "phone":
        require_in_scope(by=by, area_code=area.code, what="乡镇（街道）", field="area_code")
    subject = _text(data, "subject", "事项", 100)
    text = _text(data, "text", "具体内容", MAX_TEXT)
    recipient_name = _text(data, "recipient_name", "被举报救助对象姓名", 32, required=False)
    recipient_village = _text(data, "recipient_village", "被举报救助对象所在村", 64, required=False)
    anonymous = bool(data.get("anonymous"))
    name = "" if anonymous else _text(data, "reporter_name", "姓名", 32, required=False)
    phone = re.sub(r"\s", "", str(data.get("reporter_phone") or ""))
    if phone and not PHONE.match(phone):
        raise InvalidInput(
            "invalid_phone", "联系电话格式不正确（11位手机号或带区号的固定电话）", field="reporter_phone"
        )
    if not anonymous and not phone:
        raise InvalidInput("required", "请填写联系电话，或选择匿名", field="reporter_phone")
    today = timezone.localdate()
    county = area.code[:6]
    due_on = current_calendar().add_working_days(today, reply_days(county, today))
    query_code = "".join(secrets.choice("0123456789") for _ in range(QUERY_CODE_DIGITS))
    sealed_phone = seal("phone", phone) if phone else None
    with transaction.atomic():
        complaint = Complaint.objects.create(
            tracking_number=_next_number(county, today.year),
            county_code=county,
            area_code=area.code,
            town_code=area.code[:9] + "000",
            category=category,
            channel=channel,
            subject=subject,
            recipient_name=recipient_name,
            recipient_village=recipient_village,
            text=text,
            anonymous=anonymous,
            reporter_name_enc=cipher().encrypt(REPORTER_NAME, name) if name else None,
            reporter_name_masked=mask_name(name),
            reporter_phone_enc=sealed_phone.encrypted if sealed_phone else None,
            reporter_phone_masked=sealed_phone.masked if sealed_phone else "",
            reporter_phone_index=sealed_phone.index if sealed_phone else "",
            query_code_enc=cipher().encrypt(QUERY_CODE, query_code),
            query_code_index=blind_index(QUERY_CODE, query_code),
            due_on=due_on,
            created_by=user_or_none(by),
        )
        _note(complaint, "received", f"受理（{complaint.get_channel_display()}），{due_on:%Y年%-m月%-d日}前答复", by)
        record(
            by,
            "complaints.submit",
            complaint,
            changes={"tracking_number": complaint.tracking_number, "category": category, "channel": channel},
        )
    return Submitted(complaint, query_code)


def _locked(complaint: Complaint, step: str, *, by: User) -> Complaint:
    spec = STEPS[step]
    if not any(by.has_perm_code(code) for code in spec.permissions) and not by.is_superuser:
        require(by, spec.permissions[0])
    if not Complaint.objects.visible_to(by).filter(pk=complaint.pk).exists():
        raise NotFound("not_found", "投诉举报件不存在或不在您的管辖范围内")
    locked: Complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status not in spec.from_states:
        raise DomainError("invalid_state", f"投诉举报件当前状态为“{locked.get_status_display()}”，不能{spec.label}")
    return locked


def assign(
    complaint: Complaint,
    *,
    by: User,
    town_code: str = "",
    department_id: int | None = None,
    handler_id: int | None = None,
    note: str = "",
) -> Complaint:
    """转办: to the responsible town (12-digit code) or a county department, optionally naming
    the handler (承办人), who then sees the reporter's identity."""
    note = _text({"note": note}, "note", "转办说明", 300, required=False)
    with transaction.atomic():
        c = _locked(complaint, "assign", by=by)
        department = None
        if department_id:
            department = Department.objects.filter(pk=department_id, area_id=c.county_code + "000000").first()
            if department is None:
                raise InvalidInput("invalid_department", "承办部门不存在或不属于本县", field="department_id")
        town = c.town_code
        if town_code:
            area = Area.objects.filter(code=town_code, level="town").first()
            if area is None or area.code[:6] != c.county_code:
                raise InvalidInput("invalid_town", "承办乡镇（街道）不存在或不属于本县", field="town_code")
            require_in_scope(by=by, area_code=area.code, what="乡镇（街道）", field="town_code")
            town = area.code
        handler = None
        if handler_id:
            handler = User.objects.filter(pk=handler_id, is_active=True).select_related("area").first()
            fits = handler is not None and (
                (department is not None and handler.department_id == department.pk)
                or (handler.area is not None and handler.area.contains(town))
            )
            if handler is None or not fits:
                raise InvalidInput("invalid_handler", "承办人须为承办乡镇或部门的工作人员", field="handler_id")
        c.town_code, c.department, c.handler = town, department, handler
        c.status, c.assigned_at = "assigned", timezone.now()
        c.save(update_fields=["town_code", "department", "handler", "status", "assigned_at"])
        where = department.name if department else (Area.objects.get(code=town).name)
        text = f"转办至{where}" + (f"，承办人{handler.display_name}" if handler else "") + (f"：{note}" if note else "")
        _note(c, "assign", text, by)
        record(
            by,
            "complaints.assign",
            c,
            area_code=c.area_code,
            changes={"town_code": town, "department": department.name if department else "", "handler": handler_id},
        )
    return c


def add_note(complaint: Complaint, *, by: User, text: str) -> Complaint:
    """办理记录: what was done (visit, call, check)."""
    text = _text({"text": text}, "text", "办理情况", MAX_TEXT)
    with transaction.atomic():
        c = _locked(complaint, "note", by=by)
        _note(c, "note", text, by)
        record(by, "complaints.note", c, area_code=c.area_code, changes={"text": text})
    return c


def reply(complaint: Complaint, *, by: User, text: str) -> Complaint:
    """答复投诉人: the answer the complainant reads on the progress page (and is told by phone)."""
    text = _text({"text": text}, "text", "答复内容", MAX_TEXT)
    with transaction.atomic():
        c = _locked(complaint, "reply", by=by)
        c.reply, c.replied_at, c.status = text, timezone.now(), "replied"
        c.save(update_fields=["reply", "replied_at", "status"])
        _note(c, "reply", f"答复：{text}", by)
        record(by, "complaints.reply", c, area_code=c.area_code, changes={"reply": text})
    return c


def close(complaint: Complaint, *, by: User, note: str = "") -> Complaint:
    """办结: after the reply."""
    note = _text({"note": note}, "note", "办结说明", 300, required=False)
    with transaction.atomic():
        c = _locked(complaint, "close", by=by)
        c.status, c.closed_at, c.closing_note = "closed", timezone.now(), note
        c.save(update_fields=["status", "closed_at", "closing_note"])
        _note(c, "close", "办结" + (f"：{note}" if note else ""), by)
        record(by, "complaints.close", c, area_code=c.area_code, changes={"note": note})
    return c


def open_review(complaint: Complaint, *, by: User, application_number: str) -> Complaint:
    """举报救助对象: staff confirmed the reported person is the applicant of this case; a review
    (变更报告) is opened on it through monitoring's ``report_change``."""
    with transaction.atomic():
        c = _locked(complaint, "open_review", by=by)
        if c.category != "report":
            raise DomainError("not_a_report", "只有举报件可以启动对救助对象的复核")
        if c.review_id is not None:
            raise DomainError("review_exists", "已就本举报启动复核")
        number = (application_number or "").strip()
        if not number:
            raise InvalidInput("required", "请填写核实的救助案件申请编号", field="application_number")
        app = Application.objects.filter(number=number, county_code=c.county_code).first()
        if app is None:
            raise InvalidInput("invalid_application", "申请编号不存在或不属于本县", field="application_number")
        require_in_scope(by=by, area_code=app.area_code, what="救助案件", field="application_number")
        if app.state != "approved":
            raise InvalidInput(
                "not_in_payment", "该申请编号的案件不是在保救助对象，不能启动复核", field="application_number"
            )
        review = report_change(app, by=by, reason=f"群众举报（{c.tracking_number}）：{c.subject}")
        c.application, c.review_id = app, review.pk
        c.save(update_fields=["application", "review_id"])
        _note(c, "review", f"核实为救助案件{app.number}，已启动复核", by)
        record(by, "complaints.open_review", c, area_code=c.area_code, changes={"application": app.number})
    return c


def may_see_identity(complaint: Complaint, user: Any) -> bool:
    """The reporter's identity: the handler, and county-level civil-affairs staff of the
    county (not department users); everyone else sees it masked."""
    if getattr(user, "is_superuser", False):
        return True
    if complaint.handler_id is not None and complaint.handler_id == getattr(user, "pk", None):
        return True
    area = getattr(user, "area", None)
    if area is None or area.level != "county" or area.code[:6] != complaint.county_code:
        return False
    department = getattr(user, "department", None)
    civil_affairs = department is None or department.code == CIVIL_AFFAIRS
    return civil_affairs and bool(user.has_perm_code("registry.view"))


def reveal_identity(complaint: Complaint, *, by: User) -> dict[str, str]:
    """查看投诉人身份: the full name and phone, to the handler or the county; audited."""
    if not Complaint.objects.visible_to(by).filter(pk=complaint.pk).exists():
        raise NotFound("not_found", "投诉举报件不存在或不在您的管辖范围内")
    if not may_see_identity(complaint, by):
        raise Forbidden("identity_hidden", "投诉举报人身份仅承办人和县级民政部门可以查看")
    with transaction.atomic():
        record(by, "complaints.identity.reveal", complaint, area_code=complaint.area_code)
    return {
        "reporter_name": unseal(REPORTER_NAME, complaint.reporter_name_enc),
        "reporter_phone": unseal("phone", complaint.reporter_phone_enc),
    }


def lookup(tracking_number: str, secret: str) -> Complaint | None:
    """办理进度查询: by tracking number and the phone given (or the 查询码); ``None`` for an
    unknown number and for a wrong phone alike."""
    number = tracking_number.strip().upper()
    secret = re.sub(r"\s", "", secret)
    if not number or not secret:
        return None
    complaint = Complaint.objects.filter(tracking_number=number).first()
    phone_index = blind_index("phone", secret)
    code_index = blind_index(QUERY_CODE, secret)
    if complaint is None:
        return None
    if complaint.reporter_phone_index and secrets.compare_digest(complaint.reporter_phone_index, phone_index):
        return complaint
    if secrets.compare_digest(complaint.query_code_index, code_index):
        return complaint
    return None
