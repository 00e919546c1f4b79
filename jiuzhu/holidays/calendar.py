"""The working calendar in force: package data plus the override table."""

from __future__ import annotations

import datetime as dt

from jiuzhu.core.workdays import WorkingCalendar

from .models import DayOverride, HolidayYear


def current_calendar() -> WorkingCalendar:
    """Build the calendar from the database (two small queries; call once per action)."""
    overrides = dict(DayOverride.objects.values_list("date", "is_working_day"))
    years = frozenset(HolidayYear.objects.values_list("year", flat=True))
    return WorkingCalendar(overrides=overrides, entered_years=years)


def add_working_days(start: dt.date, days: int) -> dt.date:
    return current_calendar().add_working_days(start, days)


def working_days_between(start: dt.date, end: dt.date) -> int:
    return current_calendar().working_days_between(start, end)
