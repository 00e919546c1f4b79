"""State changes of verification (家庭经济状况核对)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError
from jiuzhu.core.masking import mask_name
from jiuzhu.registry.models import Household, Person

from .models import Authorization, VerificationRequest

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
    by: Any, *, household: Household, program: str, application: Any = None
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
