"""Working-day calendar (工作日) for deadlines.

The official schedule comes from ``chinesecalendar`` (2004–2026 in 1.11.0) plus an
override table kept by administrators: single days marked as holiday or working day
(调休), and whole years entered by hand once the State Council publishes them. An
override always wins. A year that neither source covers raises ``CalendarDataMissing``
instead of silently treating it as a plain Monday-to-Friday year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import chinese_calendar  # type: ignore[import-untyped]

from .errors import DomainError

_PACKAGE_YEARS = frozenset(d.year for d in chinese_calendar.holidays) & frozenset(
    d.year for d in chinese_calendar.workdays
)
_PACKAGE_HOLIDAYS = frozenset(chinese_calendar.holidays)
_PACKAGE_WORKDAYS = frozenset(chinese_calendar.workdays)


class CalendarDataMissing(DomainError):
    """No official holiday schedule is known for a year."""

    def __init__(self, year: int) -> None:
        super().__init__(
            "calendar_data_missing",
            f"{year}年的法定节假日安排尚未录入，无法计算工作日期限。请系统管理员在“节假日安排”中录入该年度安排后重试。",
        )
        self.year = year


@dataclass(frozen=True)
class WorkingCalendar:
    """``overrides`` maps a date to True (working day) or False (day off);
    ``entered_years`` are years whose whole schedule an administrator has entered."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()

    def covers(self, year: int) -> bool:
        return year in _PACKAGE_YEARS or year in self.entered_years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if not self.covers(day.year):
            raise CalendarDataMissing(day.year)
        if day.year in _PACKAGE_YEARS:
            if day in _PACKAGE_WORKDAYS:
                return True
            if day in _PACKAGE_HOLIDAYS:
                return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted).

        ``add_working_days(friday, 1)`` is the next working day. ``days`` must be ≥ 0;
        with 0, ``start`` itself is returned if it is a working day, else the next one.
        """
        if days < 0:
            raise ValueError("days must be non-negative")
        day = start
        if days == 0:
            while not self.is_working_day(day):
                day += dt.timedelta(days=1)
            return day
        remaining = days
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in the half-open interval (start, end]; negative if end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def working_days(self, start: dt.date, end: dt.date) -> Iterable[dt.date]:
        day = start
        while day <= end:
            if self.is_working_day(day):
                yield day
            day += dt.timedelta(days=1)
