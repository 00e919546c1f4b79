"""`make demo` loads the demo world once; a second run changes nothing.

The demo is loaded once for the module (``demo_loaded`` in the root conftest: the command run on
the empty test database, rolled back when the module ends); each test sees it as just loaded and
its own changes, second runs included, are rolled back after it."""

import pytest
from django.core.management import call_command

from jiuzhu.accounts.models import User
from jiuzhu.audit.models import AuditEntry
from jiuzhu.registry.models import Household, Person

pytestmark = pytest.mark.django_db


def snapshot():
    from jiuzhu.applications.models import Application, CaseDeadline, Notice
    from jiuzhu.payments.models import LedgerEntry

    return (
        Household.objects.count(),
        Person.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
        Application.objects.count(),
        CaseDeadline.objects.count(),
        Notice.objects.count(),
        LedgerEntry.objects.count(),
    )


def test_the_demo_loads_and_is_idempotent(demo_loaded, capsys):
    """The demo, its cases (救助申请) included, loads once; a second run adds nothing."""
    # the first run, on the empty database (the module's fixture), generated everything
    assert "已生成演示家庭" in demo_loaded and "已生成演示救助申请" in demo_loaded
    assert "未做修改" not in demo_loaded
    first = snapshot()
    assert first[0] >= 300 and first[1] >= 700
    assert 15 <= first[4] <= 25
    call_command("load_demo")
    assert snapshot() == first
    assert "未做修改" in capsys.readouterr().out


def test_the_demo_has_the_people_later_issues_need(demo_loaded):
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


def test_the_demo_counties_are_ready_to_take_their_first_case(demo_loaded):
    """Issue 16 item 5: the 开办检查 of every demo county has nothing missing (the demo itself is
    a county onboarded with its settings, staff, standards and programs)."""
    from jiuzhu.web.onboarding import missing_items

    assert [(item.label, item.detail) for item in missing_items("370405")] == []


def test_the_demo_gives_beiluo_open_grid_tasks(demo_loaded):
    """DIS-1, DIS-6 (issue 17): after the demo, 北洛村's worker has open 核查任务 from rules."""
    from jiuzhu.accounts.models import User
    from jiuzhu.monitoring.models import GridTask, MonitoringRule

    assert MonitoringRule.objects.filter(county_code="370405").count() >= 3
    mine = GridTask.objects.visible_to(User.objects.get(username="tez_beiluo")).unclosed()
    assert mine.count() >= 2
    # DIS-3: the 医保's 疑似困难人员名单 of the month reached 北洛村 too, with its report
    from jiuzhu.monitoring.models import SuspectedList

    report = SuspectedList.objects.get(source_code="yibao.suspected", county_code="370405")
    assert report.created >= 2 and report.unknown == 1 and report.open_warnings + report.recipients >= 1
    assert mine.filter(warning__rule__code="suspected.yibao").count() >= 2
    call_command("load_demo")
    assert GridTask.objects.visible_to(User.objects.get(username="tez_beiluo")).unclosed().count() == mine.count()


