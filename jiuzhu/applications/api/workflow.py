"""办理流程 (issue 16 item 2): the county's workflow table and its changes (two-person rule)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from jiuzhu.accounts.auth import actor
from jiuzhu.core.errors import NotFound

from .. import workflow
from ..actions.workflow_changes import (
    confirm_workflow_change,
    county_of,
    propose_workflow_change,
    reject_workflow_change,
)
from ..config import config_for
from ..models import WorkflowChange
from ..workflow_dryrun import dry_run

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
    on = date or timezone.localdate()
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
