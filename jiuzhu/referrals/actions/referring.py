"""派单 (LNK-1, LNK-4): by hand, after a 低保/特困 approval (多事一流程), and its cancellation."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import user_or_none
from jiuzhu.applications.notices import next_sequence
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs.models import AssistanceProgram
from jiuzhu.registry.models import Household

from ..conditions import context_for, matching_programs
from ..models import CLOSED, Referral
from ._common import DEFAULT_DAYS, Skipped, _begin, _department, _policy, _save, minimum_facts, offer


def refer(
    household: Household,
    program_code: str,
    *,
    by: User,
    reason: str,
    application: Any = None,
    origin: str = "manual",
    channel: str = "online",
    office: str = "",
) -> Referral:
    """派单 to the department that runs ``program_code`` (LNK-1, LNK-4). ``channel="paper"``
    (线下转办) refers to an office without a staff account: the town prints the 转办单 and
    records the reply by hand (``record_reply``). ``office`` names the receiving office of a paper
    referral when it is not the program's department (救助管理站, the 来源地 county, PRG-13,
    LNK-11); an open referral of the same program to another office is then no duplicate."""
    require(by, "referrals.create")
    if channel not in ("online", "paper"):
        raise InvalidInput("invalid_choice", "办理方式应为系统派单（online）或线下转办（paper）", field="channel")
    # the catalog's and the county's own local programs; another county's local ones do not exist here
    program = (
        AssistanceProgram.objects.for_county(household.county_code).filter(code=program_code, is_active=True).first()
    )
    if program is None:
        raise InvalidInput("unknown_program", f"救助项目库中没有启用的项目“{program_code}”", field="program")
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写派单事由", field="reason")
    county = household.county_code
    policy = _policy(program, county)
    found = offer(program, county)
    if found.channel == "off":
        raise DomainError("program_switched_off", found.note)
    named_office = (office or "").strip()
    if named_office and (channel != "paper" or len(named_office) > 64):
        raise InvalidInput("invalid_office", "承办单位只能用于线下转办，且不超过64个字", field="office")
    if channel == "online":
        department: Department | None = _department(program, county)
        office = department.name[:64] if department else ""
    elif named_office:
        department, office = None, named_office
    else:
        department, office = found.department, found.office
    with transaction.atomic():
        open_ = Referral.objects.select_for_update().filter(household=household, program=program).open()
        existing = (open_.filter(office=office) if named_office else open_).first()
        if existing is not None:
            raise DomainError(
                "duplicate_referral",
                f"该家庭已有在办的“{program.name}”派单（{existing.number}，{existing.get_status_display()}）",
            )
        days = policy.days if policy else DEFAULT_DAYS
        referral = Referral.objects.create(
            number=f"PD{county}-{timezone.localdate():%Y}-{next_sequence(county, 'referral'):06d}",
            household=household,
            application=application,
            program=program,
            department=department,
            channel=channel,
            office=office,
            area_code=household.area_id,
            county_code=county,
            reason=reason.strip(),
            origin=origin,
            facts=minimum_facts(household, program.code, [reason.strip()]),
            due_on=current_calendar().add_working_days(timezone.localdate(), days),
            created_by=user_or_none(by),
        )
        record(
            by,
            "referrals.create",
            referral,
            changes={
                "number": referral.number,
                "program": program.code,
                "department": department.code if department else None,
                "channel": channel,
                "office": office,
                "household": household.pk,
                "application": getattr(application, "pk", None),
                "due_on": referral.due_on,
            },
        )
    return referral


def refer_after_approval(application: Any, *, by: User) -> tuple[list[Referral], list[Skipped]]:
    """多事一流程 (LNK-4): a 低保/特困 approval refers the family to every department program it
    now qualifies for. Runs inside the approval's transaction; a program that cannot be
    referred (no department account, switched off, already open) is reported, not fatal."""
    ctx = context_for(application.household, {application.program})
    created, skipped = [], []
    for code, reasons in matching_programs(ctx).items():
        try:
            with transaction.atomic():
                created.append(
                    refer(
                        application.household,
                        code,
                        by=by,
                        reason="；".join(reasons),
                        application=application,
                        origin="auto",
                    )
                )
        except DomainError as exc:
            skipped.append(Skipped(code, exc.message))
    return created, skipped


def cancel(referral: Referral, *, by: User, reason: str) -> Referral:
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写撤销理由", field="reason")
    with transaction.atomic():
        return _withdraw(_begin(referral, by=by, department_side=False), reason.strip(), by=by)


def _withdraw(ref: Referral, reason: str, *, by: User) -> Referral:
    """撤销 a locked referral with its reason, audited."""
    ref.status, ref.result_note, ref.closed_at = "cancelled", reason, timezone.now()
    return _save(ref, "cancel", {"reason": reason}, by=by)


def cancel_for_ended_case(application: Any, *, by: User, why: str) -> int:
    """停发 of a 低保 or 特困 case: the 一体联动 referrals its approval sent that no department has
    answered yet are withdrawn (撤销, with the reason), in the caller's transaction — a
    department does not go on granting 参保资助 or 医疗救助 as to a 低保 family. What a department
    already granted stands (its own end date applies)."""
    reason = f"救助对象{why}，派单撤销"
    count = 0
    for ref in Referral.objects.select_for_update().filter(application=application).exclude(status__in=CLOSED):
        _withdraw(ref, reason, by=by)
        count += 1
    return count