def test_the_demo_has_cases_in_every_stage_a_county_sees(demo_loaded):
    """WF-1, WF-2, WF-5, INT-1, INT-16, VER-4 (demo cases): after the demo, 台儿庄区 has cases of 张山子镇
    and 涧头集镇 in every stage reachable on the day the demo is loaded, each driven through the
    real actions: its audit trail, its deadlines (限时办理) and its notices exist."""
    from collections import Counter

    from jiuzhu.applications.models import Application, CaseDeadline
    from jiuzhu.monitoring.models import EmergencyHousehold
    from jiuzhu.payments.models import LedgerEntry

    cases = Application.objects.filter(county_code="370405")
    states = Counter(cases.values_list("state", flat=True))
    for state in (
        "accepted",
        "returned",
        "investigating",
        "reviewing",
        "publicizing",
        "deliberating",
        "rejected",
        "withdrawn",
        "advance_paid",
        "approved",
    ):
        assert states[state] >= 1, (state, states)
    assert {a[:9] for a in cases.values_list("area_code", flat=True)} == {"370405101", "370405103"}
    assert set(cases.values_list("program", flat=True)) == {"dibao", "tekun", "temporary"}
    assert cases.filter(program="dibao", urban=True).exists() and cases.filter(program="dibao", urban=False).exists()
    advance_paid = cases.filter(program="temporary", temporary_kind="emergency", advance_amount_fen__gt=0)
    relieved = EmergencyHousehold.objects.exclude(application=None).values("application")
    assert advance_paid.exclude(pk__in=relieved).count() == 2  # the demo's own cases
    assert advance_paid.filter(pk__in=relieved).count() == 3  # the demo 应急期's batch relief
    for app in cases:
        actions = list(
            AuditEntry.objects.filter(object_type="applications.application", object_id=str(app.pk))
            .order_by("pk")
            .values_list("action", flat=True)
        )
        assert actions[:1] == ["applications.intake"], (app.number, actions)
        assert app.deadlines.filter(step="overall").exists(), app.number
        assert app.notices.filter(kind="receipt").exists(), app.number
    assert cases.get(state="returned", program="dibao").notices.filter(kind="checklist").exists()
    rejected = cases.get(state="rejected")
    assert rejected.notices.filter(kind="rejection").exists() and rejected.rejection_reasons
    assert rejected.deadlines.filter(step="rejection_notice", met_on__isnull=False).exists()
    deliberating = cases.get(state="deliberating")
    assert deliberating.objections.count() == 1
    assert all(app.publicity_end for app in cases.filter(state="publicizing"))
    assert CaseDeadline.objects.filter(application__in=cases.filter(state="investigating"), step="investigation")
    assert cases.get(state="withdrawn").deadlines.filter(met_on__isnull=True).count() == 0
    for advanced in cases.filter(state="advance_paid"):  # the demo's own case and the 应急期's relieved households
        assert advanced.notices.filter(kind="advance").exists()
        assert advanced.deadlines.filter(step="registration", met_on__isnull=True).exists()
    assert cases.filter(state="advance_paid").exclude(pk__in=relieved).count() == 1
    assert cases.get(state="approved").notices.filter(kind="approval").exists()
    # 先行救助 is paid from the town's 备用金: a real ledger entry for each
    assert LedgerEntry.objects.filter(application__in=cases.filter(advance_amount_fen__gt=0)).count() >= 2


def test_the_demo_cases_show_in_the_lists_of_their_town_only(demo_loaded, client):
    """WF-1 and ARCHITECTURE rule 4 (jurisdiction): 张山子镇's clerk sees 张山子镇's demo cases on 救助申请 and in the
    API, not 涧头集镇's, and they are on its 我的待办; the county officer sees both towns."""
    from jiuzhu.applications.models import Application

    client.force_login(User.objects.get(username="tez_zhangshanzi"))
    mine = Application.objects.filter(area_code__startswith="370405101")
    theirs = Application.objects.filter(area_code__startswith="370405103")
    page = client.get("/applications/").content.decode()
    assert mine.first().number in page and theirs.first().number not in page
    listed = client.get("/api/v1/applications").json()
    numbers = {item["number"] for item in listed["items"]}
    assert mine.first().number in numbers and not numbers & set(theirs.values_list("number", flat=True))
    # 我的待办: the window's open demo cases, on the page and through the API
    accepted = mine.filter(state="accepted").first()
    assert accepted.number in client.get("/work/").content.decode()
    work = client.get("/api/v1/me/work").json()
    assert any(accepted.number in item["title"] or f"/{accepted.pk}/" in item["url"] for item in work["items"])
    assert client.get("/applications/overdue/").status_code == 200
    client.logout()
    client.force_login(User.objects.get(username="tez_county"))
    listed = client.get("/api/v1/applications").json()
    numbers = {item["number"] for item in listed["items"]}
    assert theirs.first().number in numbers


