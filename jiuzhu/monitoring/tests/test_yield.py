"""Measured yield (成效, issue 17 item 9) and the conduct category of tasks closed without a
visit (issue 17 item 8). Counts come from warnings the rules raised from uploaded department
data and tasks the workers closed through the actions — nothing is inserted as an aggregate.

DIS-11 (each rule's and each department list's yield and precision), DIS-10 (假作为: a 核查任务
closed without a visit record)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jiuzhu.monitoring.actions.grid import close_task, record_visit
from jiuzhu.monitoring.conduct import conduct_report
from jiuzhu.monitoring.measured_yield import yield_report
from jiuzhu.monitoring.tests.test_tasks import BEILUO, HOUMENG, family_in, task_in
from jiuzhu.verification.tests.conftest import catalog, jobs, upload

__all__ = ["catalog", "family_in", "jobs", "task_in", "upload"]

pytestmark = pytest.mark.django_db
MONTH = f"{timezone.localdate():%Y-%m}"


@pytest.fixture
def month_of_work(task_in: Any, world: Any) -> dict[str, Any]:
    """Four 医保 warnings of the month: in 北洛村 one closed as not found without a visit, one
    visited and closed as not eligible, one still open; in 侯孟村 one referred without a visit."""
    worker = world.user("tez_beiluo")
    tasks = [task_in(), task_in(), task_in(), task_in(HOUMENG)]
    close_task(tasks[0], by=worker, outcome="not_found", note="该户已外出多年，邻居称不知去向")
    record_visit(tasks[1], by=worker, situation="户主在县城务工，收入稳定")
    close_task(tasks[1], by=worker, outcome="not_eligible", note="家庭有稳定务工收入")
    close_task(tasks[3], by=world.user("tez_zhangshanzi"), outcome="referred", referred_to="区医保局")
    return {"tasks": tasks}


def test_it_counts_the_month_by_rule_and_by_department_list(world: Any, month_of_work: Any) -> None:
    """DIS-11, issue 17 item 9: warnings, tasks, on time / open, outcomes, precision — from
    the actions; the department list is the 医保 source the warnings came from."""
    report = yield_report(by=world.user("tez_county"), month=MONTH)
    [rule] = report["by_rule"]
    assert rule["code"] == "medical_20k"
    assert (rule["warnings"], rule["tasks"], rule["on_time"], rule["late"], rule["open"]) == (4, 4, 3, 0, 1)
    assert rule["outcomes"] == {
        "applied": 0,
        "referred": 1,
        "not_eligible": 1,
        "not_found": 1,
        "already_helped": 0,
    }
    assert (rule["applications"], rule["approved"], rule["precision"]) == (0, 0, 0.0)
    assert rule["median_days_to_payment"] is None
    [source] = report["by_source"]
    assert source["source"] == "yibao.expense" and "医保" in source["name"] and source["warnings"] == 4
    assert report["total"]["warnings"] == 4 and report["total"]["cells"] == rule["cells"]


def test_a_town_sees_its_own_villages_and_another_town_nothing(world: Any, month_of_work: Any) -> None:
    """Jurisdiction: 张山子镇 counts its two villages; 涧头集镇 sees an empty month."""
    assert yield_report(by=world.user("tez_zhangshanzi"), month=MONTH)["total"]["warnings"] == 4
    narrowed = yield_report(by=world.user("tez_zhangshanzi"), month=MONTH, area_code=HOUMENG)
    assert narrowed["total"]["warnings"] == 1 and narrowed["total"]["outcome_referred"] == 1
    assert yield_report(by=world.user("tez_jiantouji"), month=MONTH)["by_rule"] == []


def test_it_reads_in_a_fixed_number_of_queries(world: Any, task_in: Any, django_assert_num_queries: Any) -> None:
    """Set-based: GROUP BY per dimension and one query for payment delays, whatever the size."""
    for _ in range(3):
        task_in()
    by = world.user("tez_county")
    by.has_perm_code("registry.view")  # the role's permissions are cached on the user
    with django_assert_num_queries(3):
        report = yield_report(by=by, month=MONTH)
    assert report["total"]["warnings"] == 3


def test_the_api_checks_month_area_and_role(world: Any, month_of_work: Any, api_of: Any) -> None:
    """GET /api/v1/monitoring/yield (fixed path): 422 for a bad month or area, 404 outside the
    jurisdiction, 403 for a village worker — never a 500."""
    ok = api_of("tez_county").get(f"/api/v1/monitoring/yield?month={MONTH}")
    assert ok.status_code == 200 and ok.json()["total"]["warnings"] == 4
    assert ok.json()["by_rule"][0]["outcomes"]["not_found"] == 1
    town = api_of("tez_jiantouji")
    assert town.get(f"/api/v1/monitoring/yield?area_code={BEILUO}").status_code == 404
    bad = town.get("/api/v1/monitoring/yield?month=2026-13")
    assert bad.status_code == 422 and bad.json()["field"] == "month"
    assert town.get("/api/v1/monitoring/yield?month=abc").status_code == 422
    assert town.get("/api/v1/monitoring/yield?area_code=12x").status_code == 422
    assert api_of("tez_beiluo").get("/api/v1/monitoring/yield").status_code == 403


def test_the_page_shows_counts_exports_and_an_empty_month(world: Any, month_of_work: Any, client_of: Any) -> None:
    """The page (linked from the monitoring menu) and its Excel export; an empty month says so in Chinese."""
    c = client_of("tez_county")
    assert "/monitoring/yield/" in c.get("/monitoring/warnings/").content.decode()
    html = c.get(f"/monitoring/yield/?month={MONTH}").content.decode()
    assert "医疗自付费用过高" in html and "查无此人" in html and "0.0%" in html
    empty = c.get("/monitoring/yield/?month=2020-01").content.decode()
    assert "2020-01 没有预警" in empty
    assert "月份格式" in c.get("/monitoring/yield/?month=2020-1x").content.decode()
    r = c.get(f"/monitoring/yield.xlsx?month={MONTH}")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][3] == "预警数" and rows[1][2] == "医疗自付费用过高" and rows[1][3] == 4
    assert rows[1][1] == "临时救助" and "medical_20k" not in str(rows)  # names, never the internal code
    assert rows[-1][0] == "合计" and rows[-1][3] == 4
    assert client_of("tez_beiluo").get("/monitoring/yield/").status_code == 403
    assert "/monitoring/yield/" not in client_of("tez_beiluo").get("/monitoring/tasks/").content.decode()


def test_conduct_counts_tasks_closed_without_a_visit(
    world: Any, month_of_work: Any, api_of: Any, client_of: Any
) -> None:
    """DIS-10 假作为: the two tasks closed with no visit record (not found, referred) are listed
    for the county's supervisor; the visited one is not."""
    report = conduct_report(by=world.user("tez_viewer"), month=MONTH)
    assert report["counts"]["task_no_visit"] == 2
    items = [i for i in report["items"] if i["kind"] == "task_no_visit"]
    assert {i["area_code"] for i in items} == {BEILUO, HOUMENG}
    assert any("查无此人" in i["detail"] and "没有入户走访记录" in i["detail"] for i in items)
    town = {t["name"]: t["task_no_visit"] for t in report["by_town"]}
    assert town == {"张山子镇": 2}
    api = api_of("tez_viewer").get(f"/api/v1/monitoring/conduct?month={MONTH}").json()
    assert api["counts"]["task_no_visit"] == 2
    html = client_of("tez_viewer").get(f"/payments/conduct/?month={MONTH}").content.decode()
    assert "核查任务未走访即办结" in html and "/monitoring/tasks/" in html
    assert conduct_report(by=world.user("tez_viewer"), month="2020-01")["counts"]["task_no_visit"] == 0
