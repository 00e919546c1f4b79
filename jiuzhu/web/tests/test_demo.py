"""`make demo` loads the demo world once; a second run changes nothing."""

import pytest
from django.core.management import call_command

from jiuzhu.accounts.models import User
from jiuzhu.audit.models import AuditEntry
from jiuzhu.registry.models import Household, Person

pytestmark = pytest.mark.django_db


def snapshot():
    return (Household.objects.count(), Person.objects.count(), User.objects.count(), AuditEntry.objects.count())


def test_the_demo_loads_and_is_idempotent(capsys):
    call_command("load_demo")
    first = snapshot()
    assert first[0] >= 300 and first[1] >= 700
    call_command("load_demo")
    assert snapshot() == first
    assert "未做修改" in capsys.readouterr().out


def test_the_demo_has_the_people_later_issues_need():
    call_command("load_demo")
    people = Person.objects.all()
    assert people.filter(disability_grade__in=[1, 2]).exists()
    assert people.filter(employment_status="unemployed").exists()
    assert people.filter(school_status__in=["primary", "junior", "senior", "university"]).exists()
    assert Household.objects.filter(member_count=1, members__birth_date__year__lte=1966).exists()
    assert Household.objects.filter(rigid_expense_yearly_fen__gte=3_000_000).exists()
    assert Household.objects.filter(area__code__startswith="370405103").exists()
    assert Household.objects.filter(area__code__startswith="370321").exists()
    assert set(User.objects.values_list("username", flat=True)) >= {
        "tez_admin",
        "tez_county",
        "tez_zhangshanzi",
        "tez_jiantouji",
        "tez_hecha",
        "tez_yibao",
        "tez_viewer",
    }


def test_the_demo_counties_are_ready_to_take_their_first_case():
    """Issue 16 item 5: the 开办检查 of every demo county has nothing missing (the demo itself is
    a county onboarded with its settings, staff, standards and programs)."""
    from jiuzhu.web.onboarding import missing_items

    call_command("load_demo")
    assert [(item.label, item.detail) for item in missing_items("370405")] == []


def test_the_demo_gives_beiluo_open_grid_tasks():
    """DIS-1, DIS-6 (issue 17): after the demo, 北洛村's worker has open 核查任务 from rules."""
    from jiuzhu.accounts.models import User
    from jiuzhu.monitoring.models import GridTask, MonitoringRule

    call_command("load_demo")
    assert MonitoringRule.objects.filter(county_code="370405").count() >= 3
    mine = GridTask.objects.visible_to(User.objects.get(username="tez_beiluo")).unclosed()
    assert mine.count() >= 2
    call_command("load_demo")
    assert GridTask.objects.visible_to(User.objects.get(username="tez_beiluo")).unclosed().count() == mine.count()