def test_the_demo_tells_each_of_its_18_stories_to_its_stage(demo_loaded):
    """The demo's cases (one shared walk with the tests: ``applications.walk``): each of the 18
    stories is present once, in the state its last step leaves it in."""
    from jiuzhu.applications.models import Application
    from jiuzhu.verification.models import Report
    from jiuzhu.web.demo_cases import CASES, MARK

    state_of = {"investigated": "investigating", "registered": "approved"}
    got = {
        remarks.removeprefix(MARK): (state, program)
        for remarks, state, program in Application.objects.filter(intake__remarks__startswith=MARK).values_list(
            "intake__remarks", "state", "program"
        )
    }
    assert len(CASES) == 18 and len(got) == 18
    assert got == {c.key: (state_of.get(c.stage, c.stage), c.program) for c in CASES}
    # 入户调查 done for both; 一键核对 only for the "investigated" one
    walked = {
        a.intake.remarks.removeprefix(MARK): a
        for a in Application.objects.filter(state="investigating", intake__remarks__startswith=MARK)
    }
    assert Report.objects.filter(application=walked["zsz-investigating-2"]).exists()
    assert not Report.objects.filter(application=walked["zsz-investigating-1"]).exists()
    assert all(a.investigations.exists() for a in walked.values())


def test_the_demo_has_an_emergency_period_with_relief_paid(demo_loaded):
    """WF-12, LNK-9, PRG-12 (issue 17 item 6): after the demo, 涧头集镇 is in an emergency period
    whose listed households were each paid 24-hour 先行救助 from the town's reserve, once."""
    from jiuzhu.monitoring.models import Emergency, EmergencyHousehold, EmergencyRelief
    from jiuzhu.payments.models import LedgerEntry

    e = Emergency.objects.get(county_code="370405", status="active")
    assert e.area_code == "370405103000" and "示例值" in e.source_document
    rows = EmergencyHousehold.objects.filter(emergency=e)
    assert rows.count() == 3 and all(r.application_id and r.advance_fen == e.advance_fen for r in rows)
    assert EmergencyRelief.objects.get(emergency=e).status == "done"
    apps = [r.application_id for r in rows]
    paid = LedgerEntry.objects.filter(application_id__in=apps, kind="payment", source="reserve")
    assert paid.count() == 3 and sum(p.amount_fen for p in paid) == 3 * e.advance_fen
    call_command("load_demo")
    assert Emergency.objects.filter(county_code="370405").count() == 1
    assert LedgerEntry.objects.filter(application_id__in=apps, kind="payment", source="reserve").count() == 3


def test_the_demo_shows_a_realistic_month(demo_loaded, world):
    """Issue 17 item 9 ("demo data shows a realistic month"): a handful of warnings per village,
    北洛村 keeps open tasks for its worker, and the yield and conduct pages show closed tasks
    with their outcomes — all made by the actions on the day the demo loads. (Here with the demo
    loaded once for the module; it was in ``monitoring/tests/test_yield.py``.)"""
    from collections import Counter

    from jiuzhu.monitoring.conduct import conduct_report
    from jiuzhu.monitoring.measured_yield import yield_report
    from jiuzhu.monitoring.models import GridTask, Warning

    per_village = Counter(Warning.objects.filter(county_code="370405").values_list("area_code", flat=True))
    assert 10 <= sum(per_village.values()) <= 80 and max(per_village.values()) <= 8
    assert GridTask.objects.visible_to(world.user("tez_beiluo")).unclosed().count() >= 2
    total = yield_report(by=world.user("tez_county"))["total"]
    assert total["warnings"] == sum(per_village.values())
    closed = sum(total["outcomes"].values())
    assert closed >= 5 and total["outcome_applied"] >= 1 and total["applications"] >= 1
    assert total["outcome_not_eligible"] >= 1 and total["outcome_referred"] >= 1
    assert conduct_report(by=world.user("tez_viewer"))["counts"]["task_no_visit"] >= 1
