"""政策找人 (issue 17 items 1 and 3): monitoring rules edited by county staff, and the grid
task (核查任务) of a warning — the visit, the closing outcome, escalation to the town.

Rules: ``save_rule`` (new or changed, audited with what changed). Tasks: ``record_visit``
(a short phone form), ``close_task`` with an outcome — ``applied`` opens a prefilled intake for
the household (channel 主动发现, INT-11) and links the new case, ``referred`` names the
department, ``not_eligible`` needs a reason, ``not_found``, ``already_helped`` — and
``escalate_task`` / ``escalate_overdue`` (overdue tasks go up to the town, DIS-10).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.applications.actions import EntrustmentIn, IntakeRequest, SignatureIn, intake
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.inputs import date_or_none as _date
from jiuzhu.core.inputs import field_text as _text
from jiuzhu.registry.actions import attach_document

from ..conditions import clean_condition, program_choices
from ..models import TASK_OUTCOMES, WARNING_LEVELS, GridTask, MonitoringRule

RULE_FIELDS = (
    "name",
    "level",
    "reason",
    "program",
    "condition",
    "valid_from",
    "valid_to",
    "source_document",
    "enabled",
)
OUTCOMES = dict(TASK_OUTCOMES)
MAX_TEXT = 1000


# Rules the platform keeps itself: their warnings come from a department's list or a 摸底排查 visit,
# never from evaluating a condition, so the editor shows them read-only with why.
SYSTEM_RULES = {
    "suspected": "该规则由系统为部门推送的疑似困难人员名单自动建立：名单到达后即按名单生成预警，"
    "不按条件评估，因此只能查看，不能修改。名单的评分权重等在“参数设置”中调整，"
    "推送频次和标准见“疑似困难人员名单”。",
    "campaign": "该规则由系统为摸底排查自动建立：入户走访发现困难时即生成预警，不按条件评估，因此只能查看，不能修改。",
}


def system_rule_note(rule: MonitoringRule) -> str:
    """Why a rule the platform keeps cannot be edited (empty for a county's own rule)."""
    return SYSTEM_RULES.get(str(rule.condition.get("status") or ""), "")


def _new_code(county: str) -> str:
    """An internal code for a rule made on the page (people see its name, never the code)."""
    taken = set(MonitoringRule.objects.filter(county_code=county).values_list("code", flat=True))
    n = len(taken) + 1
    while f"rule{n}" in taken:
        n += 1
    return f"rule{n}"


def save_rule(rule: MonitoringRule | None, data: dict[str, Any], *, by: User) -> MonitoringRule:
    """新增或修改预警规则 (DIS-1): county staff, their own county; every change audited."""
    require(by, "parameters.propose")
    county = str(data.get("county_code") or (rule.county_code if rule else "") or getattr(by.area, "code", "")[:6])
    require_in_scope(by=by, area_code=county, what="县（区）", field="county_code")
    if rule is not None and (explanation := system_rule_note(rule)):
        raise DomainError("system_rule", explanation)
    code = rule.code if rule else (str(data.get("code") or "").strip()[:32] or _new_code(county))
    if rule is None and not all(c.isalnum() or c in "_-." for c in code):
        raise InvalidInput("invalid_code", "规则代码只能包含字母、数字、下划线、连字符和点", field="code")
    values: dict[str, Any] = {
        "name": _text(data, "name", "规则名称", 64),
        "reason": _text(data, "reason", "预警事由", 200),
        "source_document": _text(data, "source_document", "依据文件", 200),
        "condition": clean_condition(data.get("condition")),
    }
    level = str(data.get("level") or "")
    if level not in dict(WARNING_LEVELS):
        raise InvalidInput("invalid_choice", "请选择预警等级（红色、橙色、黄色）", field="level")
    values["level"] = level
    program = str(data.get("program") or "")
    if program not in dict(program_choices()):
        raise InvalidInput("invalid_choice", "请选择规则指向的救助项目", field="program")
    values["program"] = program
    values["valid_from"] = _date(data.get("valid_from"), "valid_from", "生效日期", required=True)
    values["valid_to"] = _date(data.get("valid_to"), "valid_to", "失效日期", required=False)
    if values["valid_to"] is not None and values["valid_to"] < values["valid_from"]:
        raise InvalidInput("invalid_period", "失效日期不能早于生效日期", field="valid_to")
    values["enabled"] = bool(data.get("enabled", True))
    with transaction.atomic():
        if rule is None:
            if MonitoringRule.objects.filter(county_code=county, code=code).exists():
                raise InvalidInput("duplicate_code", f"本县已有代码为“{code}”的预警规则", field="code")
            rule = MonitoringRule.objects.create(county_code=county, code=code, created_by=user_or_none(by), **values)
            record(
                by, "monitoring.rule.create", rule, area_code=county.ljust(12, "0"), changes={"code": code, **values}
            )
            return rule
        rule = MonitoringRule.objects.select_for_update().get(pk=rule.pk)
        changed = {k: v for k, v in values.items() if getattr(rule, k) != v}
        for k, v in changed.items():
            setattr(rule, k, v)
        if changed:
            rule.save()
            record(by, "monitoring.rule.update", rule, area_code=county.ljust(12, "0"), changes=changed)
    return rule


def _locked(task: GridTask, *, by: User, perm: str = "registry.edit") -> GridTask:
    require(by, perm)
    require_in_scope(by=by, area_code=task.area_code, what="核查任务")
    locked: GridTask = GridTask.objects.select_for_update().select_related("warning__rule").get(pk=task.pk)
    return locked


def record_visit(
    task: GridTask, *, by: User, situation: str, needs: str = "", photo: UploadedFile | None = None
) -> GridTask:
    """走访登记: what the worker saw and what the family needs; a photo if one was taken."""
    data = {"situation": situation, "needs": needs}
    situation = _text(data, "situation", "走访情况", MAX_TEXT)
    needs = _text(data, "needs", "困难和需求", MAX_TEXT, required=False)
    with transaction.atomic():
        task = _locked(task, by=by)
        if task.status == "closed":
            raise DomainError("task_closed", "核查任务已办结，不能再登记走访")
        if photo is not None:
            task.photo = attach_document(
                task.household, photo, by=by, kind="photo", title="预警核查走访照片", person=task.person
            )
        task.situation, task.needs = situation, needs
        task.status = "visited"
        task.visited_at, task.visited_by = timezone.now(), user_or_none(by)
        task.save()
        record(by, "monitoring.task.record_visit", task, area_code=task.area_code, changes=data)
    return task


def close_task(
    task: GridTask,
    *,
    by: User,
    outcome: str,
    note: str = "",
    referred_to: str = "",
    temporary_kind: str = "",
    signature: bytes | None = None,
    entrust_reason: str = "",
    emergency_event: str = "",
) -> GridTask:
    """办结核查任务 with an outcome; ``applied`` opens the prefilled intake (INT-11)."""
    if outcome not in OUTCOMES:
        raise InvalidInput("invalid_choice", "请选择核查结果", field="outcome")
    data = {"note": note, "referred_to": referred_to}
    note = _text(data, "note", "结果说明", 300, required=outcome in ("not_eligible", "not_found"))
    referred_to = _text(data, "referred_to", "转介部门", 64, required=outcome == "referred")
    with transaction.atomic():
        task = _locked(task, by=by)
        if task.status == "closed":
            raise DomainError("task_closed", "核查任务已办结")
        if outcome in ("not_eligible", "already_helped", "applied") and task.visited_at is None:
            raise DomainError("visit_required", "请先登记入户走访情况，再办结核查任务")
        if outcome == "applied":
            task.application = _apply(
                task,
                by=by,
                temporary_kind=temporary_kind,
                signature=signature,
                entrust_reason=entrust_reason,
                emergency_event=emergency_event,
            )
        task.outcome, task.outcome_note, task.referred_to = outcome, note, referred_to
        task.status = "closed"
        task.closed_at, task.closed_by = timezone.now(), user_or_none(by)
        task.save()
        warning = task.warning
        warning.status, warning.closed_at = "closed", task.closed_at
        warning.save(update_fields=["status", "closed_at"])
        record(
            by,
            "monitoring.task.close",
            task,
            area_code=task.area_code,
            changes={"outcome": outcome, "note": note, "referred_to": referred_to, "application": task.application_id},
        )
    return task


def _apply(
    task: GridTask,
    *,
    by: User,
    temporary_kind: str,
    signature: bytes | None,
    entrust_reason: str,
    emergency_event: str = "",
) -> Any:
    """线上线下联动 (INT-11): the household's intake for the rule's program, prefilled from
    the registry and department data (default facts); a village worker applies as 帮办代办
    with the family's signed 申请委托书."""
    program = task.warning.program
    if program == "temporary" and not temporary_kind:
        condition = task.warning.rule.condition
        measure = condition.get("measure", "")
        temporary_kind = {"medical_expense_12m": "illness", "education_expense_12m": "education"}.get(measure, "")
        temporary_kind = temporary_kind or str(condition.get("temporary_kind", ""))  # a department's list
    entrustment = None
    if getattr(by, "role", "") == "village_assistant":
        if not signature:
            raise InvalidInput(
                "entrustment_required", "网格员代为申请须上传申请人签署的申请委托书（签名或照片）", field="signature"
            )
        entrustment = EntrustmentIn(
            principal_id=task.person_id,
            reason=(entrust_reason or "网格员入户核查发现困难，受委托代为申请").strip()[:200],
            signature=SignatureIn(person_id=task.person_id, data=signature, method="scan"),
        )
    person = task.person
    if person.household_id != task.household_id or person.death_date is not None:
        raise DomainError("applicant_gone", "预警人员已不在该户或已死亡，请在窗口选择申请人后受理")
    created = intake(
        IntakeRequest(
            household=task.household,
            applicant=person,
            programs=[program],
            channel="discovery",
            temporary_kind=temporary_kind,
            emergency_event=emergency_event if temporary_kind == "emergency" else "",
            entrustment=entrustment,
            remarks=f"主动发现：{task.warning.reason}"[:200],
        ),
        by=by,
    )
    return created.applications.get(program=program)


def escalate_task(task: GridTask, *, by: User, note: str = "") -> GridTask:
    """上报乡镇: the village cannot settle it (or it is overdue); the town takes it up."""
    with transaction.atomic():
        task = _locked(task, by=by)
        if task.status == "closed":
            raise DomainError("task_closed", "核查任务已办结，不能上报")
        if task.escalated_at is not None:
            raise DomainError("already_escalated", "核查任务已上报乡镇")
        task.escalated_at = timezone.now()
        task.save(update_fields=["escalated_at"])
        record(by, "monitoring.task.escalate", task, area_code=task.area_code, changes={"note": note[:200]})
    return task


def escalate_overdue(*, by: User, today: dt.date | None = None, county_code: str = "") -> int:
    """Every overdue, unclosed task not yet escalated goes up to its town (one UPDATE)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        qs = GridTask.objects.overdue(today).filter(escalated_at__isnull=True)
        if county_code:
            qs = qs.filter(county_code=county_code)
        ids = list(qs.select_for_update().values_list("id", flat=True))
        count = GridTask.objects.filter(id__in=ids).update(escalated_at=timezone.now()) if ids else 0
        if count:
            record(
                by,
                "monitoring.task.escalate_overdue",
                None,
                area_code=(county_code or "").ljust(12, "0") if county_code else "",
                object_type="monitoring.gridtask",
                object_id=",".join(map(str, ids[:50])),
                changes={"today": str(today), "escalated": count},
            )
    return count
