"""Parameter changes: one authorized county user proposes, another confirms (STD-11).

A confirmed change is a new dated version; it never edits an older one, so a result
computed for a past date is reproduced with the parameters of that date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.areas.models import Area, full_code
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput
from jiuzhu.rules import RulesInputError

from . import impact
from .engine import base_store, rules_error
from .models import ParameterChange

# STD-3 (seed 003 桓政字〔2021〕7号): 特困 basic standard ≥ 1.5× urban / 1.3× rural 低保标准.
MINIMUMS = {
    "tekun.basic_multiplier.urban": (
        Decimal("1.5"),
        "特困人员基本生活标准不得低于城市低保标准的1.5倍（桓政字〔2021〕7号）",
    ),
    "tekun.basic_multiplier.rural": (
        Decimal("1.3"),
        "特困人员基本生活标准不得低于农村低保标准的1.3倍（桓政字〔2021〕7号）",
    ),
}


def _area_for(user: Any, area_code: str) -> str:
    code = (area_code or "").strip()
    if code == "CN":
        if not user.is_superuser:
            raise Forbidden("permission_denied", "全国默认参数只能由系统管理员在规则文件中维护")
        return code
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise InvalidInput("unknown_area", "适用区划应为6位县级代码（如370405）或更下级区划代码", field="area_code")
    area = Area.objects.filter(code=full_code(code)).first()
    if area is None:
        raise InvalidInput("unknown_area", f"区划代码{code}不存在", field="area_code")
    require_in_scope(by=user, area_code=area.code, what="该区划", field="area_code")
    return area.prefix


def propose_change(
    *,
    by: User,
    name: str,
    area_code: str,
    valid_from: dt.date,
    value: Any,
    reason: str,
    source: str,
    valid_to: dt.date | None = None,
) -> ParameterChange:
    """提出参数调整. The value is in the parameter's internal unit (fen, ratio, …)."""
    require(by, "parameters.propose")
    try:
        definition = base_store().definition(name)
        definition.parse_value(value, "value")
    except RulesInputError as exc:
        raise rules_error(exc, prefix="") from None
    area = _area_for(by, area_code)
    if valid_to is not None and valid_to < valid_from:
        raise InvalidInput("invalid_date", "失效日期不能早于生效日期", field="valid_to")
    if definition.no_backdating and valid_from < timezone.localdate():
        raise InvalidInput(
            "backdated",
            f"“{definition.description}”的生效日期不能早于今天：已受理和已办结的案件按原设置办理",
            field="valid_from",
        )
    if name in MINIMUMS and Decimal(str(value)) < MINIMUMS[name][0]:
        raise InvalidInput("below_minimum", MINIMUMS[name][1], field="value")
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写调整理由", field="reason")
    if not (source or "").strip():
        raise InvalidInput("required", "请填写文件依据（如：台政字〔2026〕X号）", field="source")
    with transaction.atomic():
        pending = ParameterChange.objects.select_for_update().filter(
            name=name, area_code=area, valid_from=valid_from, status="proposed"
        )
        if pending.exists():
            raise DomainError("duplicate_proposal", "同一参数、区划和生效日期已有待复核的调整，请先复核或退回")
        change = ParameterChange.objects.create(
            name=name,
            area_code=area,
            area_full=full_code(area) if area != "CN" else "",
            valid_from=valid_from,
            valid_to=valid_to,
            value=value,
            reason=reason.strip(),
            source=source.strip(),
            proposed_by=by,
        )
        record(
            by,
            "programs.parameter.propose",
            change,
            area_code=change.area_full or "",
            changes={
                "name": name,
                "area": area,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "value": value,
                "source": source,
            },
        )
    return change


def _decide(change: ParameterChange, status: str, note: str, *, by: User) -> ParameterChange:
    require(by, "parameters.confirm")
    with transaction.atomic():
        change = ParameterChange.objects.select_for_update().get(pk=change.pk)
        if change.status != "proposed":
            raise DomainError("already_decided", f"该调整已{change.get_status_display()}，不能重复处理")
        if change.proposed_by_id == by.pk:
            raise DomainError("two_person_rule", "参数调整须由提出人以外的另一名工作人员复核")
        # What the change moves, counted against the store before it takes effect (GOV-8, WF-3).
        moving = impact.preview(change) if status == "confirmed" else None
        change.status, change.decided_by, change.decided_at = status, by, timezone.now()
        change.decision_note = (note or "").strip()[:200]
        change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        moved = {}
        if moving is not None:
            moved = {
                "moved_deadlines": sum(p.apply() for p in moving.parts if p.apply is not None),
                "changed_cases": moving.changed_cases,
                "open_cases": moving.open_cases,
            }
        record(
            by,
            f"programs.parameter.{'confirm' if status == 'confirmed' else 'reject'}",
            change,
            area_code=change.area_full or "",
            changes={
                "name": change.name,
                "area": change.area_code,
                "valid_from": change.valid_from,
                "value": change.value,
                "note": change.decision_note,
                **moved,
            },
        )
    return change


def confirm_change(change: ParameterChange, *, by: User, note: str = "") -> ParameterChange:
    """复核通过: the change takes effect from its valid_from date."""
    return _decide(change, "confirmed", note, by=by)


def reject_change(change: ParameterChange, *, by: User, note: str) -> ParameterChange:
    """退回."""
    if not (note or "").strip():
        raise InvalidInput("required", "退回时请填写复核意见", field="note")
    return _decide(change, "rejected", note, by=by)
