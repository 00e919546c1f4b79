"""The API of 政策找人 (issue 17; fixed names): ``GET /api/v1/warnings``, ``GET /api/v1/tasks``,
``POST /api/v1/tasks/{id}/actions/{name}`` (record_visit, close, escalate) and
``GET/POST /api/v1/monitoring/rules`` (+ ``PUT /api/v1/monitoring/rules/{id}``)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import InvalidInput, NotFound

from . import campaigns
from .actions import grid
from .conditions import condition_label
from .models import TASK_STATUS, WARNING_LEVELS, WARNING_STATUS, GridTask, MonitoringRule, Warning

warnings_router = Router(tags=["政策找人"])
tasks_router = Router(tags=["政策找人"])
rules_router = Router(tags=["政策找人"])
PER_PAGE = 50
TASK_ACTIONS = ("record_visit", "close", "escalate")


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def _area(qs: Any, area_code: str) -> Any:
    if not area_code:
        return qs
    if not area_code.isdigit() or len(area_code) > 12:
        raise InvalidInput("invalid_area_code", "区划代码须为不超过12位的数字", field="area_code")
    if len(area_code) == 12:  # a 12-digit code names its area: cut it to its level's length
        area_code = next((area_code[:n] for n in (2, 4, 6, 9) if not area_code[n:].strip("0")), area_code)
    return qs.filter(area_code__startswith=area_code)


def _page(qs: Any, page: int, out: Any) -> dict[str, Any]:
    page = max(page, 1)
    return {"count": qs.count(), "page": page, "items": [out(x) for x in qs[(page - 1) * PER_PAGE : page * PER_PAGE]]}


def warning_out(w: Warning) -> dict[str, Any]:
    task = getattr(w, "task", None)
    return {
        "id": w.pk,
        "rule": w.rule.code,
        "rule_name": w.rule.name,
        "level": w.level,
        "program": w.program,
        "reason": w.reason,
        "person_id": w.person_id,
        "person_name": w.person.name,
        "household_id": w.household_id,
        "area_code": w.area_code,
        "facts": w.facts,
        "status": w.status,
        "period": w.period,
        "created_at": w.created_at,
        "task_id": task.pk if task else None,
    }


def task_out(t: GridTask) -> dict[str, Any]:
    return {
        "id": t.pk,
        "warning_id": t.warning_id,
        "warning_status": t.warning.status,
        "level": t.warning.level,
        "reason": t.warning.reason,
        "person_id": t.person_id,
        "person_name": t.person.name,
        "household_id": t.household_id,
        "address": t.household.address,
        "area_code": t.area_code,
        "status": t.status,
        "due_on": t.due_on,
        "overdue": t.status != "closed" and t.due_on < timezone.localdate(),
        "escalated": t.escalated_at is not None,
        "visited_at": t.visited_at,
        "situation": t.situation,
        "needs": t.needs,
        "photo_document_id": t.photo_id,
        "outcome": t.outcome,
        "outcome_note": t.outcome_note,
        "referred_to": t.referred_to,
        "application_id": t.application_id,
        "closed_at": t.closed_at,
    }


def rule_out(r: MonitoringRule) -> dict[str, Any]:
    return {
        "id": r.pk,
        "county_code": r.county_code,
        "code": r.code,
        "name": r.name,
        "level": r.level,
        "reason": r.reason,
        "program": r.program,
        "condition": r.condition,
        "condition_label": condition_label(r.condition),
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
        "source_document": r.source_document,
        "enabled": r.enabled,
    }


@warnings_router.get("", summary="预警（政策找人）：area_code 区划，level 等级 red/orange/yellow，status 状态")
def list_warnings(
    request: HttpRequest, area_code: str = "", level: str = "", status: str = "", rule: str = "", page: int = 1
) -> dict[str, Any]:
    qs = Warning.objects.visible_to(_user(request)).select_related("rule", "person", "task")
    if level and level not in dict(WARNING_LEVELS):
        raise InvalidInput(
            "invalid_choice", "预警等级只能是 red（红色）、orange（橙色）、yellow（黄色）", field="level"
        )
    if status and status not in dict(WARNING_STATUS):
        raise InvalidInput("invalid_choice", "预警状态只能是 open、tasked、closed", field="status")
    qs = _area(qs, area_code)
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    if rule:
        qs = qs.filter(rule__code=rule)
    return _page(qs.order_by("-created_at", "-id"), page, warning_out)


@tasks_router.get("", summary="核查任务：area_code 区划，status 状态 open/visited/closed/overdue/escalated")
def list_tasks(request: HttpRequest, area_code: str = "", status: str = "", page: int = 1) -> dict[str, Any]:
    qs = GridTask.objects.visible_to(_user(request)).select_related("warning", "person", "household")
    qs = _area(qs, area_code)
    if status == "overdue":
        qs = qs.overdue()
    elif status == "escalated":
        qs = qs.unclosed().filter(escalated_at__isnull=False)
    elif status in dict(TASK_STATUS):
        qs = qs.filter(status=status)
    elif status:
        raise InvalidInput("invalid_choice", "任务状态只能是 open、visited、closed、overdue、escalated", field="status")
    return _page(qs.order_by("due_on", "id"), page, task_out)


@tasks_router.get("/{task_id}", summary="核查任务详情（含摸底排查发现）")
def get_task(request: HttpRequest, task_id: int) -> dict[str, Any]:
    qs = GridTask.objects.visible_to(_user(request)).select_related("warning", "person", "household")
    task = get_object_or_404(qs, pk=task_id)
    return {**task_out(task), "campaign_findings": campaigns.findings(task)}


class TaskActionIn(Schema):
    situation: str = ""
    needs: str = ""
    photo_base64: str = ""  # optional JPEG/PNG, base64 (a data URL is accepted)
    outcome: str = ""
    note: str = ""
    referred_to: str = ""
    temporary_kind: str = ""
    emergency_event: str = ""  # with temporary_kind "emergency": fire, traffic_accident, … other
    signature_base64: str = ""  # 申请委托书 signature or photo, for `applied` by a village worker
    entrust_reason: str = ""


def _decode(value: str, field: str) -> bytes | None:
    if not value:
        return None
    try:
        return base64.b64decode(value.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("invalid_base64", "文件内容须为 base64 编码", field=field) from None


@tasks_router.post(
    "/{task_id}/actions/{name}", summary="核查任务操作：record_visit 登记走访，close 办结，escalate 上报乡镇"
)
def task_action(request: HttpRequest, task_id: int, name: str, body: TaskActionIn) -> dict[str, Any]:
    by = _user(request)
    if name not in TASK_ACTIONS:
        raise NotFound("unknown_action", f"没有名为“{name}”的核查任务操作（可用：{'、'.join(TASK_ACTIONS)}）")
    task = get_object_or_404(GridTask.objects.visible_to(by), pk=task_id)
    if name == "record_visit":
        data = _decode(body.photo_base64, "photo_base64")
        photo = SimpleUploadedFile("走访照片.jpg", data, "image/jpeg") if data else None
        task = grid.record_visit(task, by=by, situation=body.situation, needs=body.needs, photo=photo)
    elif name == "close":
        task = grid.close_task(
            task,
            by=by,
            outcome=body.outcome,
            note=body.note,
            referred_to=body.referred_to,
            temporary_kind=body.temporary_kind,
            emergency_event=body.emergency_event,
            signature=_decode(body.signature_base64, "signature_base64"),
            entrust_reason=body.entrust_reason,
        )
    else:
        task = grid.escalate_task(task, by=by, note=body.note)
    task = GridTask.objects.select_related("warning", "person", "household").get(pk=task.pk)
    return task_out(task)


class RuleIn(Schema):
    code: str = ""
    name: str = ""
    level: str = ""
    reason: str = ""
    program: str = ""
    condition: dict[str, Any] = {}
    valid_from: str = ""
    valid_to: str = ""
    source_document: str = ""
    enabled: bool = True


@rules_router.get("/rules", summary="预警规则（本县）")
def list_rules(request: HttpRequest) -> dict[str, Any]:
    rules = MonitoringRule.objects.visible_to(_user(request))
    return {"count": rules.count(), "items": [rule_out(r) for r in rules]}


@rules_router.post("/rules", response={201: dict}, summary="新增预警规则")
def create_rule(request: HttpRequest, body: RuleIn) -> Status[dict[str, Any]]:
    return Status(201, rule_out(grid.save_rule(None, body.dict(), by=_user(request))))


@rules_router.put("/rules/{rule_id}", summary="修改预警规则")
def update_rule(request: HttpRequest, rule_id: int, body: RuleIn) -> dict[str, Any]:
    rule = get_object_or_404(MonitoringRule.objects.visible_to(_user(request)), pk=rule_id)
    return rule_out(grid.save_rule(rule, body.dict(), by=_user(request)))
