"""办理流程调整 (issue 16 item 2; GOV-5, GOV-17, WF-2, WF-7): a county changes who may take a
step of the workflow table, or leaves out an optional step, within safe bounds. One authorized
county user proposes, another confirms (two-person rule); both are audited, and the bounds are
checked again on confirmation against the table then in force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.areas.models import Area, full_code
from jiuzhu.audit.log import record
from jiuzhu.core.dates import day_label
from jiuzhu.core.errors import DomainError, InvalidInput

from .. import workflow
from ..models import WorkflowChange


def county_of(area_code: str, *, by: User, reading: bool = False) -> str:
    """The 6-digit county a change is for, in the user's jurisdiction. ``reading``: the staff
    of a town or village read their own county's table too (it is the procedure they follow)."""
    code = (area_code or "").strip()
    if not code.isdigit() or len(code) not in (6, 12) or (len(code) == 12 and code[6:] != "000000"):
        raise InvalidInput("unknown_area", "适用区划应为6位县级代码（如370405）", field="area_code")
    county = Area.objects.filter(code=full_code(code[:6]), level="county").first()
    if county is None:
        raise InvalidInput("unknown_area", f"县级区划{code[:6]}不存在", field="area_code")
    own_county = reading and by.area is not None and by.area.code[:6] == county.code[:6]
    if not own_county:
        require_in_scope(by=by, area_code=county.code, what="该县级区划", field="area_code")
    return county.code[:6]


def _who(who: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(s).strip() for s in who if str(s).strip()))


def proposed_overrides(change: WorkflowChange) -> list[workflow.Override]:
    """The county's confirmed changes with ``change`` added (it wins on its own date)."""
    own = workflow.Override(
        change.pk or 0,
        f"{change.transition}:{change.sources}:{change.preset}",
        tuple(change.who),
        change.enabled,
        change.valid_from,
    )
    return [*workflow.county_overrides(change.county_code), own]


def check_bounds(change: WorkflowChange) -> None:
    """Every bound, for the row and for the whole table from the change's date on."""
    row = workflow.code_row(change.transition, change.source_states, change.preset)
    workflow.check_row(row, tuple(change.who), change.enabled, change.preset)
    overrides = proposed_overrides(change)
    days = {change.valid_from} | {o.valid_from for o in overrides if o.valid_from > change.valid_from}
    for day in sorted(days):
        workflow.check_table(workflow.build_table(change.preset, overrides, day), change.preset, row)


def propose_workflow_change(
    *,
    by: User,
    area_code: str,
    transition: str,
    sources: Iterable[str],
    preset: str,
    who: Iterable[str],
    valid_from: dt.date,
    source: str,
    reason: str,
    enabled: bool = True,
) -> WorkflowChange:
    """提出办理流程调整: the new roles of one row (or leaving out an optional step)."""
    require(by, "parameters.propose")
    county = county_of(area_code, by=by)
    states = tuple(s.strip() for s in sources if s.strip())
    change = WorkflowChange(
        county_code=county,
        transition=(transition or "").strip(),
        sources=",".join(states),
        preset=(preset or "").strip(),
        who=list(_who(who)) if enabled else [],
        enabled=enabled,
        valid_from=valid_from,
        source=(source or "").strip(),
        reason=(reason or "").strip(),
        proposed_by=by,
    )
    if valid_from < timezone.localdate():
        raise InvalidInput("backdated", "生效日期不能早于今天：已办理的步骤按当时的办理流程执行", field="valid_from")
    if not change.source:
        raise InvalidInput("required", "请填写文件依据（如：台政字〔2026〕X号）", field="source")
    if not change.reason:
        raise InvalidInput("required", "请填写调整理由", field="reason")
    with transaction.atomic():
        check_bounds(change)
        pending = WorkflowChange.objects.select_for_update().filter(
            county_code=county,
            transition=change.transition,
            sources=change.sources,
            preset=change.preset,
            status="proposed",
        )
        if pending.exists():
            raise DomainError("duplicate_proposal", "该操作已有待复核的流程调整，请先复核或退回")
        change.save()
        record(
            by,
            "applications.workflow.propose",
            change,
            area_code=full_code(county),
            changes=_summary(change),
        )
    return change


def _summary(change: WorkflowChange) -> dict[str, object]:
    return {
        "transition": change.transition,
        "sources": change.sources,
        "preset": change.preset,
        "who": list(change.who),
        "enabled": change.enabled,
        "valid_from": change.valid_from,
        "source": change.source,
        "note": change.decision_note,
    }


def _decide(change: WorkflowChange, status: str, note: str, *, by: User) -> WorkflowChange:
    require(by, "parameters.confirm")
    with transaction.atomic():
        change = WorkflowChange.objects.select_for_update().get(pk=change.pk)
        require_in_scope(by=by, area_code=full_code(change.county_code), what="该流程调整")
        if change.status != "proposed":
            raise DomainError("already_decided", f"该流程调整已{change.get_status_display()}，不能重复处理")
        if change.proposed_by_id == by.pk:
            raise DomainError("two_person_rule", "办理流程调整须由提出人以外的另一名工作人员复核")
        if status == "confirmed":
            if change.valid_from < timezone.localdate():
                raise InvalidInput(
                    "backdated",
                    f"该调整的生效日期（{day_label(change.valid_from)}）已过，请退回后按新的生效日期重新提出",
                    field="valid_from",
                )
            check_bounds(change)  # the table may have changed since it was proposed
        change.status, change.decided_by, change.decided_at = status, by, timezone.now()
        change.decision_note = (note or "").strip()[:200]
        change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record(
            by,
            f"applications.workflow.{'confirm' if status == 'confirmed' else 'reject'}",
            change,
            area_code=full_code(change.county_code),
            changes=_summary(change),
        )
    return change


def confirm_workflow_change(change: WorkflowChange, *, by: User, note: str = "") -> WorkflowChange:
    """确认生效: the change applies to every step taken from its valid_from on."""
    return _decide(change, "confirmed", note, by=by)


def reject_workflow_change(change: WorkflowChange, *, by: User, note: str) -> WorkflowChange:
    """退回 (with the reviewer's reason)."""
    if not (note or "").strip():
        raise InvalidInput("required", "退回时请填写复核意见", field="note")
    return _decide(change, "rejected", note, by=by)
