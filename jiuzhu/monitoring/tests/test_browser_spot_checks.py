"""抽查 in a real browser (SUP-5): the county opens 抽查 from the navigation, draws (confirming),
concludes a drawn case as 存在问题; the town's 审批 finds it in 我的待办 and answers with 整改."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from jiuzhu.applications.models import Application
from jiuzhu.monitoring.models import SpotCheckItem

from .test_browser_oversight import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_county_draws_and_the_town_answers(page: Page, live_server, world, approved_case):
    cases = [approved_case("张山子镇") for _ in range(3)]
    Application.objects.filter(pk__in=[c.pk for c in cases]).update(
        decided_by=world.user("tez_zhangshanzi_sp"), decided_at=timezone.now() - dt.timedelta(days=1)
    )
    base, today = live_server.url, timezone.localdate()
    login(page, base, "tez_county")
    page.get_by_role("link", name="抽查", exact=True).first.click()
    expect(page.get_by_test_id("spot-check-percent")).to_contain_text("30%")
    page.get_by_label("抽查名称").fill("12月审批抽查")
    page.get_by_label("审批日期起").fill((today - dt.timedelta(days=30)).isoformat())
    page.get_by_label("审批日期止").fill(today.isoformat())
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("draw").click()
    expect(page.get_by_text("已从3件审批决定中随机抽取1件")).to_be_visible()
    item = SpotCheckItem.objects.get()
    row = page.get_by_test_id(f"spot-item-{item.pk}")
    row.get_by_label("抽查结论").select_option("problem")
    row.get_by_label("发现的问题").fill("入户调查记录缺少调查人员签字")
    row.get_by_role("button", name="保存结论").click()
    expect(page.get_by_test_id(f"spot-item-{item.pk}")).to_contain_text("存在问题：入户调查记录缺少调查人员签字")

    login(page, base, "tez_zhangshanzi_sp")
    page.get_by_role("link", name="我的待办").first.click()
    page.get_by_role("link", name="入户调查记录缺少调查人员签字", exact=False).click()
    row = page.get_by_test_id(f"spot-item-{item.pk}")
    row.get_by_label("整改情况").fill("已补充签字并归档")
    row.get_by_role("button", name="反馈整改").click()
    expect(page.get_by_test_id("spot-check-summary")).to_contain_text("已整改1件")
    item.refresh_from_db()
    assert item.rectification == "已补充签字并归档" and item.rectified_by.username == "tez_zhangshanzi_sp"
