"""Staff-conduct monitoring (issue 17 item 8): overdue work, decisions reversed without
reasons and work closed without a visit, counted by town and by person and listed for
supervisors — the county's 纪检监督 sees every town, a town's leadership its own.

DIS-10 (不作为、假作为、乱作为、慢作为 reported to supervisors)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from jiuzhu.applications.models import CaseDeadline, Investigation
from jiuzhu.monitoring.conduct import conduct_report
from jiuzhu.monitoring.models import Review

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 10)


@pytest.fixture(autouse=True)
def december_tenth():
    """The county's clock on 10 December 2026 (the pages and the API read today's date)."""
    with time_machine.travel(dt.datetime(2026, 12, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        yield


def _overdue(app, days_late=5, label="入户调查"):
    return CaseDeadline.objects.create(
        application=app,
        step="investigate",
        label=label,
        started_on=TODAY - dt.timedelta(days=20),
        due_on=TODAY - dt.timedelta(days=days_late),
        area_code=app.area_code,
    )


def _visited(app):
    Investigation.objects.create(
        application=app,
        visited_on=TODAY - dt.timedelta(days=30),
        investigators="王明、李红",
        housing="砖瓦房",
        living_conditions="困难",
        labour="务农",
        health="健康",
    )


@pytest.fixture
def two_towns(approved_case):
    """A case in 张山子镇 and one in 涧头集镇, each visited, each with a step 5 days overdue."""
    apps = [approved_case("张山子镇"), approved_case("涧头集镇")]
    for app in apps:
        _visited(app)
        _overdue(app)
    return apps


def test_it_counts_overdue_work_by_town_for_the_county_supervisor(world, two_towns):
    """DIS-10 慢作为: the county's supervisor sees both towns' overdue steps, by town."""
    report = conduct_report(by=world.user("tez_viewer"), today=TODAY)
    assert report["counts"]["overdue"] == 2
    towns = {t["name"]: t["overdue"] for t in report["by_town"]}
    assert towns == {"张山子镇": 1, "涧头集镇": 1}
    assert all("已超期5天" in i["detail"] for i in report["items"])


def test_it_shows_a_town_leader_only_the_own_town(world, two_towns):
    """DIS-10, GOV-1: the town's 审批 leadership supervises its own town only."""
    report = conduct_report(by=world.user("tez_zhangshanzi_sp"), today=TODAY)
    assert [t["name"] for t in report["by_town"]] == ["张山子镇"]


def test_it_finds_a_review_reversed_without_reason_and_closed_without_a_visit(world, approved_case):
    """DIS-10 乱作为 / 假作为: a review concluded 调整金额 with no reason and no household
    recorded at the visit; a monthly case approved with no 入户调查 on file."""
    app = approved_case()
    Review.objects.create(
        application=app,
        area_code=app.area_code,
        county_code=app.county_code,
        kind="periodic",
        status="decided",
        due_on=TODAY,
        reason="定期复核",
        outcome="change",
        note="",
        decided_at=timezone.now(),
    )
    report = conduct_report(by=world.user("tez_viewer"), today=TODAY)
    assert report["counts"]["reversed_no_reason"] == 1
    assert report["counts"]["closed_no_visit"] == 2  # the review without facts, the case without 入户调查
    details = [i["detail"] for i in report["items"]]
    assert "复核结论为“调整金额”，未填写理由" in details
    assert any("没有入户调查记录" in d for d in details)


def test_it_narrows_to_a_month(world, two_towns):
    assert conduct_report(by=world.user("tez_viewer"), month="2026-12", today=TODAY)["counts"]["overdue"] == 2
    assert conduct_report(by=world.user("tez_viewer"), month="2026-10", today=TODAY)["total"] == 0


def test_it_lists_through_the_api_with_jurisdiction_and_precise_errors(world, two_towns, api_of):
    """GET /api/v1/monitoring/conduct: counts and list; another town is 404, a bad month or
    area code is a 422 naming the field, a role without the right is 403 — never a 500."""
    county = api_of("tez_viewer").get("/api/v1/monitoring/conduct")
    assert county.status_code == 200 and county.json()["counts"]["overdue"] == 2
    town = api_of("tez_zhangshanzi_sp")
    assert town.get("/api/v1/monitoring/conduct?area_code=370405103000").status_code == 404
    mine = town.get("/api/v1/monitoring/conduct?area_code=370405101000&month=2026-12")
    assert mine.status_code == 200 and {t["name"] for t in mine.json()["by_town"]} <= {"张山子镇"}
    bad = town.get("/api/v1/monitoring/conduct?month=2026-13")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_month" and "月份" in bad.json()["message"]
    bad = town.get("/api/v1/monitoring/conduct?area_code=abc")
    assert bad.status_code == 422 and "区划代码" in bad.json()["message"]
    assert api_of("tez_beiluo").get("/api/v1/monitoring/conduct").status_code == 403


def test_it_shows_the_page_from_the_navigation(world, two_towns, client_of):
    client = client_of("tez_viewer")
    home = client.get("/").content.decode()
    assert "/payments/conduct/" in home and "工作作风监督" in home
    page = client.get("/payments/conduct/?month=2026-12")
    text = page.content.decode()
    assert page.status_code == 200 and "张山子镇" in text and "涧头集镇" in text and "超期未办" in text
    assert client.get("/payments/conduct/?month=12-2026").status_code == 200  # the error is shown, not raised
    assert client_of("tez_beiluo").get("/payments/conduct/").status_code == 404


def test_it_counts_late_work_by_the_person_who_received_the_case(world, approved_case):
    """DIS-10 慢作为 by person: a step done 3 days after its date is counted for the clerk who
    received the case."""
    app = approved_case()
    _visited(app)
    clerk = world.user("tez_zhangshanzi")
    app.intake.created_by = clerk
    app.intake.save(update_fields=["created_by"])
    d = _overdue(app, days_late=6)
    d.met_on = d.due_on + dt.timedelta(days=3)
    d.save(update_fields=["met_on"])
    report = conduct_report(by=world.user("tez_viewer"), today=TODAY)
    assert report["counts"]["late"] == 1 and report["counts"]["overdue"] == 0
    assert report["by_person"] == [{"person": clerk.display_name, "town": "张山子镇", "total": 1}]
    assert "超期3天" in report["items"][0]["detail"]


def test_it_reads_in_constant_queries(world, approved_case, django_assert_max_num_queries):
    """Counts are SQL aggregates; only the listed rows are read: the number of queries does not
    grow with the number of cases."""
    for _ in range(6):
        app = approved_case()
        _overdue(app)
    with django_assert_max_num_queries(20):
        report = conduct_report(by=world.user("tez_viewer"), today=TODAY)
    assert report["counts"]["overdue"] == 6 and report["counts"]["closed_no_visit"] == 6
