"""Applications API (救助申请): intake, the case, its actions, lists and the dossier."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from jiuzhu.accounts.auth import actor
from jiuzhu.accounts.models import User
from jiuzhu.core.errors import InvalidInput
from jiuzhu.registry.models import Household
from jiuzhu.registry.queries import lookup_person

from . import actions, dossier, workflow
from .config import config_for
from .dispatch import run_action
from .models import Application
from .queries import filter_applications

router = Router(tags=["救助申请"])


class SignatureApiIn(Schema):
    person_id: int
    image_base64: str
    method: str = "pad"


class IntakeIn(Schema):
    id_number: str = ""
    household_id: int | None = None
    applicant_id: int | None = None
    programs: list[str]
    channel: str = "window"
    temporary_kind: str = ""
    emergency_event: str = ""
    facts: dict[str, Any] | None = None
    documents_provided: list[str] = []
    authorizations: list[SignatureApiIn] = []
    commitment: SignatureApiIn | None = None
    staff_relative_of: str = ""
    staff_relative_note: str = ""
    remarks: str = ""


class DeadlineOut(Schema):
    step: str
    label: str
    started_on: dt.date
    due_on: dt.date
    met_on: dt.date | None


class NoticeOut(Schema):
    id: int
    kind: str
    number: str
    document_id: int
    issued_at: dt.datetime


class ApplicationOut(Schema):
    id: int
    number: str
    program: str
    temporary_kind: str
    channel: str
    state: str
    state_label: str
    household_id: int
    applicant_id: int
    area_code: str
    due_on: dt.date
    missing_documents: list[dict[str, str]]
    staff_relative: bool
    decision: str
    amount_fen: int | None
    proposed_amount_fen: int | None
    start_month: dt.date | None
    review_cycle_months: int | None
    publicity_end: dt.date | None
    rejection_reasons: list[dict[str, str]]
    advance_amount_fen: int | None
    screening: dict[str, Any]
    allowed_actions: list[str]
    deadlines: list[DeadlineOut]
    notices: list[NoticeOut]
    verification_requests: list[dict[str, Any]]


class IntakeOut(Schema):
    receipt_number: str
    applications: list[ApplicationOut]


class ListOut(Schema):
    count: int
    page: int
    items: list[dict[str, Any]]


def application_out(app: Application, user: Any) -> dict[str, Any]:
    config = config_for(app.county_code)
    return {
        "id": app.pk,
        "number": app.number,
        "program": app.program,
        "temporary_kind": app.temporary_kind,
        "channel": app.channel,
        "state": app.state,
        "state_label": app.get_state_display(),
        "household_id": app.household_id,
        "applicant_id": app.applicant_id,
        "area_code": app.area_code,
        "due_on": app.due_on,
        "missing_documents": app.missing_documents,
        "staff_relative": app.staff_relative_of_id is not None,
        "decision": app.decision,
        "amount_fen": app.amount_fen,
        "proposed_amount_fen": app.proposed_amount_fen,
        "start_month": app.start_month,
        "review_cycle_months": app.review_cycle_months,
        "publicity_end": app.publicity_end,
        "rejection_reasons": app.rejection_reasons,
        "advance_amount_fen": app.advance_amount_fen,
        "screening": {k: app.screening.get(k) for k in ("eligible", "monthly_amount_fen", "reasons")},
        "allowed_actions": sorted({t.name for t in workflow.allowed(app, config, user)}),
        "deadlines": list(app.deadlines.all()),
        "notices": [
            {"id": n.pk, "kind": n.kind, "number": n.number, "document_id": n.document_id, "issued_at": n.issued_at}
            for n in app.notices.all()
        ],
        "verification_requests": [
            {"id": r.pk, "status": r.status, "requested_at": r.requested_at.isoformat()}
            for r in app.verification_requests.all()
        ],
    }


def _signature(s: SignatureApiIn | None, path: str) -> actions.SignatureIn | None:
    if s is None:
        return None
    raw = s.image_base64.split(",", 1)[-1] if s.image_base64.startswith("data:") else s.image_base64
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("invalid_signature", "签名图片应为base64编码", field=path) from None
    return actions.SignatureIn(person_id=s.person_id, data=data, method=s.method)


@router.post("", response={201: IntakeOut}, summary="受理申请（一门受理、一证申请）")
def create(request: HttpRequest, body: IntakeIn) -> Status[dict[str, Any]]:
    user = actor(request)
    if body.household_id:
        household = get_object_or_404(Household.objects.visible_to(user), pk=body.household_id)
        applicant = (
            get_object_or_404(household.members.all(), pk=body.applicant_id)
            if body.applicant_id
            else household.members.filter(relation="self").first()
        )
    elif body.id_number:
        applicant = lookup_person(user, body.id_number)
        if applicant is None or applicant.household_id is None:
            raise InvalidInput(
                "person_not_registered", "辖区内未找到该身份证号码的家庭档案，请先登记家庭", field="id_number"
            )
        household = applicant.household
    else:
        raise InvalidInput(
            "required", "请提供申请人身份证号码（id_number）或家庭编号（household_id）", field="id_number"
        )
    if applicant is None:
        raise InvalidInput("required", "请指定申请人", field="applicant_id")
    staff = None
    if body.staff_relative_of:
        staff = User.objects.filter(username=body.staff_relative_of).first()
        if staff is None:
            raise InvalidInput("unknown_user", "近亲属备案所指工作人员不存在", field="staff_relative_of")
    req = actions.IntakeRequest(
        household=household,
        applicant=applicant,
        programs=body.programs,
        channel=body.channel,
        temporary_kind=body.temporary_kind,
        emergency_event=body.emergency_event,
        facts=body.facts,
        documents_provided=body.documents_provided,
        authorizations=[_signature(s, f"authorizations[{i}]") for i, s in enumerate(body.authorizations)],  # type: ignore[misc]
        commitment=_signature(body.commitment, "commitment"),
        staff_relative_of=staff,
        staff_relative_note=body.staff_relative_note,
        remarks=body.remarks,
    )
    intake = actions.intake(user, req)
    return Status(
        201,
        {
            "receipt_number": intake.receipt_number,
            "applications": [application_out(a, user) for a in intake.applications.all()],
        },
    )


@router.get("", response=ListOut, summary="救助申请列表（state、area、overdue 等筛选）")
def list_(
    request: HttpRequest,
    state: str = "",
    area: str = "",
    program: str = "",
    overdue: bool = False,
    due_soon: bool = False,
    staff_relative: bool = False,
    page: int = 1,
    page_size: int = 20,
) -> dict[str, Any]:
    user = actor(request)
    qs = filter_applications(
        Application.objects.visible_to(user),
        state=state,
        program=program,
        area=area,
        overdue=overdue,
        due_soon=due_soon,
        staff_relative=staff_relative,
    )
    page_size, page = max(1, min(page_size, 200)), max(page, 1)
    rows = qs.select_related("household").order_by("-id")[(page - 1) * page_size : page * page_size]
    items = [
        {
            "id": a.pk,
            "number": a.number,
            "program": a.program,
            "state": a.state,
            "due_on": a.due_on.isoformat(),
            "area_code": a.area_code,
            "head_name": a.household.head_name,
        }
        for a in rows
    ]
    return {"count": qs.count(), "page": page, "items": items}


@router.get("/{application_id}", response=ApplicationOut, summary="申请详情")
def detail(request: HttpRequest, application_id: int) -> dict[str, Any]:
    app = get_object_or_404(Application.objects.visible_to(actor(request)), pk=application_id)
    return application_out(app, actor(request))


class ActionIn(Schema):
    note: str = ""
    reason: str = ""
    items: list[str] = []
    reason_codes: list[str] = []
    amount_fen: int | None = None
    raised_by: str = ""
    contact: str = ""
    content: str = ""
    received_on: dt.date | None = None
    held_on: dt.date | None = None
    participants: str = ""
    minutes: str = ""
    votes_for: int = 0
    votes_against: int = 0
    votes_abstain: int = 0
    outcome: str = ""
    visited_on: dt.date | None = None
    investigators: str = ""
    housing: str = ""
    living_conditions: str = ""
    labour: str = ""
    health: str = ""
    remarks: str = ""
    facts: dict[str, Any] | None = None


@router.post("/{application_id}/actions/{name}", response=ApplicationOut, summary="对申请执行操作")
def act(request: HttpRequest, application_id: int, name: str, body: ActionIn) -> dict[str, Any]:
    user = actor(request)
    app = get_object_or_404(Application.objects.visible_to(user), pk=application_id)
    return application_out(run_action(user, app, name, body.dict()), user)


@router.get(
    "/{application_id}/dossier", summary="导出案卷（ZIP：目录与审批表PDF、文书、签名、照片）", response={200: None}
)
def export(request: HttpRequest, application_id: int) -> HttpResponse:
    app = get_object_or_404(Application.objects.visible_to(actor(request)), pk=application_id)
    return dossier.response(actor(request), app)
