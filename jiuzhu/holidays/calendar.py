"""The working calendar in force: package data plus the override table."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jiuzhu.core.workdays import WorkingCalendar

from .models import DayOverride, HolidayYear

# Entered years, cached a few seconds: pages mark each date of a list as 暂估 or not.
_TTL_SECONDS = 30.0
_entered: tuple[float, frozenset[int]] = (0.0, frozenset())


def entered_years() -> frozenset[int]:
    global _entered
    now = time.monotonic()
    if now - _entered[0] > _TTL_SECONDS:
        _entered = (now, frozenset(HolidayYear.objects.values_list("year", flat=True)))
    return _entered[1]


@receiver([post_save, post_delete], sender=HolidayYear)
def forget_entered_years(**_: Any) -> None:
    global _entered
    _entered = (0.0, frozenset())


def current_calendar() -> WorkingCalendar:
    """Build the calendar from the database (two small queries; call once per action)."""
    global _entered
    overrides = dict(DayOverride.objects.values_list("date", "is_working_day"))
    _entered = (time.monotonic(), frozenset(HolidayYear.objects.values_list("year", flat=True)))
    return WorkingCalendar(overrides=overrides, entered_years=_entered[1])


def is_provisional(day: dt.date) -> bool:
    """True if ``day`` falls in a year counted with the provisional calendar (暂估)."""
    return not WorkingCalendar(entered_years=entered_years()).covers(day.year)


def missing_next_year(today: dt.date) -> int | None:
    """From 1 November: next year, if its schedule is neither in the package nor entered."""
    if today.month < 11:
        return None
    year = today.year + 1
    return None if WorkingCalendar(entered_years=entered_years()).covers(year) else year


def add_working_days(start: dt.date, days: int) -> dt.date:
    return current_calendar().add_working_days(start, days)


def working_days_between(start: dt.date, end: dt.date) -> int:
    return current_calendar().working_days_between(start, end)
