"""The override table of the working-day calendar (admin-editable; years after the package)."""

import datetime as dt

import pytest

from jiuzhu.core.workdays import CalendarDataMissing
from jiuzhu.holidays.calendar import add_working_days, current_calendar
from jiuzhu.holidays.models import DayOverride, HolidayYear

pytestmark = pytest.mark.django_db


def test_a_day_override_changes_a_deadline():
    assert add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)
    DayOverride.objects.create(date=dt.date(2026, 11, 23), is_working_day=False, name="临时停工")
    assert add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 24)


def test_2027_needs_an_entered_schedule():
    with pytest.raises(CalendarDataMissing):
        add_working_days(dt.date(2026, 12, 30), 5)
    HolidayYear.objects.create(year=2027, source="测试")
    DayOverride.objects.create(date=dt.date(2027, 1, 1), is_working_day=False, name="元旦")
    assert add_working_days(dt.date(2026, 12, 30), 2) == dt.date(2027, 1, 4)
    assert current_calendar().covers(2027)


def test_an_admin_can_edit_the_table_in_the_admin_site(client_of):
    c = client_of("tez_admin")
    r = c.post("/admin/holidays/dayoverride/add/", {"date": "2027-02-20", "is_working_day": "on", "name": "春节调休"})
    assert r.status_code == 302, r.content.decode()[:500]
    assert DayOverride.objects.get(date=dt.date(2027, 2, 20)).is_working_day
    assert client_of("tez_zhangshanzi").get("/admin/holidays/dayoverride/").status_code == 302
