"""Changes to the working calendar move the deadlines counted in it (issue 14 item 13, WF-3)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db import models, transaction

from jiuzhu.audit.log import record
from jiuzhu.core.workdays import WorkingCalendar

from .calendar import current_calendar
from .signals import open_deadlines


def _open_due_dates() -> list[tuple[models.QuerySet[Any], str]]:
    """Every open deadline counted in working days, as (queryset, field)."""
    from jiuzhu.applications.models import Application, CaseDeadline
    from jiuzhu.referrals.models import Referral

    found: list[tuple[models.QuerySet[Any], str]] = [
        (CaseDeadline.objects.open().filter(hours__isnull=True), "due_on"),
        (Application.objects.open(), "due_on"),
    ]
    for _, pairs in open_deadlines.send(sender=None):  # reviews (jiuzhu.monitoring)
        found.extend(cast(list[tuple[models.QuerySet[Any], str]], pairs))
    found.append((Referral.objects.open(), "due_on"))
    return found


def recount(due: dt.date, since: dt.date, old: WorkingCalendar, new: WorkingCalendar) -> dt.date:
    """``due`` counted again under ``new``: the working days it lies after the day before
    ``since`` under ``old`` (which already hold any pause or extension) are added under ``new``."""
    anchor = since - dt.timedelta(days=1)
    return new.add_working_days(anchor, old.working_days_between(anchor, due))


def recompute_open_deadlines(by: Any, old: WorkingCalendar, since: dt.date, reason: str) -> int:
    """After the calendar changed from ``since`` on: move every open deadline due on or after it.

    Runs in the caller's transaction; one audit entry says how many dates moved."""
    new = current_calendar()
    moved = 0
    with transaction.atomic():
        for queryset, field in _open_due_dates():
            rows = queryset.filter(**{f"{field}__gte": since}).values_list("pk", field)
            for pk, due in rows:
                updated = recount(due, since, old, new)
                if updated != due:
                    queryset.model.objects.filter(pk=pk).update(**{field: updated})
                    moved += 1
        record(
            by,
            "holidays.recompute",
            object_type="holidays.calendar",
            object_id=since.isoformat(),
            changes={"reason": reason, "since": since.isoformat(), "moved": moved},
        )
    return moved
