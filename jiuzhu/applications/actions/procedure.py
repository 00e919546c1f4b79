"""Procedure: 不予受理, 退回补正 and 补正完成, 撤回, and 延长办理时限."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs.county import abolished_proofs_for, from_department_data, intake_materials
from jiuzhu.programs.exclusivity import urban_of

from .. import notices
from ..models import Application, CaseDeadline
from ._common import _begin, _finish, _meet, _today
from .supplements import is_signature_item, still_to_sign


def refuse(application: Application, *, by: User, reason: str) -> Application:
    """不予受理, with the notice."""
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写不予受理的理由", field="reason")
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "refuse", by=by)
        notices.issue_after(by, "not_accepted", intake=app.intake, application=app, extra={"reason": reason.strip()})
        for step in ("overall", "investigation", "advance"):
            _meet(app, step)
        return _finish(app, row, {"reason": reason}, by=by)


def return_for_documents(application: Application, *, by: User, items: list[str], note: str = "") -> Application:
    """退回补正: one 一次性告知书 listing everything; the clock stops until resubmitted."""
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise InvalidInput("required", "请列出需要补正的全部材料（一次性告知）", field="items")
    abolished = abolished_proofs_for(application.county_code, application.program, application.temporary_kind)
    for i, item in enumerate(items):
        if item in abolished:
            raise InvalidInput(
                "abolished_proof",
                f"“{item}”已由本县取消（依据{abolished[item]}），不得要求申请人提供，由经办机构内部核实",
                field=f"items[{i}]",
            )
    from_data = from_department_data(application.county_code, application.program, application.temporary_kind)
    for i, item in enumerate(items):
        if item in from_data:
            raise InvalidInput(
                "from_department_data",
                f"“{item}”由系统经部门数据获取（本县申请材料：{from_data[item]}），不得要求申请人提供；"
                f"部门数据确实无法获取的，请写明原因，如“{item}（部门数据无法获取）”",
                field=f"items[{i}]",
            )
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "return_for_documents", by=by)
        # 一次性告知: the clerk's items join what the family still owes (an unsigned 授权书, a
        # document the intake's checklist named), so one notice lists everything
        owed = still_to_sign(app) + [m for m in app.missing_documents if not is_signature_item(m["name"])]
        named = {m["name"] for m in owed}
        app.missing_documents = owed + [{"name": i, "note": note} for i in dict.fromkeys(items) if i not in named]
        app.paused_on = _today()
        CaseDeadline.objects.filter(application=app, met_on__isnull=True, due_at__isnull=True).update(paused=True)
        materials = intake_materials(app.county_code, [app.program], app.temporary_kind, urban=urban_of(app.household))
        notices.issue_after(
            by,
            "checklist",
            intake=app.intake,
            application=app,
            extra={"missing": app.missing_documents, "materials": materials},
        )
        return _finish(app, row, {"items": items, "missing": [m["name"] for m in app.missing_documents]}, by=by)


def resubmit(application: Application, *, by: User) -> Application:
    """补正完成: the days spent waiting for documents do not count against the limit."""
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "resubmit", by=by)
        calendar = current_calendar()
        paused = max(0, calendar.working_days_between(app.paused_on, _today())) if app.paused_on else 0
        if paused:
            app.due_on = calendar.add_working_days(app.due_on, paused)
            app.paused_working_days += paused
        # every step timed in days waited with the case (the 入户调查与核对 as much as the
        # 办结时限); a clock in hours (急难 先行救助) does not wait for documents
        steps = list(CaseDeadline.objects.filter(application=app, met_on__isnull=True, due_at__isnull=True))
        for step in steps:
            if paused:
                step.due_on = app.due_on if step.step == "overall" else calendar.add_working_days(step.due_on, paused)
            step.paused = False
        CaseDeadline.objects.bulk_update(steps, ["due_on", "paused"])
        # the clerk received the documents; a member's unsigned 授权书 stays until signed
        app.paused_on, app.missing_documents = None, still_to_sign(app)
        return _finish(app, row, {"due_on": app.due_on}, by=by)


def withdraw(application: Application, *, by: User, reason: str) -> Application:
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写撤回原因", field="reason")
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "withdraw", by=by)
        CaseDeadline.objects.filter(application=app, met_on__isnull=True).update(met_on=_today())
        return _finish(app, row, {"reason": reason}, by=by)


def extend(application: Application, *, by: User, reason: str) -> Application:
    """特殊情况延长办理时限 (national: up to 45 working days), with the reason recorded."""
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写延长办理时限的理由", field="reason")
    with notices.rendered_after(), transaction.atomic():
        app, config, row = _begin(application, "extend", by=by)
        # the days spent waiting for documents do not count against the special limit either
        new_due = current_calendar().add_working_days(
            timezone.localdate(app.accepted_at), config.special_limit_days + app.paused_working_days
        )
        if new_due <= app.due_on:
            raise DomainError("already_extended", "办理时限已达到特殊情况上限，不能再延长")
        app.due_on, app.extension_reason = new_due, reason.strip()[:200]
        CaseDeadline.objects.filter(application=app, step="overall", met_on__isnull=True).update(due_on=new_due)
        return _finish(app, row, {"due_on": new_due, "reason": reason}, by=by)
