"""Applications API (救助申请): intake, the case, its actions, lists and the dossier."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from jiuzhu.accounts.auth import actor
from jiuzhu.accounts.models import User
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.holidays.calendar import is_provisional
from jiuzhu.registry.models import Household
from jiuzhu.registry.queries import lookup_person

from . import actions, dossier, workflow
from .actions.workflow_changes import (
    confirm_workflow_change,
    county_of,
    propose_workflow_change,
    reject_workflow_change,
)
from .config import config_for, config_for_case, settings_used
from .dispatch import run_action
from .models import Application, SpecialDeliberation, WorkflowChange
from .queries import filter_applications
from .workflow_dryrun import dry_run

router = Router(tags=["救助申请"])


class SignatureApiIn(Schema):
    person_id: int
    image_base64: str
    method: str = "pad"


class EntrustmentApiIn(Schema):
    principal_id: int = Field(description="委托人（家庭成员）")
    reason: str = Field(description="委托事由，如：年老体弱、行动不便")
    agent_name: str = Field("", description="受托人姓名（默认为当前账号）")
    signature: SignatureApiIn = Field(description="委托人签署的申请委托书：签名板PNG或扫描件，base64")


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


class DeadlineOut(Schema):
    step: str
    label: str
    started_on: dt.date
    due_on: dt.date
    met_on: dt.date | None
    due_provisional: bool = Field(False, description="截止日期按暂估节假日安排计算（该年度安排尚未录入）")
    hours: int | None = Field(None, description="时限按小时计（如急难先行救助24小时）时的小时数")
    due_at: dt.datetime | None = Field(None, description="按小时计的截止时间")
    met_at: dt.datetime | None = Field(None, description="完成时间")


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


class SpecialDeliberationOut(Schema):
    id: int
    application_id: int
    held_on: dt.date
    participants: list[str]
    hardship: str
    minutes: str
    decided_amount_fen: int
    ordinary_max_fen: int = Field(description="常规程序可批准的最高金额（分）")
    ceiling_fen: int = Field(description="一事一议可提高到的最高金额（分）")
    signature_document_id: int
    minutes_document_id: int | None
    convened_by: str
    recorded_at: dt.datetime


class NoticeOut(Schema):
    id: int
    kind: str
    number: str
    document_id: int
    issued_at: dt.datetime


class SettingUsedOut(Schema):
    key: str
    label: str
    value: Any
    display: str
    unit: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    area_code: str
    source: str


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
    due_provisional: bool = Field(description="办结时限按暂估节假日安排计算（该年度安排尚未录入，录入后自动重算）")
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
    special_deliberation: SpecialDeliberationOut | None = None
    settings_used: list[SettingUsedOut] = Field(
        description="办理依据：已作出决定的案件为决定时保存的设置，在办案件为受理之日有效的设置"
    )
    settings_kept: bool = Field(description="settings_used 是否为决定时保存的版本")


class IntakeOut(Schema):
    receipt_number: str
    applications: list[ApplicationOut]


class ListOut(Schema):
    count: int
    page: int
    items: list[dict[str, Any]]


def application_out(app: Application, user: Any) -> dict[str, Any]:
    config = config_for_case(app)
    used, kept = settings_used(app)
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
        "due_provisional": is_provisional(app.due_on),
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
        "special_deliberation": _special_out(SpecialDeliberation.objects.filter(application=app).first()),
        "settings_used": used,
        "settings_kept": kept,
    }


def _special_out(item: SpecialDeliberation | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "id": item.pk,
        "application_id": item.application_id,
        "held_on": item.held_on,
        "participants": item.participants,
        "hardship": item.hardship,
        "minutes": item.minutes,
        "decided_amount_fen": item.decided_amount_fen,
        "ordinary_max_fen": item.ordinary_max_fen,
        "ceiling_fen": item.ceiling_fen,
        "signature_document_id": item.signature_id,
        "minutes_document_id": item.minutes_document_id,
        "convened_by": item.convened_by.display_name if item.convened_by else "",
        "recorded_at": item.recorded_at,
    }


def _signature(s: SignatureApiIn | None, path: str) -> actions.SignatureIn | None:
    if s is None:
        return None
    return actions.SignatureIn(person_id=s.person_id, data=_decode(s.image_base64, path), method=s.method)


def _entrustment(e: EntrustmentApiIn | None) -> actions.EntrustmentIn | None:
    if e is None:
        return None
    data = _decode(e.signature.image_base64, "entrustment.signature")
    signature = actions.SignatureIn(e.principal_id, data, e.signature.method)
    return actions.EntrustmentIn(e.principal_id, e.reason, signature, e.agent_name)


def _decode(image_base64: str, path: str) -> bytes:
    raw = image_base64.split(",", 1)[-1] if image_base64.startswith("data:") else image_base64
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("invalid_signature", "签名图片应为base64编码", field=path) from None


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
    from . import notices
    from .models import NoticeJob

    job = get_object_or_404(NoticeJob.objects.visible_to(actor(request)), pk=job_id)
    notices.recover_notice_jobs(NoticeJob.objects.filter(pk=job.pk))
    job.refresh_from_db()
    return job


@router.post("/notice-jobs/{job_id}/retry", response=NoticeJobOut, summary="重试生成失败的文书（沿用原文书编号）")
def retry_notice_job(request: HttpRequest, job_id: int) -> Any:
    from . import notices
    from .models import NoticeJob

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


# ---------------------------------------------------------------------------------------------
# 办理流程 (issue 16 item 2): the county's workflow table and its changes (two-person rule).

workflow_router = Router(tags=["办理流程"])


class WorkflowRowOut(Schema):
    key: str = Field(description="行标识：操作:起始状态:流程模式")
    name: str
    label: str
    sources: list[str]
    sources_label: str
    target: str
    target_label: str
    who: list[str] = Field(description="可操作岗位（role@level）")
    who_label: str
    enabled: bool
    optional: bool = Field(description="本流程模式下可停用的环节")
    change_id: int | None = Field(None, description="设定该行岗位的已生效流程调整")


class WorkflowTableOut(Schema):
    county_code: str
    date: dt.date
    preset: str
    preset_label: str
    transitions: list[WorkflowRowOut]


class WorkflowChangeIn(Schema):
    area_code: str = Field(description="6位县级区划代码")
    transition: str = Field(description="操作代码，如 approve")
    sources: list[str] = Field(description="该行的起始状态（与流程表一致）")
    preset: str = Field(description="流程模式：devolved 或 national")
    who: list[str] = Field([], description="新的可操作岗位，如 approver@town")
    enabled: bool = Field(True, description="false：停用可选环节")
    valid_from: dt.date
    source: str = Field(description="文件依据（文号和标题）")
    reason: str


class WorkflowChangeOut(Schema):
    id: int
    county_code: str
    transition: str
    sources: list[str]
    preset: str
    who: list[str]
    enabled: bool
    valid_from: dt.date
    source: str
    reason: str
    status: str
    status_label: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str


class WorkflowDecisionIn(Schema):
    note: str = ""


class CaseSetOut(Schema):
    count: int
    numbers: list[str]


class LosingOut(CaseSetOut):
    roles: list[str] = Field(description="失去办理权限的岗位")


class StateImpactOut(Schema):
    state: str
    label: str
    before: list[str]
    after: list[str]
    changed: bool
    open_cases: int


class DryRunOut(Schema):
    change_id: int
    county_code: str
    preset: str
    date: dt.date
    open_cases: int
    states: list[StateImpactOut]
    stranded: CaseSetOut = Field(description="调整后无人能够继续办理的在办案件")
    losing: LosingOut = Field(description="现办理岗位失去办理权限的在办案件")


def workflow_change_out(c: WorkflowChange) -> dict[str, Any]:
    return {
        "id": c.pk,
        "county_code": c.county_code,
        "transition": c.transition,
        "sources": list(c.source_states),
        "preset": c.preset,
        "who": list(c.who),
        "enabled": c.enabled,
        "valid_from": c.valid_from,
        "source": c.source,
        "reason": c.reason,
        "status": c.status,
        "status_label": c.get_status_display(),
        "proposed_by": c.proposed_by.display_name,
        "proposed_at": c.proposed_at,
        "decided_by": c.decided_by.display_name if c.decided_by else None,
        "decided_at": c.decided_at,
        "decision_note": c.decision_note,
    }


def _visible_change(request: HttpRequest, change_id: int) -> WorkflowChange:
    qs = WorkflowChange.objects.visible_to(actor(request)).select_related("proposed_by", "decided_by")
    return get_object_or_404(qs, pk=change_id)


@workflow_router.get("", response=WorkflowTableOut, summary="某县某日生效的办理流程表（谁可以办理哪一步）")
def workflow_table(request: HttpRequest, area_code: str, date: dt.date | None = None) -> dict[str, Any]:
    county = county_of(area_code, by=actor(request), reading=True)
    on = date or dt.date.today()
    config = config_for(county, on)
    rows = workflow.listing(county, on, config.preset)
    return {
        "county_code": county,
        "date": on,
        "preset": config.preset,
        "preset_label": config.get_preset_display(),
        "transitions": [
            {
                "key": r.key,
                "name": r.row.name,
                "label": r.row.label,
                "sources": list(r.row.sources),
                "sources_label": r.sources_label,
                "target": r.row.target,
                "target_label": r.target_label,
                "who": list(r.who),
                "who_label": r.who_label,
                "enabled": r.enabled,
                "optional": r.optional,
                "change_id": r.change_id,
            }
            for r in rows
        ],
    }


@workflow_router.get("/changes", response=list[WorkflowChangeOut], summary="办理流程调整记录")
def workflow_changes(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    qs = WorkflowChange.objects.visible_to(actor(request)).select_related("proposed_by", "decided_by")
    return [workflow_change_out(c) for c in (qs.filter(status=status) if status else qs)[:500]]


@workflow_router.post(
    "/changes", response={201: WorkflowChangeOut}, summary="提出办理流程调整（须另一人试运行核对后确认生效）"
)
def workflow_propose(request: HttpRequest, body: WorkflowChangeIn) -> Status[dict[str, Any]]:
    change = propose_workflow_change(by=actor(request), **body.dict())
    return Status(201, workflow_change_out(change))


@workflow_router.get("/changes/{change_id}", response=WorkflowChangeOut, summary="办理流程调整详情")
def workflow_change_detail(request: HttpRequest, change_id: int) -> dict[str, Any]:
    return workflow_change_out(_visible_change(request, change_id))


@workflow_router.get("/changes/{change_id}/dry-run", response=DryRunOut, summary="试运行：调整对本县在办案件的影响")
def workflow_dry_run(request: HttpRequest, change_id: int) -> dict[str, Any]:
    return dry_run(_visible_change(request, change_id)).as_dict()


@workflow_router.post(
    "/changes/{change_id}/actions/{decision}",
    response=WorkflowChangeOut,
    summary="复核办理流程调整：confirm（确认生效）或 reject（退回）",
)
def workflow_decide(request: HttpRequest, change_id: int, decision: str, body: WorkflowDecisionIn) -> dict[str, Any]:
    change = _visible_change(request, change_id)
    if decision == "confirm":
        change = confirm_workflow_change(change, by=actor(request), note=body.note)
    elif decision == "reject":
        change = reject_workflow_change(change, by=actor(request), note=body.note)
    else:
        raise NotFound("not_found", f"没有“{decision}”操作，应为confirm或reject", field="decision")
    return workflow_change_out(change)
