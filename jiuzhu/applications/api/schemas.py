"""What the applications API answers: a case (``ApplicationOut``, built by
``application_out``), its deadlines, notices, 一事一议 and the settings it was handled under."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from jiuzhu.holidays.calendar import is_provisional

from .. import workflow
from ..config import config_for_case, settings_used
from ..models import Application, SpecialDeliberation


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
    approved_amount_fen: int | None
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
        "approved_amount_fen": app.approved_amount_fen,
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
