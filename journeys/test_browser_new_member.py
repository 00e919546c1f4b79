"""掌上办 at 360 px: a son-in-law declared new signs from his own phone, the other adult has left
(issue 18 items 1 and 2; INT-2, INT-22): the mother declares the son-in-law who moved in with his
own mobile number and the husband who moved out; the son-in-law signs from the SMS link on his
phone; the town clerk adopts the removal but not the new member (he is not yet registered
there), and the case page shows both their signatures 已作废 with the reason, the mother's
valid. A member without a registry phone reads the sign-in page's 一次性告知."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from jiuzhu.applications.models import Application
from jiuzhu.applications.tests.test_browser import as_user
from jiuzhu.portal.models import OnlineApplication
from jiuzhu.portal.tests import conftest as portal_fixtures
from jiuzhu.portal.tests.conftest import PHONES
from journeys.conftest import CLERK
from journeys.test_apply_online import PHONE, narrow, sign_in, sign_on_phone

pytestmark = [pytest.mark.journey, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_sms_to_file, sms_file = portal_fixtures._sms_to_file, portal_fixtures.sms_file  # the portal's fixtures


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("JIUZHU_SHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_journey_a_new_member_signs_online_and_the_clerk_voids_what_no_longer_counts(
    browser: Browser, live_server, world, clock, contexts, household_in, new_id, sms_file
):
    clock("2026-10-09 09:30")
    county = world.village_in("张山子镇").county_code
    ids = [new_id(age=48, gender="F", area=county), new_id(age=50, area=county)]
    her, husband = next(PHONES), next(PHONES)
    h = household_in(
        "张山子镇",
        members=[
            {"name": "孙桂英", "id_number": ids[0], "relation": "self", "phone": her},
            {"name": "周建军", "id_number": ids[1], "relation": "spouse", "phone": husband},
        ],
    )
    base = live_server.url
    mine = browser.new_context(**PHONE)
    contexts.append(mine)
    page = mine.new_page()
    page.goto(f"{base}/my/login/")
    expect(page.get_by_test_id("no-phone-notice")).to_contain_text("一次性告知")
    narrow(page)
    shot(page, "login-no-phone-notice-360")
    sign_in(page, base, ids[0], sms_file, her)
    page.get_by_test_id("apply-online").click()
    page.get_by_label("最低生活保障", exact=True).check()
    page.get_by_role("button", name="下一步").click()

    # the son-in-law who moved in: an adult, so his own mobile number is asked for
    page.get_by_text("新增家庭成员（出生、结婚、迁入等）").click()
    page.get_by_label("姓名", exact=True).fill("王志强")
    page.get_by_label("身份证号码").fill(new_id(age=27, area=county))
    page.get_by_label("与户主关系").select_option(label="其他")
    page.get_by_role("button", name="申报新增成员").click()
    expect(page.get_by_role("alert").first).to_contain_text("本人手机号")
    his = next(PHONES)
    page.get_by_label("本人手机号（成年人必填，用于本人签署授权书）").fill(his)
    page.get_by_role("button", name="申报新增成员").click()
    expect(page.get_by_test_id("declared-changes")).to_contain_text("王志强")
    page.get_by_text("家庭成员迁出（婚出、户口迁出、去世等）").click()
    page.get_by_label("迁出的成员").select_option(label="周建军（配偶）")
    page.get_by_label("迁出原因").fill("离婚迁出")
    page.get_by_role("button", name="申报迁出").click()
    expect(page.get_by_test_id("declared-changes")).to_contain_text("离婚迁出")

    row = page.get_by_test_id("signature").filter(has_text="王志强")
    expect(row).to_contain_text("新申报成员")
    narrow(page)
    for name in ("王志强", "周建军", "孙桂英"):
        page.get_by_test_id("signature").filter(has_text=name).get_by_role("button", name="发送签署链接").click()
        expect(page.get_by_role("status")).to_contain_text(f"签署链接已发送到{name}的手机")
    shot(page, "new-member-signatures-360")
    sign_on_phone(mine.new_page(), base, sms_file, her, "孙桂英")
    his_phone = browser.new_context(**PHONE)
    contexts.append(his_phone)
    sign_on_phone(his_phone.new_page(), base, sms_file, his, "王志强")
    other_phone = browser.new_context(**PHONE)
    contexts.append(other_phone)
    sign_on_phone(other_phone.new_page(), base, sms_file, husband, "周建军")
    page.reload()
    expect(page.get_by_test_id("signatures")).to_contain_text("手机号为申报新增成员时提供")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("online-state")).to_contain_text("已提交")

    # the clerk adopts the removal, not the new member (unticks him), and accepts
    clock("2026-10-10 09:00")
    clerk = as_user(browser, base, CLERK, contexts)
    clerk.goto(f"{base}/online-intake/")
    clerk.get_by_test_id("declared").get_by_label("新增家庭成员", exact=False).uncheck()
    clerk.get_by_test_id("accept-online").click()
    panel = clerk.get_by_test_id("online-signatures")
    expect(panel).to_contain_text("新增成员的申报未被采纳，其签署不计入")
    expect(panel).to_contain_text("成员迁出已采纳（离婚迁出），其签署不再计入")
    expect(panel.get_by_test_id("signature-void")).to_have_count(2)
    expect(panel.locator("tr", has_text="孙桂英")).to_contain_text("有效")
    shot(clerk, "case-panel-void-desk")

    online = OnlineApplication.objects.get(household=h)
    app = Application.objects.get(intake=online.intake)
    assert app.missing_documents == []
    assert set(h.members.values_list("name", flat=True)) == {"孙桂英"}
