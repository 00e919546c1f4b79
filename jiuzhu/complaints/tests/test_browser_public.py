"""The public 投诉举报 form on a 360 px phone, in a real browser (SUP-4; issue 18 item 6)."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_neighbour_reports_from_a_phone_and_follows_it(page: Page, live_server, world):
    page.set_viewport_size({"width": 360, "height": 740})
    base = live_server.url
    page.goto(f"{base}/public/complaints/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    page.get_by_role("radio", name="举报", exact=True).check()
    page.get_by_label("涉及的乡镇（街道）或村（社区）").select_option("370405101201")
    page.get_by_label("事项", exact=True).fill("低保户另有住房")
    page.get_by_label("具体内容", exact=True).fill("该户在城里另有一套商品房。")
    page.get_by_label("联系电话", exact=True).fill("1381234")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("联系电话格式不正确")).to_be_visible()
    page.get_by_label("联系电话", exact=True).fill("13812345678")
    page.get_by_role("button", name="提交").click()
    number = page.get_by_test_id("tracking-number").inner_text()
    assert number.startswith("TS370405-")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="查询办理进度").first.click()
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("联系电话或查询码").fill("13812345678")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("track-status")).to_have_text("已受理")
