"""Oversight in a real browser: the county's 纪检监督 opens 工作作风监督 from the navigation and
sees both towns' overdue work; the town's leadership sees its own town only (DIS-10)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from jiuzhu.applications.models import CaseDeadline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "jiuzhu-demo-2026"


def login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()


def test_a_supervisor_finds_overdue_work_by_town(page: Page, live_server, approved_case):
    today = timezone.localdate()
    for town in ("张山子镇", "涧头集镇"):
        app = approved_case(town)
        CaseDeadline.objects.create(
            application=app,
            step="investigate",
            label="入户调查",
            started_on=today - dt.timedelta(days=20),
            due_on=today - dt.timedelta(days=5),
            area_code=app.area_code,
        )
    base = live_server.url
    login(page, base, "tez_viewer")
    page.get_by_role("link", name="工作作风监督").first.click()
    towns = page.get_by_test_id("conduct-towns")
    expect(towns).to_contain_text("张山子镇")
    expect(towns).to_contain_text("涧头集镇")
    expect(page.get_by_test_id("conduct-items")).to_contain_text("已超期5天")

    login(page, base, "tez_zhangshanzi_sp")
    page.get_by_role("link", name="工作作风监督").first.click()
    expect(page.get_by_test_id("conduct-towns")).to_contain_text("张山子镇")
    expect(page.get_by_test_id("conduct-towns")).not_to_contain_text("涧头集镇")
