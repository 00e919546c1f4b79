"""Parameter changes: one authorized county user proposes, another confirms (STD-11); and the
county's own program catalog (PRG-2, INT-16, INT-18): choosing, editing and adding local programs.

A confirmed change is a new dated version; it never edits an older one, so a result
computed for a past date is reproduced with the parameters of that date.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.areas.models import Area, full_code
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.rules import RulesInputError

from . import impact
from .engine import base_store, rules_error
from .models import APPROVAL_LEVEL_CHOICES, LAYER_CHOICES, AssistanceProgram, CountyProgram, ParameterChange

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
    _require_not_above(user, area.prefix, area.name)
    require_in_scope(by=user, area_code=area.code, what="该区划", field="area_code")
    return area.prefix


def _require_not_above(user: Any, prefix: str, name: str) -> None:
    """A setting of an area above the user's own (市、省、全国) is that level's to change (GOV-3):
    refused with 403 naming the level, not hidden."""
    if user.is_superuser:
        return
    own = getattr(user, "area", None)
    if own is None or prefix == own.prefix or not own.prefix.startswith(prefix):
        return
    levels = {2: "省级", 4: "市级", 6: "县级", 9: "镇（街道）级"}
    raise Forbidden(
        "level_above",
        f"“{name}”的设置属于{levels.get(len(prefix), '上级')}，{own.name}的工作人员不能提出或复核上级的设置调整，"
        f"请由{name}民政部门办理",
        field="area_code",
    )


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
        if change.area_code == "CN":
            if not by.is_superuser:
                raise Forbidden("level_above", "全国默认参数只能由系统管理员在规则文件中维护")
        else:
            area = Area.objects.filter(code=change.area_full).first()
            _require_not_above(by, change.area_code, area.name if area else change.area_code)
            require_in_scope(by=by, area_code=change.area_full, what="该参数调整")
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


# ---- the county's program catalog (本县救助项目, PRG-2, INT-16, INT-18) ---------------------------

# 联系电话: an 11-digit mobile number or a fixed line with its area code (0632-6611234, 063266112345).
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
LOCAL_CODE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
MAX_MATERIALS = 40


def _county_of(by: Any, county_code: str) -> str:
    """The county a county admin may manage: the user's own (another county answers 403)."""
    require(by, "programs.county")
    code = (county_code or "").strip()
    if not code.isdigit() or len(code) != 6 or code.endswith("00"):
        raise InvalidInput("unknown_area", "县级区划代码应为6位（如370405）", field="county_code")
    if getattr(by, "is_superuser", False):
        return code
    own = getattr(getattr(by, "area", None), "county_code", "")
    if own != code:
        raise Forbidden("other_county", "只能管理本县（市、区）开展的救助项目，不能修改其他县区的项目")
    return code


