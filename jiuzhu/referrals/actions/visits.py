"""走访慰问、结对帮扶 (REG-13)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import InvalidInput
from jiuzhu.registry.models import Household


def record_visit(
    household: Household,
    *,
    by: User,
    kind: str,
    visited_on: dt.date,
    organization: str,
    visitors: str,
    content: str,
    amount_fen: int = 0,
) -> tuple[Any, list[Any]]:
    """走访慰问、结对帮扶 (REG-13): record a visit; returns it with the other visits of the last
    30 days, so a second organisation sees that the family was just visited."""
    from ..models import VISIT_KINDS, Visit

    require(by, "registry.edit")
    if kind not in dict(VISIT_KINDS):
        raise InvalidInput("invalid_choice", "类型应为走访慰问、结对帮扶或关爱服务", field="kind")
    if visited_on > timezone.localdate():
        raise InvalidInput("invalid_date", "日期不能晚于今天", field="visited_on")
    for key, value in (("organization", organization), ("visitors", visitors), ("content", content)):
        if not (value or "").strip():
            raise InvalidInput("required", "请填写单位或组织、人员和内容", field=key)
    if amount_fen < 0:
        raise InvalidInput("invalid_amount", "金额不能为负数", field="amount_fen")
    recent = list(Visit.objects.filter(household=household, visited_on__gte=visited_on - dt.timedelta(days=30)))
    with transaction.atomic():
        visit = Visit.objects.create(
            household=household,
            area_code=household.area_id,
            kind=kind,
            visited_on=visited_on,
            organization=organization.strip(),
            visitors=visitors.strip(),
            content=content.strip(),
            amount_fen=amount_fen,
            recorded_by=user_or_none(by),
        )
        record(
            by,
            "referrals.visit",
            household,
            changes={
                "visit": visit.pk,
                "kind": kind,
                "date": visited_on,
                "organization": organization,
                "amount_fen": amount_fen,
            },
        )
    return visit, recent
