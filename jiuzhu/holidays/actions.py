"""Changes to the working calendar move the deadlines counted in it (issue 14 item 13, WF-3)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.audit.log import record
from jiuzhu.core.workdays import WorkingCalendar

from .calendar import current_calendar
from .deadlines import open_due_dates


def recount(due: dt.date, since: dt.date, old: WorkingCalendar, new: WorkingCalendar) -> dt.date:
    """``due`` counted again under ``new``: the working days it lies after the day before
    ``since`` under ``old`` (which already hold any pause or extension) are added under ``new``."""
    anchor = since - dt.timedelta(days=1)
    return new.add_working_days(anchor, old.working_days_between(anchor, due))


def recompute_open_deadlines(old: WorkingCalendar, since: dt.date, reason: str, *, by: User) -> int:
    """After the calendar changed from ``since`` on: move every open deadline due on or after it.

    Runs in the caller's transaction; one audit entry says how many dates moved."""
    new = current_calendar()
    moved = 0
    with transaction.atomic():
        for queryset, field in open_due_dates():
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
