"""In a real browser: a county officer creates a budget line for 张山子镇, sets its monthly
plan, and sees the execution report with the month's actual payment from the ledger (FND-1,
FND-5, FND-11)."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from jiuzhu.funds.tests.conftest import YEAR
from jiuzhu.payments.tests.test_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_county_plans_a_budget_and_sees_its_execution(page: Page, live_server, approved_case, paid):
    """FND-1, FND-5, FND-11: budget line → monthly plan → execution with the ledger's actual."""
    paid(approved_case(), dt.date(YEAR, 11, 1), 1_234_00)
    base = live_server.url
    login(page, base, "tez_county")
    page.get_by_role("link", name="资金预算").first.click()
    page.get_by_role("link", name="预算科目").click()
    page.get_by_label("预算年度").fill(str(YEAR))
    page.get_by_label("预算单位").select_option("370405101000")
    page.get_by_label("救助项目").select_option("dibao")
    page.get_by_label("资金来源").select_option("provincial")
    page.get_by_label("年度预算（元）").fill("-5")
    page.get_by_role("button", name="新增").click()
    expect(page.get_by_text("金额不能为负数")).to_be_visible()
    page.get_by_label("年度预算（元）").fill("120000")
    page.get_by_label("财政困难县倾斜").check()
    page.get_by_label("倾斜说明").fill("省级补助向财政困难县倾斜")
    page.get_by_role("button", name="新增").click()
    expect(page.get_by_text("已新增预算科目")).to_be_visible()
    expect(page.get_by_test_id("line-budget")).to_have_text("120,000.00元")
    page.get_by_label("11月（元）").fill("130000")
    page.get_by_role("button", name="保存用款计划").click()
    expect(page.get_by_text("超过年度预算")).to_be_visible()
    page.get_by_label("11月（元）").fill("10000")
    page.get_by_label("12月（元）").fill("10000")
    page.get_by_role("button", name="保存用款计划").click()
    expect(page.get_by_test_id("line-planned")).to_have_text("20,000.00元")
    page.get_by_role("link", name="预算执行").first.click()
    rows = page.get_by_test_id("execution-row")
    expect(rows.filter(has_text="张山子镇")).to_contain_text("120,000.00元")
    expect(rows.filter(has_text="张山子镇")).to_contain_text("1,234.00元")
    expect(page.get_by_test_id("total-actual")).to_have_text("1,234.00元")
    expect(page.get_by_test_id("monthly")).to_contain_text("10,000.00元")
