"""Intake (一门受理、一证申请) and the case: list, detail, actions, notice jobs, supplements,
一事一议 and the dossier. Registered in the order they were published."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Schema, Status

from jiuzhu.accounts.auth import actor
from jiuzhu.accounts.models import User
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.holidays.calendar import is_provisional
from jiuzhu.registry.models import Household
from jiuzhu.registry.queries import lookup_person

from .. import actions, dossier
from ..dispatch import run_action
from ..models import Application, SpecialDeliberation
from ..queries import due_soon_days, filter_applications
from ._common import EntrustmentApiIn, SignatureApiIn, _decode, _entrustment, _signature, router
from .schemas import ApplicationOut, IntakeOut, ListOut, SpecialDeliberationOut, _special_out, application_out


class MaterialApiIn(Schema):
    name: str = Field(description="材料名称，与一次性告知书所列一致")
    content_base64: str = Field(description="扫描件（JPG/PNG/PDF），base64")


class SupplementIn(Schema):
    authorizations: list[SignatureApiIn] = Field([], description="补签的家庭经济状况核对授权书（每名成年成员）")
    commitment: SignatureApiIn | None = Field(None, description="补签的诚信承诺书（申请人）")
    materials: list[MaterialApiIn] = Field([], description="补正材料")


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
    entrustment: EntrustmentApiIn | None = Field(None, description="申请委托（帮办代办时必填）")


class SpecialDeliberationSignatureIn(Schema):
    image_base64: str = Field(description="与会人员签字：签名板PNG或签字页扫描件（JPG/PNG/PDF），base64")
    method: str = Field("scan", description="pad（签名板）或 scan（扫描件）")


class SpecialDeliberationIn(Schema):
    held_on: dt.date = Field(description="会议日期（不晚于今天）")
    participants: list[str] = Field(description="参加人员姓名，至少3人（县级可配置）")
    hardship: str = Field(description="重大生活困难情形，即提高救助标准的理由")
    minutes: str = Field(description="会议纪要：集体研究的意见和议定事项")
    decided_amount_fen: int = Field(description="决定的救助金额（分），须高于常规标准上限且不超过一事一议上限")
    signature: SpecialDeliberationSignatureIn | None = None


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
        entrustment=_entrustment(body.entrustment),
    )
    intake = actions.intake(req, by=user)
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
        due_within_days=due_soon_days(user) if due_soon else None,
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
            "due_provisional": is_provisional(a.due_on),
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


class ApplicationActionIn(Schema):
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
def act(request: HttpRequest, application_id: int, name: str, body: ApplicationActionIn) -> dict[str, Any]:
    user = actor(request)
    app = get_object_or_404(Application.objects.visible_to(user), pk=application_id)
    return application_out(run_action(user, app, name, body.dict()), user)


class NoticeJobOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    error: str
    attempts: int
    notice_id: int | None


@router.get("/notice-jobs/{job_id}", response=NoticeJobOut, summary="文书生成任务状态")
def notice_job(request: HttpRequest, job_id: int) -> Any:
    from .. import notices
    from ..models import NoticeJob

    job = get_object_or_404(NoticeJob.objects.visible_to(actor(request)), pk=job_id)
    notices.recover_notice_jobs(NoticeJob.objects.filter(pk=job.pk))
    job.refresh_from_db()
    return job


@router.post("/notice-jobs/{job_id}/retry", response=NoticeJobOut, summary="重试生成失败的文书（沿用原文书编号）")
def retry_notice_job(request: HttpRequest, job_id: int) -> Any:
    from .. import notices
    from ..models import NoticeJob

    user = actor(request)
    job = get_object_or_404(NoticeJob.objects.visible_to(user), pk=job_id)
    notices.retry_notice_job(job, by=user)
    job.refresh_from_db()
    return job


@router.post("/{application_id}/supplement", response=ApplicationOut, summary="补充授权/补正材料（一次性告知书所列）")
def supplement(request: HttpRequest, application_id: int, body: SupplementIn) -> dict[str, Any]:
    user = actor(request)
    app = get_object_or_404(Application.objects.visible_to(user), pk=application_id)
    updated = actions.supplement(
        app,
        by=user,
        authorizations=[_signature(s, f"authorizations[{i}]") for i, s in enumerate(body.authorizations)],  # type: ignore[misc]
        commitment=_signature(body.commitment, "commitment"),
        materials=[
            actions.MaterialIn(m.name, _decode(m.content_base64, f"materials[{i}]"))
            for i, m in enumerate(body.materials)
        ],
    )
    return application_out(updated, user)


@router.post(
    "/{application_id}/special-deliberation",
    response={201: SpecialDeliberationOut},
    summary="录入一事一议（县级民政部门集体研究提高临时救助金额）",
)
def special_deliberation_create(
    request: HttpRequest, application_id: int, body: SpecialDeliberationIn
) -> Status[dict[str, Any]]:
    user = actor(request)
    app = get_object_or_404(Application.objects.visible_to(user), pk=application_id)
    signature = (
        actions.SignatureIn(0, _decode(body.signature.image_base64, "signature"), body.signature.method)
        if body.signature is not None
        else None
    )
    item = actions.record_special_deliberation(
        app,
        by=user,
        held_on=body.held_on,
        participants=body.participants,
        hardship=body.hardship,
        minutes=body.minutes,
        decided_amount_fen=body.decided_amount_fen,
        signature=signature,
    )
    return Status(201, _special_out(item) or {})


@router.get(
    "/{application_id}/special-deliberation",
    response=SpecialDeliberationOut,
    summary="查看一事一议记录",
)
def special_deliberation_detail(request: HttpRequest, application_id: int) -> dict[str, Any] | None:
    app = get_object_or_404(Application.objects.visible_to(actor(request)), pk=application_id)
    item = SpecialDeliberation.objects.filter(application=app).first()
    if item is None:
        raise NotFound("not_found", "本案尚未召开一事一议")
    return _special_out(item)


@router.get(
    "/{application_id}/dossier", summary="导出案卷（ZIP：目录与审批表PDF、文书、签名、照片）", response={200: None}
)
def export(request: HttpRequest, application_id: int) -> HttpResponse:
    app = get_object_or_404(Application.objects.visible_to(actor(request)), pk=application_id)
    return dossier.response(actor(request), app)
