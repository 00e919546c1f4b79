"""到期提醒与超期督办 (LNK-2)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from jiuzhu.audit.log import record
from jiuzhu.holidays.calendar import current_calendar

from ..models import Referral


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """到期提醒与超期督办 (LNK-2): remind two working days before the deadline, escalate after it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calendar = current_calendar()
    soon = calendar.add_working_days(today, 2)
    reminded = escalated = 0
    from jiuzhu.accounts.system import SystemActor

    system = SystemActor("系统（派单督办）")
    for ref in Referral.objects.open().filter(reminded_at__isnull=True, due_on__lte=soon, due_on__gte=today):
        with transaction.atomic():
            Referral.objects.filter(pk=ref.pk).update(reminded_at=now)
            record(system, "referrals.remind", ref, changes={"number": ref.number, "due_on": ref.due_on})
        reminded += 1
    for ref in Referral.objects.open().filter(escalated_at__isnull=True, due_on__lt=today):
        with transaction.atomic():
            Referral.objects.filter(pk=ref.pk).update(escalated_at=now)
            record(
                system,
                "referrals.escalate",
                ref,
                changes={"number": ref.number, "due_on": ref.due_on, "office": ref.office},
            )
        escalated += 1
    return {"reminded": reminded, "escalated": escalated}
