"""Helpers shared by the referral actions: where a program can be referred (online, on paper or
not at all), the minimum facts a department sees, and the begin/save pair of every step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.permissions import require
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, NotFound
from jiuzhu.core.masking import mask_name
from jiuzhu.programs.models import AssistanceProgram
from jiuzhu.registry.models import Household

from ..models import Referral, ReferralPolicy

DEFAULT_DAYS = 10


FACT_FIELDS = {  # what each department needs to know (minimum necessary)
    "education_assistance": ("school_status",),
    "medical_major_illness": ("health_status",),
    "rehabilitation_assistance": ("disability_category", "disability_grade"),
    "disability_living_subsidy": ("disability_category", "disability_grade"),
    "disability_care_subsidy": ("disability_category", "disability_grade"),
    "employment_assistance": ("employment_status", "labour_capacity"),
    "zero_employment_family": ("employment_status", "labour_capacity"),
}


@dataclass(frozen=True)
class Skipped:
    program: str
    message: str


@dataclass(frozen=True)
class Offer:
    """Whether a program can be referred for a county, and how: ``online`` to a department
    with an active staff account; ``paper`` (线下转办) to an office without one, with the
    reason; ``off`` when the county switched the program's referrals off."""

    program: AssistanceProgram
    channel: str
    department: Department | None
    office: str
    note: str


def offer(program: AssistanceProgram, county_code: str) -> Offer:
    policy = _policy(program, county_code)
    if policy is not None and not policy.enabled:
        return Offer(program, "off", None, "", f"本县已停用“{program.name}”的派单，请线下办理或联系县民政局")
    department = Department.objects.filter(area_id=county_code.ljust(12, "0"), code=program.department_code).first()
    if department is None:
        county = Area.objects.filter(code=county_code.ljust(12, "0")).values_list("name", flat=True).first() or ""
        office = f"{county}{program.department_name}"
        return Offer(program, "paper", None, office[:64], f"本县未设置{program.department_name}，不能系统派单")
    if not User.objects.filter(department=department, is_active=True, role="department").exists():
        return Offer(program, "paper", department, department.name[:64], f"{department.name}尚无办理人员账号")
    return Offer(program, "online", department, department.name[:64], "")


PAPER_HINT = "可改为“线下转办”：打印转办单送达，对方回复后由经办人员登记结果"


def _department(program: AssistanceProgram, county_code: str) -> Department:
    found = offer(program, county_code)
    if found.channel == "paper" and found.department is None:
        raise DomainError("department_missing", f"{found.note}；{PAPER_HINT}")
    if found.channel == "paper":
        raise DomainError(
            "department_without_users",
            f"{found.note}，“{program.name}”无法系统派单；{PAPER_HINT}，或联系系统管理员开通账号",
        )
    assert found.department is not None
    return found.department


def referral_options(household: Household) -> list[Offer]:
    """What the 人工派单 list may offer this family: every active program that is referred to
    a department (not the ones a family applies for, such as 低保 or 特困), online where it can
    be received, else on paper; programs switched off are left out."""
    programs = AssistanceProgram.objects.for_county(household.county_code).filter(is_active=True, engine_program="")
    programs = programs.exclude(
        code__in=("tekun_centralized", "tekun_dispersed", "tekun_selfcare_assessment", "tekun_social_custody")
    )
    out = [offer(p, household.county_code) for p in programs.order_by("layer", "id")]
    return [o for o in out if o.channel != "off"]


def _policy(program: AssistanceProgram, county_code: str) -> ReferralPolicy | None:
    return ReferralPolicy.objects.filter(county_code=county_code, program=program).first()


def minimum_facts(household: Household, program_code: str, reasons: list[str]) -> dict[str, Any]:
    """What the department sees: masked identities, ages and the facts its program needs."""
    extra = FACT_FIELDS.get(program_code, ())
    today = timezone.localdate()
    members = []
    for m in household.current_members().filter(death_date__isnull=True):
        row: dict[str, Any] = {
            "person_id": m.pk,
            "name": mask_name(m.name),
            "id_number_masked": m.id_number_masked,
            "relation": m.get_relation_display(),
            "age": m.age_on(today),
        }
        for key in extra:
            value = getattr(m, key)
            display = getattr(m, f"get_{key}_display", None)
            row[key] = display() if display and value not in (None, "") else value
        members.append(row)
    return {
        "household": {
            "head": mask_name(household.head_name),
            "address": household.address,
            "area": household.area.full_name(),
            "urban_rural": household.get_urban_rural_display(),
        },
        "members": members,
        "reasons": reasons,
    }


def _begin(referral: Referral, *, by: User, department_side: bool) -> Referral:
    ref = Referral.objects.select_for_update().select_related("program").get(pk=referral.pk)
    if department_side:
        require(by, "referrals.handle")
        if not by.is_superuser and (by.department_id != ref.department_id or ref.channel != "online"):
            raise NotFound("not_found", "派单不存在或不属于本部门")
    else:
        require(by, "referrals.create")
    if ref.is_closed:
        raise DomainError("referral_closed", f"派单{ref.number}已{ref.get_status_display()}，不能再办理")
    return ref


def _save(ref: Referral, action: str, changes: dict[str, Any], *, by: User) -> Referral:
    ref.version += 1
    ref.save()
    record(by, f"referrals.{action}", ref, changes={"number": ref.number, "status": ref.status, **changes})
    return ref
