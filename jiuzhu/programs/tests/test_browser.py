"""救助测算 in a real browser: a window clerk opens a registered family, adds its income,
and sees which programs it may qualify for and why (INT-4)."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_screens_a_registered_family(page: Page, live_server, world, household_in):
    h = household_in("张山子镇")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("tez_zhangshanzi")
    page.get_by_label("密码").fill("jiuzhu-demo-2026")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/households/{h.id}/")
    page.get_by_role("main").get_by_role("link", name="救助测算").click()
    expect(page.get_by_test_id("facts-2")).to_be_visible()  # three members brought over
    page.get_by_label("测算日期").fill("2026-03-01")
    page.get_by_test_id("facts-0").get_by_label("月工资性收入（元）").fill("1500")
    page.get_by_role("button", name="测算", exact=True).click()
    result = page.get_by_test_id("result-dibao")
    expect(result).to_contain_text("符合条件")
    expect(result).to_contain_text("家庭月人均收入低于当地低保标准")
    expect(page.get_by_test_id("result-tekun")).to_contain_text("不符合条件")
    expect(page.get_by_test_id("amount-dibao")).to_have_text("1,600.00元")


def test_a_clerk_screens_a_severely_disabled_adult_applying_alone(page: Page, live_server, world, household_in):
    """issue 14 item 14 (PRG-1, INT-4): the clerk ticks 单独申请 for the head of a 低保边缘
    family who is severely disabled: the family is 低保边缘, the head alone qualifies for 低保."""
    h = household_in("张山子镇")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("tez_zhangshanzi")
    page.get_by_label("密码").fill("jiuzhu-demo-2026")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/eligibility/?household={h.id}")
    page.get_by_label("测算日期").fill("2026-03-01")
    head = page.get_by_test_id("facts-0")
    head.get_by_label("残疾类别").select_option("physical")
    head.get_by_label("残疾等级").select_option("1")
    page.get_by_test_id("facts-1").get_by_label("月工资性收入（元）").fill("1600")
    page.get_by_test_id("facts-2").get_by_label("月工资性收入（元）").fill("1600")
    page.get_by_label("单独申请（低保边缘家庭中的成年重度残疾人、重病患者，参照单人户）").check()
    page.get_by_role("button", name="测算", exact=True).click()
    result = page.get_by_test_id("result-dibao")
    expect(result).to_contain_text("符合条件")
    expect(result).to_contain_text("单独申请：所在共同生活家庭为低保边缘家庭")
    expect(result).to_contain_text("单独申请人为成年的重度残疾人或重病患者")
    expect(page.get_by_test_id("result-dibao_edge")).to_contain_text("符合条件")
