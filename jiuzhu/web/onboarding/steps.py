"""The onboarding steps, run in one transaction (a dry run rolls it back); each step audits its writes and
leaves work it finds done."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.roles import ROLES
from jiuzhu.applications.config import DOCUMENT_TEXTS, PRESETS, apply_preset, set_documents
from jiuzhu.applications.models import PRESET_LABELS
from jiuzhu.areas.importer import import_areas
from jiuzhu.areas.models import Area, full_code
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError
from jiuzhu.payments.actions.layouts import install_standard_layouts
from jiuzhu.programs import actions as program_actions
from jiuzhu.programs.models import AssistanceProgram, CountyProgram, ParameterChange

from ..demo import ADMIN_MODEL_PERMS
from .spec import (
    AREAS_FILE,
    COUNTY_FILE,
    PASSWORD_ALPHABET,
    PASSWORD_LENGTH,
    STAFF_FILE,
    STANDARDS,
    OnboardingInvalid,
    Package,
    ProgramDetails,
    Report,
)


class _DryRun(Exception):
    def __init__(self, report: Report) -> None:
        self.report = report


def onboard(package: Package, *, by: Any, dry_run: bool = False) -> Report:
    """Run every step in one transaction (``dry_run``: then roll it back). A step's refusal
    becomes ``OnboardingInvalid`` naming the step; nothing is written."""
    report = Report(package.county_code, dry_run)
    step = ""
    try:
        with transaction.atomic():
            for label, run in (
                ("导入区划", import_area_tree),
                ("创建部门", create_departments),
                ("创建工作人员账号", create_staff),
                ("文书字号和救济途径", configure_documents),
                ("办理流程模式", apply_procedure_preset),
                ("低保标准", enter_standards),
                ("本县救助项目", choose_programs),
                ("银行文件格式", install_bank_layouts),
            ):
                step = label
                run(package, by, report)
            if dry_run:
                raise _DryRun(report)
    except _DryRun as done:
        return done.report
    except DomainError as exc:
        where = {"导入区划": AREAS_FILE, "创建工作人员账号": STAFF_FILE}.get(step, COUNTY_FILE)
        raise OnboardingInvalid([f"{where}（{step}）：{exc.message}"]) from None
    return report


def import_area_tree(package: Package, by: Any, report: Report) -> None:
    result = import_areas(package.areas, by=by)
    if result.created or result.updated:
        report.done.append(f"区划：新建{result.created}个、更新{result.updated}个")
    if result.unchanged:
        report.unchanged.append(f"区划：{result.unchanged}个已存在且无变化")


def create_departments(package: Package, by: Any, report: Report) -> None:
    county = Area.objects.get(code=full_code(package.county_code))
    for code, name in package.county.departments:
        department = Department.objects.filter(area=county, code=code).first()
        if department is not None and department.name == name:
            report.unchanged.append(f"部门：{name}")
            continue
        if department is None:
            department = Department.objects.create(area=county, code=code, name=name)
            report.done.append(f"部门：新建 {name}（{code}）")
        else:
            report.done.append(f"部门：{department.name} 更名为 {name}")
            department.name = name
            department.save(update_fields=["name"])
        record(by, "accounts.department.save", department, area_code=county.code, changes={"code": code, "name": name})


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def create_staff(package: Package, by: Any, report: Report) -> None:
    county = full_code(package.county_code)
    departments = {d.code: d for d in Department.objects.filter(area_id=county)}
    existing = set(
        User.objects.filter(username__in=[s.username for s in package.staff]).values_list("username", flat=True)
    )
    for s in package.staff:
        role = ROLES[s.role].name
        if s.username in existing:
            report.unchanged.append(f"账号：{s.username}（{s.full_name}，{role}）")
            continue
        password = new_password()
        user = User.objects.create_user(
            s.username,
            password=password,
            full_name=s.full_name,
            role=s.role,
            area_id=s.area_code,
            department=departments.get(s.department) if s.department else None,
            is_staff=s.role == "admin",  # the county administrator keeps users and departments
        )
        if s.role == "admin":
            user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_MODEL_PERMS))
        record(
            by,
            "accounts.user.create",
            user,
            area_code=s.area_code,
            changes={
                "user": s.username,
                "name": s.full_name,
                "kind": role,
                "area": s.area_code,
                "department": s.department,
            },
        )
        report.done.append(f"账号：新建 {s.username}（{s.full_name}，{role}，{s.area_code}）")
        report.passwords.append((s.username, s.full_name, role, password))


def configure_documents(package: Package, by: Any, report: Report) -> None:
    """文书字号、出具单位和救济途径 as the county's own dated settings, with their document,
    entered and confirmed by two of its staff (GOV-8)."""
    spec = package.county
    docs = spec.documents
    keys = {DOCUMENT_TEXTS[k]: v for k, v in docs.items()}
    entered = ParameterChange.objects.filter(
        area_code=spec.county_code, valid_from=spec.documents_valid_from, status="confirmed", name__in=keys
    )
    have = {c.name: c.value for c in entered}
    if all(have.get(k) == v for k, v in keys.items()):
        report.unchanged.append(
            f"文书字号“{docs['notice_prefix']}”、出具单位和救济途径（自{spec.documents_valid_from}）"
        )
        return
    set_documents(
        spec.county_code,
        docs,
        by=_staff_user(spec.entered_by),
        confirmed_by=_staff_user(spec.confirmed_by),
        valid_from=spec.documents_valid_from,
        source=spec.documents_source,
    )
    report.done.append(
        f"文书字号前缀“{docs['notice_prefix']}”，出具单位“{docs['issuer_name']}”，"
        f"救济途径：{docs['remedy_review_body']}（行政复议）、{docs['remedy_court']}（行政诉讼），"
        f"自{spec.documents_valid_from}起，依据{spec.documents_source}"
    )


def _staff_user(username: str) -> User:
    return User.objects.get(username=username)


def apply_procedure_preset(package: Package, by: Any, report: Report) -> None:
    spec = package.county
    label = PRESET_LABELS[spec.preset]
    entered = ParameterChange.objects.filter(
        area_code=spec.county_code, valid_from=spec.preset_valid_from, status="confirmed", name__in=PRESETS[spec.preset]
    )
    have = {c.name: c.value for c in entered}
    if all(have.get(k) == v for k, v in PRESETS[spec.preset].items()):
        report.unchanged.append(f"办理流程模式：{label}（自{spec.preset_valid_from}）")
        return
    apply_preset(
        spec.county_code,
        spec.preset,
        by=_staff_user(spec.entered_by),
        confirmed_by=_staff_user(spec.confirmed_by),
        valid_from=spec.preset_valid_from,
        source=spec.preset_source,
    )
    report.done.append(f"办理流程模式：{label}，自{spec.preset_valid_from}起，依据{spec.preset_source}")


def enter_standards(package: Package, by: Any, report: Report) -> None:
    """低保标准 (STD-1) as the county's own dated parameters: entered by one person, confirmed
    by another, through the same actions as the settings page."""
    spec = package.county
    for s in spec.standards:
        key, label = STANDARDS[s.kind]
        yuan = f"{s.fen / 100:,.2f}元/人·月"
        same = ParameterChange.objects.filter(
            name=key, area_code=spec.county_code, valid_from=s.valid_from, status="confirmed", source=s.source
        )
        if any(c.value == s.fen for c in same):
            report.unchanged.append(f"{label}：{yuan}（自{s.valid_from}）")
            continue
        change = program_actions.propose_change(
            by=_staff_user(spec.entered_by),
            name=key,
            area_code=spec.county_code,
            valid_from=s.valid_from,
            value=s.fen,
            reason="开通县区：录入本县低保标准",
            source=s.source,
        )
        program_actions.confirm_change(change, by=_staff_user(spec.confirmed_by), note="开通县区时复核")
        report.done.append(f"{label}：{yuan}，自{s.valid_from}起，依据{s.source}")


def choose_programs(package: Package, by: Any, report: Report) -> None:
    spec = package.county
    chosen = set(CountyProgram.objects.filter(county_code=spec.county_code).values_list("program_id", flat=True))
    programs = {p.code: p for p in AssistanceProgram.objects.filter(code__in=spec.programs, county_code="")}
    actor = by if isinstance(by, User) else None
    added = []
    for code in spec.programs:
        program = programs[code]
        details = spec.program_details.get(code)
        if details is not None:
            _set_program_details(program, details, package, by, report, new=program.pk not in chosen)
            if program.pk not in chosen:
                chosen.add(program.pk)
                added.append(program.name)
            continue
        if program.pk in chosen:
            continue
        row = CountyProgram.objects.create(county_code=spec.county_code, program=program, chosen_by=actor)
        chosen.add(program.pk)
        record(by, "programs.county.choose", row, area_code=full_code(spec.county_code), changes={"program": code})
        added.append(program.name)
    if added:
        report.done.append(f"本县救助项目：新增{len(added)}项（{'、'.join(added)}）")
    if len(added) < len(spec.programs):
        report.unchanged.append(f"本县救助项目：{len(spec.programs) - len(added)}项已选定")


def _set_program_details(
    program: AssistanceProgram, details: ProgramDetails, package: Package, by: Any, report: Report, *, new: bool
) -> None:
    """The county's details of one program, through ``set_county_program`` (audited); a run
    that changes nothing writes nothing."""
    county = package.county_code
    department = (
        Department.objects.filter(area_id=full_code(county), code=details.department).first()
        if details.department
        else None
    )
    wanted: dict[str, Any] = {
        "department_id": department.pk if department is not None else None,
        "department_name": department.name if department is not None else "",
        "contact_person": details.contact_person,
        "contact_phone": details.contact_phone,
        "materials": details.materials,
        "abolished_proofs": details.abolished_proofs,
    }
    row = CountyProgram.objects.filter(county_code=county, program=program).first()
    if (
        row is not None
        and row.is_active
        and all(
            getattr(row, k) == v
            for k, v in (
                ("department_id", wanted["department_id"]),
                ("department_name", wanted["department_name"]),
                ("contact_person", details.contact_person),
                ("contact_phone", details.contact_phone),
                ("materials", details.materials),
                ("abolished_proofs", details.abolished_proofs),
            )
        )
    ):
        report.unchanged.append(f"本县救助项目：{program.name}（承办部门、联系人、材料不变）")
        return
    program_actions.set_county_program(program, by=by, county_code=county, **wanted)
    contact = "、".join(x for x in (wanted["department_name"], details.contact_person, details.contact_phone) if x)
    if not new:
        report.done.append(f"本县救助项目：{program.name} 更新承办部门、联系人和材料（{contact or '未填写联系人'}）")
    elif contact:
        report.done.append(f"本县救助项目：{program.name} 承办部门和联系人：{contact}")


def install_bank_layouts(package: Package, by: Any, report: Report) -> None:
    created = install_standard_layouts(package.county_code, by=by)
    if created:
        report.done.append(f"银行文件格式：新增{len(created)}种标准格式（{'、'.join(x.name for x in created)}）")
    else:
        report.unchanged.append("银行文件格式：标准格式均已存在")
