"""Issue 18 “Done when”, the public side in a real browser (DOC-10, SUP-2, SUP-4, WF-8): a
neighbour objects on a 360 px phone through the village 公示 page and the town clerk reads the
objection on the case page; a complaint sent from a phone is routed by the county, handled,
answered and closed by the town in their browsers, and the complainant reads the reply on the
phone with the tracking number."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from jiuzhu.applications.tests.test_browser import as_user
from jiuzhu.applications.tests.test_decisions import publicizing_case
from jiuzhu.core.masking import mask_person_name
from journeys.conftest import CLERK, COUNTY

pytestmark = [pytest.mark.journey, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def narrow(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # no sideways scrolling


def test_journey_a_neighbour_objects_on_a_phone_and_the_clerk_reads_it_on_the_case(
    browser: Browser, live_server, world, signed_intake, contexts
):
    app = publicizing_case(world, signed_intake)
    base = live_server.url
    phone = browser.new_context(**PHONE)
    contexts.append(phone)
    page = phone.new_page()
    page.goto(f"{base}/public/gongshi/{app.area_code}/")  # the QR code on the 公示栏 sheet
    expect(page.get_by_test_id("gongshi-entry")).to_contain_text(mask_person_name(app.applicant.name))
    assert app.applicant.name not in page.content()
    page.get_by_label("异议理由").fill("他家新买了小轿车，收入不实")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_test_id("objection-done")).to_be_visible()
    narrow(page)

    clerk = as_user(browser, base, CLERK, contexts)
    clerk.goto(f"{base}/applications/{app.id}/")
    body = clerk.locator("main")
    expect(body).to_contain_text("他家新买了小轿车，收入不实")
    expect(body).to_contain_text("匿名（公示网页在线异议）")
    app.refresh_from_db()
    assert app.state == "deliberating"


def test_journey_a_complaint_from_a_phone_is_handled_to_closure_in_the_browser(
    browser: Browser, live_server, world, contexts
):
    base = live_server.url
    phone = browser.new_context(**PHONE)
    contexts.append(phone)
    page = phone.new_page()
    page.goto(f"{base}/public/complaints/new/")
    page.get_by_role("radio", name="投诉", exact=True).check()
    page.get_by_label("涉及的乡镇（街道）或村（社区）").select_option("370405101201")
    page.get_by_label("事项", exact=True).fill("村里评议不公开")
    page.get_by_label("具体内容", exact=True).fill("民主评议没有通知村民参加。")
    page.get_by_label("联系电话", exact=True).fill("13812345679")
    page.get_by_role("button", name="提交").click()
    number = page.get_by_test_id("tracking-number").inner_text()
    assert number.startswith("TS370405-")
    narrow(page)

    from jiuzhu.complaints.models import Complaint

    complaint = Complaint.objects.get(tracking_number=number)
    county = as_user(browser, base, COUNTY, contexts)
    county.goto(f"{base}/complaints/{complaint.pk}/")
    assign = county.locator("form.action-form", has_text="转办")
    assign.get_by_label("承办乡镇（街道）").select_option("370405101000")
    assign.get_by_label("承办人").select_option(str(world.user(CLERK).pk))
    assign.get_by_label("转办说明").fill("请属地核实")
    assign.get_by_role("button", name="转办").click()
    expect(county.get_by_test_id("complaint-status")).to_contain_text("办理中")

    town = as_user(browser, base, CLERK, contexts)
    town.goto(f"{base}/complaints/{complaint.pk}/")
    town.get_by_label("办理情况").fill("已到村核实，评议未张贴通知")
    town.locator("form.action-form", has_text="办理记录").get_by_role("button", name="记录").click()
    expect(town.get_by_test_id("complaint-notes")).to_contain_text("评议未张贴通知")
    town.get_by_label("答复内容").fill("经核实情况属实，已责成村委会重新组织评议并提前公告。")
    town.locator("form.action-form", has_text="答复投诉人").get_by_role("button", name="答复").click()
    town.get_by_label("办结说明").fill("已电话告知投诉人")
    town.locator("form.action-form", has_text="办结").get_by_role("button", name="办结").click()
    expect(town.get_by_test_id("complaint-status")).to_contain_text("已办结")

    page.goto(f"{base}/public/complaints/track/")
    page.get_by_label("受理编号").fill(number)
    page.get_by_label("联系电话或查询码").fill("13812345679")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("track-status")).to_have_text("已办结")
    expect(page.get_by_test_id("track-reply")).to_contain_text("重新组织评议")
    narrow(page)