def _clean_text(value: str | None, label: str, field: str, *, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput("required", f"请填写{label}", field=field)
    if len(text) > max_length:
        raise InvalidInput("too_long", f"{label}不能超过{max_length}个字", field=field)
    return text


def _clean_materials(items: list[str] | None, field: str = "materials") -> list[str]:
    out: list[str] = []
    for i, raw in enumerate(items or []):
        name = (raw or "").strip() if isinstance(raw, str) else ""
        if not name:
            raise InvalidInput("required", f"申请材料第{i + 1}项不能为空", field=f"{field}[{i}]")
        if len(name) > 200:
            raise InvalidInput("too_long", f"申请材料第{i + 1}项不能超过200个字", field=f"{field}[{i}]")
        if name in out:
            raise InvalidInput("duplicate", f"申请材料“{name}”重复填写", field=f"{field}[{i}]")
        out.append(name)
    if len(out) > MAX_MATERIALS:
        raise InvalidInput("too_many", f"申请材料最多{MAX_MATERIALS}项", field=field)
    return out


def _clean_proofs(items: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """取消的证明事项 (INT-18): each needs its name and the document that abolished it."""
    out: list[dict[str, str]] = []
    for i, raw in enumerate(items or []):
        name = str((raw or {}).get("name") or "").strip()
        document = str((raw or {}).get("document") or "").strip()
        if not name:
            raise InvalidInput(
                "required", f"取消的证明事项第{i + 1}项：请填写证明名称", field=f"abolished_proofs[{i}].name"
            )
        if not document:
            raise InvalidInput(
                "required",
                f"取消的证明事项“{name}”：请填写取消依据文号（如：台政办字〔2020〕12号）",
                field=f"abolished_proofs[{i}].document",
            )
        if len(name) > 200 or len(document) > 100:
            raise InvalidInput("too_long", f"取消的证明事项第{i + 1}项过长", field=f"abolished_proofs[{i}]")
        if any(p["name"] == name for p in out):
            raise InvalidInput("duplicate", f"取消的证明事项“{name}”重复填写", field=f"abolished_proofs[{i}].name")
        out.append({"name": name, "document": document})
    return out


def _audit_value(key: str, value: Any) -> Any:
    """A value as the audit log shows it: a department by name, a proof with its document."""
    if key == "department":
        return value.name if value is not None else ""
    if key == "abolished_proofs":
        return [f"{p['name']}（{p['document']}）" for p in value]
    return value


def _clean_phone(contact_phone: str | None) -> str:
    phone = _clean_text(contact_phone, "联系电话", "contact_phone", max_length=32).replace(" ", "")
    if phone and not PHONE.match(phone):
        raise InvalidInput(
            "invalid_phone",
            "联系电话格式不正确：应为11位手机号码或带区号的固定电话（如0632-6611234）",
            field="contact_phone",
        )
    return phone


def _clean_details(
    values: dict[str, Any],
    *,
    department_name: str | None,
    contact_person: str | None,
    contact_phone: str | None,
    materials: list[str] | None,
    abolished_proofs: list[dict[str, str]] | None,
) -> list[InvalidInput]:
    """Clean a county program's own details into ``values``; every problem, each naming its field."""
    problems: list[InvalidInput] = []
    for key, clean in (
        ("department_name", lambda: _clean_text(department_name, "承办部门", "department_name", max_length=64)),
        ("contact_person", lambda: _clean_text(contact_person, "联系人", "contact_person", max_length=32)),
        ("contact_phone", lambda: _clean_phone(contact_phone)),
        ("materials", lambda: _clean_materials(materials)),
        ("abolished_proofs", lambda: _clean_proofs(abolished_proofs)),
    ):
        try:
            values[key] = clean()
        except InvalidInput as exc:
            problems.append(exc)
    return problems


def county_program_problems(
    *,
    department_name: str | None = "",
    contact_person: str | None = "",
    contact_phone: str | None = "",
    materials: list[str] | None = None,
    abolished_proofs: list[dict[str, str]] | None = None,
) -> list[InvalidInput]:
    """What ``set_county_program`` would refuse in a county program's details (承办部门、联系人、
    联系电话、申请材料、取消的证明事项), checked before anything is written (onboarding files)."""
    return _clean_details(
        {},
        department_name=department_name,
        contact_person=contact_person,
        contact_phone=contact_phone,
        materials=materials,
        abolished_proofs=abolished_proofs,
    )


def set_county_program(
    program: AssistanceProgram,
    *,
    by: User,
    county_code: str,
    is_active: bool = True,
    department_id: int | None = None,
    department_name: str = "",
    contact_person: str = "",
    contact_phone: str = "",
    materials: list[str] | None = None,
    abolished_proofs: list[dict[str, str]] | None = None,
    note: str = "",
) -> CountyProgram:
    """选定或修改本县开展的救助项目 (PRG-2, INT-16, INT-18): whether the county runs it, its
    承办部门, contact, materials (empty = the catalog's) and 取消的证明事项; audited."""
    from jiuzhu.accounts.models import Department

    county = _county_of(by, county_code)
    if program.county_code and program.county_code != county:
        raise NotFound("not_found", "救助项目不存在", field="program")
    department = None
    problems: list[DomainError] = []
    values: dict[str, Any] = {"is_active": bool(is_active)}

    def check(key: str, clean: Any) -> None:
        try:
            values[key] = clean()
        except InvalidInput as exc:
            problems.append(exc)

    def clean_department() -> Any:
        if department_id is None:
            return None
        found = Department.objects.filter(pk=department_id, area_id=full_code(county)).first()
        if found is None:
            raise InvalidInput("unknown_department", "承办部门须为本县（市、区）已登记的部门", field="department_id")
        return found

    check("department", clean_department)
    details = _clean_details(
        values,
        department_name=department_name,
        contact_person=contact_person,
        contact_phone=contact_phone,
        materials=materials,
        abolished_proofs=abolished_proofs,
    )
    problems.extend(details)
    check("note", lambda: _clean_text(note, "备注", "note", max_length=500))
    if problems:
        first = problems[0]
        raise InvalidInput(first.code, first.message, field=first.field, errors=problems)
    department = values["department"]
    if department is not None and not values["department_name"]:
        values["department_name"] = department.name
    with transaction.atomic():
        row = CountyProgram.objects.select_for_update().filter(county_code=county, program=program).first()
        created = row is None
        before: dict[str, Any] = {}
        if row is None:
            row = CountyProgram(county_code=county, program=program, chosen_by=user_or_none(by))
        else:
            before = {k: getattr(row, k) for k in values}
        for k, v in values.items():
            setattr(row, k, v)
        row.updated_by, row.updated_at = user_or_none(by), timezone.now()
        row.save()
        changed = {k: _audit_value(k, v) for k, v in values.items() if created or before.get(k) != v}
        record(
            by,
            "programs.county.choose" if created else "programs.county.edit",
            row,
            area_code=full_code(county),
            changes={"program": program.code, **changed},
        )
    return row


def add_local_program(
    *,
    by: User,
    county_code: str,
    code: str,
    name: str,
    layer: str,
    department_name: str,
    target_group: str,
    conditions: str,
    benefits: str,
    documents: list[str],
    procedure: str = "",
    time_limit_working_days: int | None = None,
    approval_level: str = "county",
    legal_basis: list[str] | None = None,
) -> AssistanceProgram:
    """新增本县自设救助项目 (PRG-2): seen by this county only, and run by it from the start."""
    county = _county_of(by, county_code)
    code = (code or "").strip()
    if not code:
        raise InvalidInput("required", "请填写项目代码", field="code")
    if not LOCAL_CODE.match(code):
        raise InvalidInput(
            "invalid_code",
            "项目代码只能由小写英文字母、数字和下划线组成，以字母开头（如 taierzhuang_heating）",
            field="code",
        )
    name = _clean_text(name, "项目名称", "name", max_length=64, required=True)
    if layer not in dict(LAYER_CHOICES):
        raise InvalidInput("invalid_choice", "请选择项目类别", field="layer")
    if approval_level not in dict(APPROVAL_LEVEL_CHOICES):
        raise InvalidInput("invalid_choice", "请选择审批层级", field="approval_level")
    if time_limit_working_days is not None and not 1 <= time_limit_working_days <= 60:
        raise InvalidInput("out_of_range", "办理时限应为1至60个工作日", field="time_limit_working_days")
    texts = {
        "department_name": _clean_text(department_name, "主管部门", "department_name", max_length=64, required=True),
        "target_group": _clean_text(target_group, "救助对象", "target_group", max_length=2000, required=True),
        "conditions": _clean_text(conditions, "主要条件", "conditions", max_length=2000, required=True),
        "benefits": _clean_text(benefits, "救助内容", "benefits", max_length=2000, required=True),
        "procedure": _clean_text(procedure, "办理流程", "procedure", max_length=2000),
    }
    materials = _clean_materials(documents, "documents")
    if not materials:
        raise InvalidInput("required", "请至少填写一项申请材料", field="documents")
    basis = [b.strip() for b in legal_basis or [] if b and b.strip()]
    with transaction.atomic():
        clash = AssistanceProgram.objects.select_for_update().filter(code=code).first()
        if clash is not None and not clash.county_code:
            raise InvalidInput(
                "code_in_catalog", f"项目代码“{code}”与救助项目库中的“{clash.name}”重复，请换一个代码", field="code"
            )
        if clash is not None:
            raise InvalidInput("duplicate_code", f"项目代码“{code}”已被使用，请换一个代码", field="code")
        same_name = AssistanceProgram.objects.for_county(county).filter(name=name).first()
        if same_name is not None:
            where = "本县自设项目" if same_name.county_code else "救助项目库"
            raise InvalidInput(
                "duplicate_name", f"{where}中已有名为“{name}”的项目，请选定该项目或改用其他名称", field="name"
            )
        program = AssistanceProgram.objects.create(
            code=code,
            name=name,
            layer=layer,
            department_code="local",
            engine_program="",
            documents=materials,
            legal_basis=basis,
            time_limit_working_days=time_limit_working_days,
            approval_level=approval_level,
            requirements=["PRG-2"],
            county_code=county,
            **texts,
        )
        record(
            by,
            "programs.county.local_add",
            program,
            area_code=full_code(county),
            changes={"code": code, "name": name, "layer": layer, "department_name": texts["department_name"]},
        )
        CountyProgram.objects.create(
            county_code=county, program=program, chosen_by=by, updated_by=by, updated_at=timezone.now()
        )
    return program
