"""政策找人 (issue 17 item 3): a warning becomes a 核查任务 for the village of the person's
address; the grid worker visits and closes it with an outcome; overdue tasks go to the town."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiuzhu.accounts.system import system_user
from jiuzhu.monitoring.actions.grid import close_task, escalate_overdue, record_visit, save_rule
from jiuzhu.monitoring.models import GridTask, MonitoringRule
from jiuzhu.monitoring.warnings import evaluate_warnings
from jiuzhu.verification.tests.conftest import catalog, csv_bytes, headers_of, jobs, row_for, upload

__all__ = ["catalog", "jobs", "upload"]

BEILUO = "370405101201"  # 北洛村, tez_beiluo's village
HOUMENG = "370405101202"  # 侯孟村, the next village of 张山子镇
TODAY = dt.date.today()


def plain_id(person: Any) -> str:
    from jiuzhu.registry.pii import unseal

    return str(unseal("id_number", person.id_number_enc))


def medical_rule(world: Any, program: str = "temporary") -> MonitoringRule:
    return save_rule(
        None,
        {
            "code": "medical_20k",
            "name": "医疗自付费用过高",
            "level": "red",
            "reason": "近12个月医保个人自付超过2万元，可能因病致贫",
            "program": program,
            "condition": {"measure": "medical_expense_12m", "op": ">=", "value": 20000},
            "valid_from": "2024-01-01",
            "source_document": "示例值：县民政局预警规则",
        },
        by=world.user("tez_county"),
    )


def medical_spend(upload: Any, person: Any, yuan: int, *others: Any) -> Any:
    """A 医保 file: ``yuan`` out of pocket for ``person`` (and each of ``others``) 30 days ago."""
    rows = [
        row_for(
            "yibao.expense",
            id_number=plain_id(p),
            hospital="枣庄市立医院",
            settled_on=str(TODAY - dt.timedelta(days=30)),
            total=str(yuan * 2),
            reimbursed=str(yuan),
            own=str(yuan),
        )
        for p in (person, *others)
    ]
    return upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")


@pytest.fixture
def family_in(world: Any, new_id: Any) -> Any:
    from jiuzhu.registry.actions import create_household

    def make(village: str = BEILUO) -> Any:
        members = [
            {"name": "王大山", "id_number": new_id(age=50), "relation": "self"},
            {"name": "李小花", "id_number": new_id(age=48, gender="F"), "relation": "spouse"},
        ]
        return create_household(by=system_user(), area_code=village, address="北洛村8号", members=members)

    return make


@pytest.fixture
def task_in(world: Any, catalog: Any, family_in: Any, upload: Any) -> Any:
    """An open 核查任务 from a 医保 warning for a family of the given village."""

    def make(village: str = BEILUO) -> GridTask:
        h = family_in(village)
        medical_spend(upload, h.members.get(relation="self"), 30000)
        if not MonitoringRule.objects.exists():
            medical_rule(world)
        evaluate_warnings("370405", by=system_user())
        return GridTask.objects.get(household=h)

    return make


def test_it_sends_the_task_to_the_village_of_the_address(task_in: Any, client_of: Any) -> None:
    """DIS-6: the task belongs to 北洛村; its worker sees it on 我的核查任务, with a deadline."""
    task = task_in()
    assert task.area_code == BEILUO and task.status == "open" and task.due_on > TODAY
    page = client_of("tez_beiluo").get("/monitoring/tasks/")
    assert page.status_code == 200 and "王大山" in page.content.decode()


def test_another_village_cannot_see_or_touch_the_task(task_in: Any, client_of: Any, world: Any) -> None:
    """DIS-6: a task of 侯孟村 is 404 for 北洛村's worker, on the page and in the API."""
    task = task_in(HOUMENG)
    c = client_of("tez_beiluo")
    assert c.get(f"/monitoring/tasks/{task.pk}/").status_code == 404
    r = c.post(f"/api/v1/tasks/{task.pk}/actions/record_visit", {"situation": "x"}, content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert c.get("/api/v1/tasks").json()["count"] == 0


def test_it_records_a_visit_with_a_photo(task_in: Any, world: Any) -> None:
    """DIS-6: the phone form — situation, needs and an optional photo."""
    from jiuzhu.applications.tests.conftest import png

    task = task_in()
    photo = SimpleUploadedFile("visit.png", png(), "image/png")
    task = record_visit(
        task, by=world.user("tez_beiluo"), situation="户主住院，妻子照料", needs="医疗费用", photo=photo
    )
    assert task.status == "visited" and task.photo is not None and task.photo.kind == "photo"


def test_it_needs_a_reason_to_close_as_not_eligible(task_in: Any, client_of: Any) -> None:
    """DIS-6: not_eligible without a reason → 422 naming the field; the task stays open."""
    task = task_in()
    c = client_of("tez_beiluo")
    c.post(f"/api/v1/tasks/{task.pk}/actions/record_visit", {"situation": "已走访"}, content_type="application/json")
    r = c.post(f"/api/v1/tasks/{task.pk}/actions/close", {"outcome": "not_eligible"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "note"
    task.refresh_from_db()
    assert task.status == "visited"
    r = c.post(
        f"/api/v1/tasks/{task.pk}/actions/close",
        {"outcome": "not_eligible", "note": "家庭有稳定经营收入"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["warning_status"] == "closed"


def test_it_refers_to_a_department(task_in: Any, world: Any) -> None:
    """DIS-6: referred names the department."""
    task = close_task(task_in(), by=world.user("tez_beiluo"), outcome="referred", referred_to="区残联")
    assert (task.outcome, task.referred_to) == ("referred", "区残联")


def test_closing_as_applied_opens_a_prefilled_intake(task_in: Any, world: Any) -> None:
    """INT-11: the worker applies for the family from the task (帮办代办 with the signed
    委托书); the new case is linked, channel 主动发现, the household's data prefilled."""
    from jiuzhu.applications.tests.conftest import png

    task = task_in()
    by = world.user("tez_beiluo")
    record_visit(task, by=by, situation="户主住院", needs="医疗救助")
    with pytest.raises(Exception) as exc:
        close_task(task, by=by, outcome="applied")
    assert getattr(exc.value, "field", "") == "signature"
    task = close_task(task, by=by, outcome="applied", signature=png())
    app = task.application
    assert app is not None and app.household_id == task.household_id and app.program == "temporary"
    assert app.temporary_kind == "illness" and app.intake.channel == "village"


def test_the_town_sees_escalated_overdue_tasks(task_in: Any, client_of: Any, world: Any) -> None:
    """DIS-10: an overdue task is escalated by the nightly job and shows at the town."""
    task = task_in()
    assert escalate_overdue(by=system_user(), today=task.due_on + dt.timedelta(days=1)) == 1
    assert escalate_overdue(by=system_user(), today=task.due_on + dt.timedelta(days=1)) == 0
    town = client_of("tez_zhangshanzi")
    items = town.get("/api/v1/tasks?status=escalated").json()["items"]
    assert [i["id"] for i in items] == [task.pk] and items[0]["escalated"] is True
    assert "已上报乡镇" in town.get("/monitoring/tasks/?status=escalated").content.decode()


def test_the_api_refuses_an_unknown_action(task_in: Any, client_of: Any) -> None:
    task = task_in()
    r = client_of("tez_beiluo").post(f"/api/v1/tasks/{task.pk}/actions/delete", {}, content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "unknown_action"


def test_the_close_buttons_ask_for_confirmation(task_in: Any, client_of: Any) -> None:
    """DIS-6: the task page has the visit form and close buttons that confirm first."""
    task = task_in()
    html = client_of("tez_beiluo").get(f"/monitoring/tasks/{task.pk}/").content.decode()
    assert 'name="situation"' in html and "data-confirm" in html and "确定" in html


def test_the_page_closes_a_task_with_an_outcome(task_in: Any, client_of: Any) -> None:
    task = task_in()
    c = client_of("tez_beiluo")
    r = c.post(f"/monitoring/tasks/{task.pk}/record_visit/", {"situation": "已入户", "needs": ""})
    assert r.status_code == 302
    r = c.post(f"/monitoring/tasks/{task.pk}/close/", {"outcome": "already_helped", "note": ""})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.outcome == "already_helped"


def test_the_worker_escalates_a_task_through_the_api(task_in: Any, api_of: Any) -> None:
    """DIS-10: the village cannot settle it → 上报乡镇; a second escalation is refused (409)."""
    task = task_in()
    api = api_of("tez_beiluo")
    url = f"/api/v1/tasks/{task.pk}/actions/escalate"
    r = api.post(url, {"note": "户主外出务工，联系不上"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["escalated"] is True
    again = api.post(url, {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_escalated"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_my_tasks_fit_a_phone(task_in: Any, live_server: Any, page: Any) -> None:
    """DIS-6: 我的核查任务 at 375 px: no horizontal scrolling, the visit form usable on a phone."""
    from playwright.sync_api import expect

    from jiuzhu.web.demo import DEMO_PASSWORD

    task = task_in()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("tez_beiluo")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.get_by_role("link", name="我的核查任务").click()
    expect(page.get_by_role("heading", name="我的核查任务")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("link", name="王大山").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("走访情况").fill("户主住院，家中无人照料")
    page.get_by_test_id("record-visit").click()
    expect(page.get_by_test_id("task-status")).to_have_text("已走访")
    page.get_by_label("核查结果").select_option("already_helped")
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("close-task").click()
    expect(page.get_by_test_id("task-outcome")).to_contain_text("已获得救助帮扶")
    assert GridTask.objects.get(pk=task.pk).status == "closed"


def test_the_task_waits_in_the_workers_list_then_the_towns_once_escalated(task_in: Any, world: Any) -> None:
    """我的待办: a 核查任务 waits for its village's 网格员 (visit, then close); escalated (上报乡镇)
    it waits for the town's staff instead; another village's task is never in the list."""
    from jiuzhu.monitoring.actions.grid import escalate_task
    from jiuzhu.web.work import work_for

    def waiting(username: str) -> list[str]:
        return [w.step for w in work_for(world.user(username)) if w.kind == "task"]

    task = task_in()
    task_in(HOUMENG)
    assert waiting("tez_beiluo") == ["入户走访核查"] and waiting("tez_zhangshanzi") == []
    record_visit(task, by=world.user("tez_beiluo"), situation="家中有一名长期住院病人")
    assert waiting("tez_beiluo") == ["登记核查结果并办结"]
    escalate_task(task, by=world.user("tez_beiluo"), note="医疗费用高，需乡镇研究")
    assert waiting("tez_beiluo") == []
    assert "上报乡镇：登记核查结果并办结" in waiting("tez_zhangshanzi")
    close_task(task, by=world.user("tez_zhangshanzi"), outcome="already_helped", note="已纳入医疗救助")
    assert waiting("tez_zhangshanzi") == []
