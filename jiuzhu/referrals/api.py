"""一体联动 API: referrals for departments' own systems, 两清单, checks, the county board."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from jiuzhu.accounts.auth import actor
from jiuzhu.registry.models import Household

from . import actions, board, checks, lists, records
from .models import AssistanceRecord, Referral

router = Router(tags=["一体联动"])
households = Router(tags=["一体联动"])


class ReferralOut(Schema):
    id: int
    number: str
    program: str
    program_name: str
    department: str | None
    department_name: str
    channel: str
    office: str
    replied_on: dt.date | None
    replier: str
    household_id: int
    application_id: int | None
    status: str
    status_label: str
    origin: str
    reason: str
    facts: dict[str, Any]
    due_on: dt.date
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    closed_at: dt.datetime | None
    info_request: str
    info_reply: str
    result_note: str
    granted_amount_fen: int | None
    granted_from: dt.date | None
    granted_to: dt.date | None
    overdue: bool


def referral_out(r: Referral) -> dict[str, Any]:
    return {
        "id": r.pk,
        "number": r.number,
        "program": r.program.code,
        "program_name": r.program.name,
        "department": r.department.code if r.department is not None else None,
        "department_name": r.department.name if r.department is not None else r.office,
        "channel": r.channel,
        "office": r.office,
        "replied_on": r.replied_on,
        "replier": r.replier,
        "household_id": r.household_id,
        "application_id": r.application_id,
        "status": r.status,
        "status_label": r.get_status_display(),
        "origin": r.origin,
        "reason": r.reason,
        "facts": r.facts,
        "due_on": r.due_on,
        "created_at": r.created_at,
        "accepted_at": r.accepted_at,
        "closed_at": r.closed_at,
        "info_request": r.info_request,
        "info_reply": r.info_reply,
        "result_note": r.result_note,
        "granted_amount_fen": r.granted_amount_fen,
        "granted_from": r.granted_from,
        "granted_to": r.granted_to,
        "overdue": not r.is_closed and r.due_on < timezone.localdate(),
    }


class ReferralIn(Schema):
    household_id: int
    program: str
    reason: str = ""
    application_id: int | None = None
    channel: str = "online"  # online 系统派单 / paper 线下转办


class RecipientIn(Schema):
    person_id: int
    amount_fen: int = 0


class ReferralActionIn(Schema):
    question: str = ""
    answer: str = ""
    reason: str = ""
    note: str = ""
    granted: bool | None = None
    amount_fen: int | None = None
    granted_from: dt.date | None = None
    granted_to: dt.date | None = None
    person_ids: list[int] | None = None
    recipients: list[RecipientIn] | None = None
    period: str = "once"
    person_id: int | None = None
    outcome: str = ""  # record_reply: granted / denied / returned
    replied_on: dt.date | None = None
    replier: str = ""


@router.get("", response=list[ReferralOut], summary="派单列表（部门只见本部门派单）")
def list_(
    request: HttpRequest, status: str = "", department: str = "", overdue: bool = False, limit: int = 200
) -> list[dict[str, Any]]:
    qs = Referral.objects.visible_to(actor(request)).select_related("program", "department")
    if status == "open":
        qs = qs.open()
    elif status:
        qs = qs.filter(status=status)
    if department:
        qs = qs.filter(department__code=department)
    if overdue:
        qs = qs.open().filter(due_on__lt=timezone.localdate())
    return [referral_out(r) for r in qs.order_by("due_on", "id")[: max(1, min(limit, 1000))]]


@router.post("", response={201: ReferralOut}, summary="人工派单（含转介慈善、社会工作机构）")
def create(request: HttpRequest, body: ReferralIn) -> Status[dict[str, Any]]:
    user = actor(request)
    household = get_object_or_404(Household.objects.visible_to(user), pk=body.household_id)
    application = None
    if body.application_id:
        application = get_object_or_404(household.applications.all(), pk=body.application_id)
    referral = actions.refer(
        household, body.program, by=user, reason=body.reason, application=application, channel=body.channel
    )
    return Status(201, referral_out(referral))


@router.get("/board", summary="派单督办看板：各部门超期、办理时长")
def board_api(request: HttpRequest) -> dict[str, Any]:
    return board.summary(actor(request))


@router.get("/checks", summary="重复救助、多头救助与遗漏救助检查")
def checks_api(request: HttpRequest) -> dict[str, Any]:
    user = actor(request)
    flags = checks.duplicates(AssistanceRecord.objects.visible_to(user))
    flags += checks.gaps(Household.objects.visible_to(user))
    return {
        "flags": [
            {"kind": f.kind, "message": f.message, "household_id": f.household_id, "records": list(f.records)}
            for f in flags
        ]
    }


@router.post("/records/import", summary="部门导入救助对象（社会救助对象基础信息库）")
def import_records(request: HttpRequest, file: File[UploadedFile]) -> dict[str, int]:
    return {"created": records.import_records(file.name or "", file.read(), by=actor(request))}


@router.get("/{referral_id}", response=ReferralOut, summary="派单详情")
def detail(request: HttpRequest, referral_id: int) -> dict[str, Any]:
    return referral_out(get_object_or_404(Referral.objects.visible_to(actor(request)), pk=referral_id))


@router.get("/{referral_id}/transfer.pdf", summary="打印线下转办单（含回执）", response={200: None})
def transfer(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = actor(request)
    ref = get_object_or_404(Referral.objects.visible_to(user), pk=referral_id)
    response = HttpResponse(actions.print_transfer(ref, by=user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="transfer-{ref.number}.pdf"'
    return response


@router.post(
    "/{referral_id}/actions/{name}",
    summary="办理派单：accept、request_info、reply_info、decide、return、cancel、reveal；"
    "线下转办：record_reply 登记对方回复",
)
def act(request: HttpRequest, referral_id: int, name: str, body: ReferralActionIn) -> dict[str, Any]:
    user = actor(request)
    ref = get_object_or_404(Referral.objects.visible_to(user), pk=referral_id)
    if name == "reveal":
        return {"person_id": body.person_id, "id_number": actions.reveal(ref, body.person_id or 0, by=user)}
    handlers = {
        "accept": lambda: actions.accept(ref, by=user),
        "request_info": lambda: actions.request_info(ref, by=user, question=body.question),
        "reply_info": lambda: actions.reply_info(ref, by=user, answer=body.answer),
        "decide": lambda: actions.decide(
            ref,
            by=user,
            granted=bool(body.granted),
            note=body.note,
            amount_fen=body.amount_fen,
            granted_from=body.granted_from,
            granted_to=body.granted_to,
            person_ids=body.person_ids,
            period=body.period,
            recipients=[r.dict() for r in body.recipients] if body.recipients is not None else None,
        ),
        "return": lambda: actions.return_(ref, by=user, reason=body.reason),
        "record_reply": lambda: actions.record_reply(
            ref,
            by=user,
            outcome=body.outcome,
            note=body.note,
            replied_on=body.replied_on,
            replier=body.replier,
            amount_fen=body.amount_fen,
            granted_from=body.granted_from,
            granted_to=body.granted_to,
            person_ids=body.person_ids,
            recipients=[r.dict() for r in body.recipients] if body.recipients is not None else None,
            period=body.period,
        ),
        "cancel": lambda: actions.cancel(ref, by=user, reason=body.reason),
    }
    if name not in handlers:
        raise Http404
    return referral_out(handlers[name]())


@households.get("/{household_id}/referral-options", summary="可派单项目：系统派单（online）或线下转办（paper）及原因")
def referral_options(request: HttpRequest, household_id: int) -> list[dict[str, Any]]:
    household = get_object_or_404(Household.objects.visible_to(actor(request)), pk=household_id)
    return [
        {
            "program": o.program.code,
            "program_name": o.program.name,
            "channel": o.channel,
            "office": o.office,
            "department": o.department.code if o.department else None,
            "note": o.note,
        }
        for o in actions.referral_options(household)
    ]


@households.get("/{household_id}/care-list", summary="救助政策关爱清单")
def care(request: HttpRequest, household_id: int) -> list[dict[str, Any]]:
    return lists.care_list(get_object_or_404(Household.objects.visible_to(actor(request)), pk=household_id))


@households.get("/{household_id}/service-list", summary="困难家庭救助服务清单")
def service(request: HttpRequest, household_id: int) -> dict[str, Any]:
    data = lists.service_list(get_object_or_404(Household.objects.visible_to(actor(request)), pk=household_id))
    return {
        "records": [
            {
                "name": r.name,
                "program": r.program_name,
                "department": r.department_code,
                "start_on": r.start_on,
                "end_on": r.end_on,
                "amount_fen": r.amount_fen,
                "period": r.period,
                "unit": r.unit,
                "source": r.source,
            }
            for r in data["records"]
        ],
        "grants": [
            {
                "who": g["who"],
                "people": g["people"],
                "program": g["program"],
                "department": g["department"],
                "unit": g["unit"],
                "start_on": g["start_on"],
                "end_on": g["end_on"],
                "amount_fen": g["amount_fen"],
                "period": g["period"],
                "source": g["source"],
            }
            for g in data["grants"]
        ],
        "totals": data["totals"],
        "referrals": [referral_out(r) for r in data["referrals"]],
    }


class VisitIn(Schema):
    kind: str
    visited_on: dt.date
    organization: str = ""
    visitors: str = ""
    content: str = ""
    amount_fen: int = 0


@households.get("/{household_id}/visits", summary="走访慰问与结对帮扶记录")
def visits(request: HttpRequest, household_id: int) -> list[dict[str, Any]]:
    household = get_object_or_404(Household.objects.visible_to(actor(request)), pk=household_id)
    return [
        {
            "id": v.pk,
            "kind": v.kind,
            "visited_on": v.visited_on,
            "organization": v.organization,
            "visitors": v.visitors,
            "content": v.content,
            "amount_fen": v.amount_fen,
        }
        for v in household.visits.all()
    ]


@households.post("/{household_id}/visits", response={201: dict}, summary="登记走访（返回近30天的其他走访，避免重复）")
def add_visit(request: HttpRequest, household_id: int, body: VisitIn) -> Status[dict[str, Any]]:
    household = get_object_or_404(Household.objects.visible_to(actor(request)), pk=household_id)
    visit, recent = actions.record_visit(household, by=actor(request), **body.dict())
    return Status(
        201,
        {
            "id": visit.pk,
            "recent_visits": [
                {"visited_on": v.visited_on, "organization": v.organization, "kind": v.kind} for v in recent
            ],
        },
    )
