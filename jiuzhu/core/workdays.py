"""Working-day calendar (工作日) for deadlines.

The official schedule comes from ``chinesecalendar`` (2004–2026 in 1.11.0) plus an
override table kept by administrators: single days marked as holiday or working day
(调休), and whole years entered by hand once the State Council publishes them. An
override always wins.

A year that neither source covers is never a reason to stop work (an intake in late
December counts into January): it is computed with a provisional calendar (暂估) — weekends
plus the statutory holidays of 《全国年节及纪念日放假办法》 on their dates, without the
调休 make-up days nobody knows yet — and every date computed from it is marked 暂估 until
the year's schedule is entered and open deadlines are recomputed.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import chinese_calendar  # type: ignore[import-untyped]
from lunardate import LunarDate  # type: ignore[import-untyped]

_PACKAGE_YEARS = frozenset(d.year for d in chinese_calendar.holidays) & frozenset(
    d.year for d in chinese_calendar.workdays
)
_PACKAGE_HOLIDAYS = frozenset(chinese_calendar.holidays)
_PACKAGE_WORKDAYS = frozenset(chinese_calendar.workdays)


def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The 13 days of 《全国年节及纪念日放假办法》 (国务院令第795号, from 2025): 元旦 1, 春节 4
    (除夕 to 初三), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3 — without 调休 make-up days."""
    new_year = LunarDate(year, 1, 1).to_solar_date()
    days = {dt.date(year, 1, 1): "元旦"}
    days.update({new_year + dt.timedelta(days=n): "春节" for n in range(-1, 3)})
    days.update(
        {
            d: "清明节"
            for d, term in chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 30))
            if term == "清明"
        }
    )
    days.update({dt.date(year, 5, 1): "劳动节", dt.date(year, 5, 2): "劳动节"})
    days[LunarDate(year, 5, 5).to_solar_date()] = "端午节"
    days[LunarDate(year, 8, 15).to_solar_date()] = "中秋节"
    days.update({dt.date(year, 10, n): "国庆节" for n in (1, 2, 3)})
    return days


@functools.cache
def _statutory(year: int) -> frozenset[dt.date]:
    return frozenset(statutory_holidays(year))


@dataclass(frozen=True)
class WorkingCalendar:
    """``overrides`` maps a date to True (working day) or False (day off);
    ``entered_years`` are years whose whole schedule an administrator has entered."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()

    def covers(self, year: int) -> bool:
        return year in _PACKAGE_YEARS or year in self.entered_years

    def is_provisional(self, day: dt.date) -> bool:
        """True if ``day`` lies in a year whose official schedule is not known (暂估)."""
        return not self.covers(day.year)

    def is_working_day(self, day: dt.date) -> bool:
        """An override wins; then the package's official schedule; otherwise weekends and the
        statutory days are off — for an entered year the State Council's notice only adds
        days off and 调休 working days (its overrides), for a year not entered that is 暂估."""
        if day in self.overrides:
            return self.overrides[day]
        if day.year in _PACKAGE_YEARS:
            if day in _PACKAGE_WORKDAYS:
                return True
            if day in _PACKAGE_HOLIDAYS:
                return False
            return day.weekday() < 5
        return day.weekday() < 5 and day not in _statutory(day.year)

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
