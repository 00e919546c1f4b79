"""Working-day calendar against the official 2026 schedule (DOMAIN.md) and the override table."""

import datetime as dt

import pytest

from jiuzhu.core.workdays import WorkingCalendar, statutory_holidays

D = dt.date
cal = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 1, 1), False),
        (D(2026, 1, 2), False),
        (D(2026, 1, 4), True),  # 元旦, Sunday worked
        (D(2026, 2, 14), True),
        (D(2026, 2, 16), False),
        (D(2026, 2, 23), False),
        (D(2026, 2, 28), True),
        (D(2026, 4, 6), False),
        (D(2026, 5, 5), False),
        (D(2026, 5, 9), True),
        (D(2026, 6, 19), False),
        (D(2026, 9, 25), False),
        (D(2026, 9, 20), True),
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),
        (D(2026, 10, 12), True),
        (D(2026, 10, 11), False),
    ],
)
def test_it_follows_the_official_2026_schedule(day, working):
    assert cal.is_working_day(day) is working


def test_it_skips_the_national_day_week():
    # 12 working days (seed 004) from Friday 2026-09-25 (中秋, off): 9/28,29,30, 10/8,9,10(Sat worked),12…
    assert cal.add_working_days(D(2026, 9, 24), 12) == D(2026, 10, 19)


def test_it_counts_working_days_between_dates():
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert cal.working_days_between(D(2026, 10, 8), D(2026, 9, 30)) == -1


def test_a_year_without_data_is_counted_provisionally_not_refused():
    """Issue 14 item 13 (WF-3): intake in late December must not fail; 2027 is estimated."""
    assert cal.is_provisional(D(2027, 1, 4)) and not cal.is_provisional(D(2026, 12, 31))
    # 2026-12-28 (Mon) + 10 working days: 12/29,30,31, 1/1 元旦 off, 1/4…1/8, 1/11, 1/12 → 2027-01-12
    assert cal.add_working_days(D(2026, 12, 28), 10) == D(2027, 1, 12)
    # 春节 2027: 除夕 2/5 (Fri) to 初三 2/8 (Mon) are off.
    assert [cal.is_working_day(D(2027, 2, d)) for d in (4, 5, 8, 9)] == [True, False, False, True]


def test_statutory_days_agree_with_the_official_schedules_we_have():
    """The provisional rule reproduces the statutory days of 2025 and 2026 (国务院令第795号)."""
    for year in (2025, 2026):
        days = statutory_holidays(year)
        assert len(days) == 13
        assert all(not cal.is_working_day(d) for d in days), year


def test_an_override_wins_over_the_package():
    custom = WorkingCalendar(overrides={D(2026, 11, 23): False})
    assert custom.is_working_day(D(2026, 11, 23)) is False


def test_an_entered_year_uses_its_overrides_and_weekends():
    c2027 = WorkingCalendar(overrides={D(2027, 1, 1): False, D(2027, 2, 6): True}, entered_years=frozenset({2027}))
    assert c2027.is_working_day(D(2027, 1, 1)) is False
    assert c2027.is_working_day(D(2027, 1, 4)) is True
    assert c2027.is_working_day(D(2027, 1, 9)) is False  # Saturday
    assert c2027.is_working_day(D(2027, 2, 6)) is True  # a 调休 Saturday
    assert c2027.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_zero_days_lands_on_the_next_working_day():
    assert cal.add_working_days(D(2026, 10, 1), 0) == D(2026, 10, 8)
