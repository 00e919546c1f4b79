"""授权书 checks, 核对申请 and 一键核对: the 核对报告 and who read it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.masking import mask_name
from jiuzhu.registry.models import Household, Person

from .. import report as report_content
from ..models import (
    Authorization,
    Report,
    ReportSequence,
    Snapshot,
    VerificationRequest,
)
from .permissions import require_perm

ADULT_AGE = 18


def adults_without_authorization(household: Household, on: Any = None) -> list[Person]:
    """Adult members (18+, living) who have not signed a valid 授权书 (先授权、后核对)."""
    today = on or timezone.localdate()
    members = [p for p in household.members.all() if p.death_date is None and p.age_on(today) >= ADULT_AGE]
    signed = set(
        Authorization.objects.valid()
        .filter(household=household, person__in=members)
        .values_list("person_id", flat=True)
    )
    return [p for p in members if p.pk not in signed]


def check_authorized(household: Household) -> None:
    missing = adults_without_authorization(household)
    if missing:
        names = "、".join(mask_name(p.name) for p in missing)
        raise DomainError(
            "authorization_missing",
            f"以下成年家庭成员尚未签署家庭经济状况核对授权书，不能核对：{names}（先授权、后核对）",
        )


def request_verification(
    *, by: User, household: Household, program: str, application: Any = None
) -> VerificationRequest:
    """委托核对: ask the verification centre for a 核对报告 on a household (VER-*).

    Refused with ``authorization_missing`` unless every adult member has authorized it.
    """
    check_authorized(household)
    with transaction.atomic():
        request = VerificationRequest.objects.create(
            application=application,
            household=household,
            program=program,
            area_code=household.area_id,
            county_code=household.county_code,
            requested_by=by if getattr(by, "pk", None) else None,
        )
        record(
            by,
            "verification.request",
            household,
            changes={
                "request": request.pk,
                "program": program,
                "application": getattr(application, "pk", None),
            },
        )
    return request


# ---- 一键核对 -----------------------------------------------------------------------------------


def _next_number(county: str) -> str:
    year = timezone.localdate().year
    ReportSequence.objects.get_or_create(county_code=county, year=year)
    seq = ReportSequence.objects.select_for_update().get(county_code=county, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"HD{county}-{year}-{seq.last:06d}"


def run_verification(
    *, by: User, household: Household, program: str, application: Any = None, request: VerificationRequest | None = None
) -> Report:
    """一键核对 (VER-4): every fact of every member from every source, compared with the
    program's thresholds, in an immutable 核对报告. Answers the pending request of the
    application (or of the household and program) if there is one.

    先授权、后核对: refused with ``authorization_missing`` unless every adult member has a
    valid 授权书. Reading the facts is audited with the request it served."""
    require_perm(by, "verification.run")
    if application is not None:
        household = application.household
        program = application.program
    check_authorized(household)
    built = report_content.build(household, program, temporary_kind=getattr(application, "temporary_kind", "") or "")
    with transaction.atomic():
        if request is None:
            pending = VerificationRequest.objects.filter(household=household, status="pending")
            pending = (
                pending.filter(application=application) if application is not None else pending.filter(program=program)
            )
            request = pending.order_by("requested_at", "id").first()
        if request is not None:
            request = VerificationRequest.objects.select_for_update().get(pk=request.pk)
            if request.status != "pending":
                request = None
        number = _next_number(household.county_code)
        content = dict(built["content"], number=number, request=request.pk if request else None)
        if application is None and request is not None and request.application_id:
            application = request.application
        if application is not None:
            content["application"] = {"id": application.pk, "number": application.number}
        report = Report.objects.create(
            number=number,
            household=household,
            application=application,
            program=program,
            area_code=household.area_id,
            county_code=household.county_code,
            content=content,
            content_sha256=report_content.content_digest(content),
            created_by=user_or_none(by),
        )
        Snapshot.objects.create(
            household=household, county_code=household.county_code, report=report, program=program, **built["snapshot"]
        )
        if request is not None:
            request.status = "done"
            request.completed_at = timezone.now()
            request.report = report
            request.save(update_fields=["status", "completed_at", "report"])
        record(
            by,
            "verification.report.create",
            household,
            changes={
                "report": number,
                "request": request.pk if request else None,
                "application": getattr(application, "pk", None),
                "program": program,
                "facts_read": built["facts_read"],
                "person_ids": built["persons"],
                "sha256": report.content_sha256,
            },
        )
    return report


def log_report_read(report: Report, how: str, *, by: User) -> None:
    """Reading a report reads department facts: audited with the request it served."""
    with transaction.atomic():
        record(
            by,
            f"verification.report.{how}",
            report.household,
            changes={
                "report": report.number,
                "request": report.content.get("request"),
                "facts": len(report.content.get("facts", [])),
            },
        )


def refuse_request(request: VerificationRequest, *, by: User, reason: str) -> VerificationRequest:
    """不予核对: close a pending request with a reason (e.g. authorization revoked)."""
    require_perm(by, "verification.run")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("required", "请填写不予核对的理由", field="reason")
    with transaction.atomic():
        locked: VerificationRequest = VerificationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != "pending":
            raise DomainError("request_closed", f"该核对申请已{locked.get_status_display()}")
        locked.status = "refused"
        locked.refusal_code = "refused"
        locked.refusal_message = reason[:200]
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "refusal_code", "refusal_message", "completed_at"])
        record(by, "verification.request.refuse", locked.household, changes={"request": locked.pk, "reason": reason})
    return locked
