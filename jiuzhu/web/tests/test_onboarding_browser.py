"""The 开通县区 page in a real browser (issue 16 item 5; GOV-3, GOV-5, GOV-17, STD-1): a
superuser uploads 薛城区's three files, sees what will be written, confirms, hands out the
one-time passwords shown once; the new county administrator signs in with one and finds every
item of the checklist ticked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "onboarding" / "example"
ROOT_PASSWORD = "root-onboard-2026"


def sign_in(browser: Browser, base: str, username: str, password: str, opened: list[Any]) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened.append(context)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    return page


def test_a_county_is_onboarded_on_the_page_and_its_administrator_sees_the_checklist(
    browser: Browser, live_server: Any, world: Any, contexts: list[Any]
) -> None:
    from jiuzhu.accounts.models import User

    User.objects.create_superuser("root_onboard", password=ROOT_PASSWORD)
    page = sign_in(browser, live_server.url, "root_onboard", ROOT_PASSWORD, contexts)
    page.get_by_test_id("home-onboarding").click()
    page.get_by_label("县级区划代码").fill("370403")
    page.get_by_role("button", name="查看").click()
    checklist = page.get_by_test_id("onboarding-checklist")
    expect(checklist).to_contain_text("尚缺8项")
    expect(page.get_by_test_id("check-roles")).to_contain_text("缺少岗位：镇窗口经办")

    page.get_by_label("区划文件 areas.csv").set_input_files(str(EXAMPLE / "areas.csv"))
    page.get_by_label("工作人员 staff.xlsx").set_input_files(str(EXAMPLE / "staff.xlsx"))
    page.get_by_label("县区设置 county.yaml").set_input_files(str(EXAMPLE / "county.yaml"))
    page.get_by_role("button", name="校验并预览").click()
    plan = page.get_by_test_id("onboarding-plan")
    expect(plan).to_contain_text("账号：新建 xc_admin")
    expect(plan).to_contain_text("农村低保标准：770.00元/人·月")
    assert not User.objects.filter(username="xc_admin").exists()

    page.get_by_role("button", name="确认开通").click()
    expect(page.get_by_test_id("onboarding-report")).to_contain_text("开通材料已导入")
    expect(page.get_by_test_id("onboarding-checklist")).to_contain_text("各项均已就绪")
    row = page.get_by_test_id("onboarding-passwords").get_by_role("row").filter(has_text="xc_admin")
    password = row.locator("code").inner_text()
    assert len(password) == 14

    admin = sign_in(browser, live_server.url, "xc_admin", password, contexts)
    admin.goto(f"{live_server.url}/onboarding/")
    expect(admin.get_by_test_id("onboarding-checklist")).to_contain_text("薛城区（370403）开办检查：各项均已就绪")
    expect(admin.get_by_test_id("check-dibao_standards")).to_contain_text("农村低保标准：770元")
    expect(admin.get_by_test_id("onboarding-checklist").get_by_text("✗")).to_have_count(0)
    other = admin.goto(f"{live_server.url}/onboarding/?county=370405")
    assert other is not None and other.status == 404
