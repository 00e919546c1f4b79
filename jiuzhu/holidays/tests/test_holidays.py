"""The override table of the working-day calendar (admin-editable; years after the package)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from jiuzhu.audit.models import AuditEntry
from jiuzhu.holidays.calendar import add_working_days, current_calendar, is_provisional
from jiuzhu.holidays.models import DayOverride, HolidayYear

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def test_a_day_override_changes_a_deadline():
    assert add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)
    DayOverride.objects.create(date=dt.date(2026, 11, 23), is_working_day=False, name="临时停工")
    assert add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 24)


def test_2027_is_estimated_until_its_schedule_is_entered():
    """Issue 14 item 13: no year without data blocks a deadline; entering it makes it official."""
    assert add_working_days(dt.date(2026, 12, 30), 2) == dt.date(2027, 1, 4)  # 元旦 off by law
    assert is_provisional(dt.date(2027, 1, 4))
    HolidayYear.objects.create(year=2027, source="测试")
    DayOverride.objects.create(date=dt.date(2027, 1, 1), is_working_day=False, name="元旦")
    assert add_working_days(dt.date(2026, 12, 30), 2) == dt.date(2027, 1, 4)
    assert current_calendar().covers(2027)
    assert not is_provisional(dt.date(2027, 1, 4))


@time_machine.travel(dt.datetime(2026, 12, 24, 10, 0, tzinfo=CST), tick=False)
def test_intake_and_emergency_aid_in_late_december_are_not_blocked(signed_intake, client_of):
    """WF-3, INT-5: on 24 December, deadlines reach into 2027: computed, shown as 暂估."""
    regular = signed_intake().applications.get()
    urgent = signed_intake(
        programs=("temporary",), temporary_kind="emergency", emergency_event="火灾"
    ).applications.get()
    assert regular.due_on.year == 2027 and regular.due_on.weekday() < 5
    assert urgent.deadlines.get(step="advance").hours == 24
    page = client_of("tez_zhangshanzi").get(regular.get_absolute_url()).content.decode()
    assert 'data-testid="provisional"' in page and "暂估" in page
    data = client_of("tez_zhangshanzi").get(f"/api/v1/applications/{regular.pk}").json()
    assert data["due_provisional"] is True
    overall = next(d for d in data["deadlines"] if d["step"] == "overall")
    assert overall["due_provisional"] is True


@time_machine.travel(dt.datetime(2026, 12, 24, 10, 0, tzinfo=CST), tick=False)
def test_entering_the_year_recomputes_open_deadlines_and_is_audited(signed_intake, client_of, world):
    """The State Council's schedule moves a day off: open deadlines follow, met ones stay."""
    app = signed_intake().applications.get()
    before = app.due_on
    investigation = app.deadlines.get(step="investigation").due_on
    c = client_of("tez_admin")
    r = c.post("/admin/holidays/holidayyear/add/", {"year": "2027", "source": "国办发明电〔2026〕9号"})
    assert r.status_code == 302, r.content.decode()[:400]
    # The official schedule has the provisional days; a 调休 day off before the due date moves it.
    off = dt.date(2027, 1, 4)
    assert before > off
    r = c.post("/admin/holidays/dayoverride/add/", {"date": off.isoformat(), "name": "元旦调休"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.due_on == add_working_days(before, 1) and app.due_on > before
    assert app.deadlines.get(step="overall").due_on == app.due_on
    assert app.deadlines.get(step="investigation").due_on in (investigation, add_working_days(investigation, 1))
    entries = AuditEntry.objects.filter(action="holidays.recompute").order_by("id")
    assert entries.count() == 2 and entries.last().changes["moved"] >= 2
    assert not is_provisional(app.due_on)


@pytest.mark.parametrize(("today", "warned"), [("2026-10-31", False), ("2026-11-01", True), ("2026-12-20", True)])
def test_the_administrator_is_warned_from_november(client_of, today, warned):
    with time_machine.travel(dt.datetime.fromisoformat(today + " 09:00").replace(tzinfo=CST), tick=False):
        page = client_of("tez_admin").get("/").content.decode()
        clerk = client_of("tez_zhangshanzi").get("/").content.decode()
    assert ('data-testid="calendar-missing"' in page) is warned
    assert 'data-testid="calendar-missing"' not in clerk
    if warned:
        assert "2027年国家法定节假日安排尚未录入" in page


def test_no_warning_once_next_year_is_entered(client_of):
    HolidayYear.objects.create(year=2027, source="国办发明电〔2026〕9号")
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=CST), tick=False):
        assert 'data-testid="calendar-missing"' not in client_of("tez_admin").get("/").content.decode()


def test_an_admin_can_edit_the_table_in_the_admin_site(client_of):
    c = client_of("tez_admin")
    r = c.post("/admin/holidays/dayoverride/add/", {"date": "2027-02-20", "is_working_day": "on", "name": "春节调休"})
    assert r.status_code == 302, r.content.decode()[:500]
    assert DayOverride.objects.get(date=dt.date(2027, 2, 20)).is_working_day
    assert client_of("tez_zhangshanzi").get("/admin/holidays/dayoverride/").status_code == 302
