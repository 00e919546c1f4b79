"""Done-when of the 一体联动 issue in a real browser: approving a 低保 case at 张山子镇 refers
the family to 医保局 and 教体局; tez_yibao works its inbox and records the 参保资助; the
family's service list shows it; an overdue referral shows up on the county board."""

import datetime as dt

import pytest
from playwright.sync_api import Browser, expect

from jiuzhu.applications.tests.test_browser import as_user, press
from jiuzhu.applications.tests.test_walk import investigate_and_verify, use
from jiuzhu.referrals.models import Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_approval_refers_and_the_department_records_its_help(
    browser: Browser, live_server, world, signed_intake, contexts
):
    use("devolved")
    app = signed_intake().applications.get()
    child = app.household.members.get(relation="child")
    child.school_status = "junior"
    child.save()
    app = investigate_and_verify(world, app, incomes={"wage": 80000})
    base = live_server.url

    approver = as_user(browser, base, "tez_zhangshanzi_sp", contexts)
    approver.goto(f"{base}/applications/{app.pk}/")
    press(approver, "批准并在村（居）公示结果")
    expect(approver.get_by_test_id("state")).to_have_text("结果公示中")
    from jiuzhu.applications.models import Application

    Application.objects.filter(pk=app.pk).update(publicity_end=dt.date.today() - dt.timedelta(days=1))
    clerk = as_user(browser, base, "tez_zhangshanzi", contexts)
    clerk.goto(f"{base}/applications/{app.pk}/")
    press(clerk, "公示期满无异议")
    expect(clerk.get_by_test_id("state")).to_have_text("已批准")
    referrals = clerk.get_by_test_id("case-referrals")
    expect(referrals).to_contain_text("医疗保障局")
    expect(referrals).to_contain_text("教育和体育局")

    yibao = as_user(browser, base, "tez_yibao", contexts)
    yibao.goto(f"{base}/referrals/")
    expect(yibao.get_by_test_id("referral-table")).not_to_contain_text("教育救助")
    yibao.get_by_test_id("referral-table").get_by_role("link").first.click()
    yibao.get_by_role("button", name="接收").click()
    expect(yibao.get_by_test_id("referral-status")).to_have_text("办理中")
    actions = yibao.get_by_test_id("referral-actions")
    for amount in actions.get_by_test_id("recipients").locator("input").all():  # each member's own premium
        amount.fill("380")
    actions.get_by_label("办理结果说明").fill("已资助城乡居民医保个人缴费")
    actions.get_by_role("button", name="反馈结果").click()
    expect(yibao.get_by_test_id("referral-status")).to_have_text("已救助")

    clerk.goto(f"{base}/households/{app.household_id}/lists/")
    expect(clerk.get_by_test_id("service-list")).to_contain_text("困难群众参加基本医疗保险资助")
    expect(clerk.get_by_test_id("care-list")).to_be_visible()

    overdue = Referral.objects.filter(household=app.household, department__code="jiaoti").get()
    Referral.objects.filter(pk=overdue.pk).update(due_on=dt.date(2026, 1, 5))
    county = as_user(browser, base, "tez_county", contexts)
    county.goto(f"{base}/referrals/board/")
    expect(county.get_by_test_id("board-overdue")).to_contain_text(overdue.number)


def test_a_department_grant_to_one_member_shows_once_on_the_two_lists(
    browser: Browser, live_server, approved_dibao, contexts
):
    """issue 14 item 6 in the browser (LNK-3, REG-3): 医保局 records a 24,000 元 grant for the
    sick spouse only; the family's 两清单 shows it once, with its total once."""
    app = approved_dibao()
    spouse = app.household.members.get(relation="spouse")
    ref = next(r for r in app.created_referrals if r.department.code == "yibao")
    base = live_server.url
    yibao = as_user(browser, base, "tez_yibao", contexts)
    yibao.goto(f"{base}/referrals/{ref.pk}/")
    form = yibao.get_by_test_id("referral-actions")
    m = next(m for m in ref.facts["members"] if m["person_id"] == spouse.pk)
    form.get_by_label(f"{m['name']}（{m['relation']}，{m['age']}岁）的救助金额（元）").fill("24000")
    form.get_by_label("办理结果说明").fill("重特大疾病医疗救助")
    form.get_by_role("button", name="反馈结果").click()
    expect(yibao.get_by_test_id("referral-status")).to_have_text("已救助")
    expect(yibao.get_by_test_id("result")).to_contain_text("24,000.00元")

    clerk = as_user(browser, base, "tez_zhangshanzi", contexts)
    clerk.goto(f"{base}/households/{app.household_id}/lists/")
    service = clerk.get_by_test_id("service-list")
    expect(service.get_by_text("24,000.00元")).to_have_count(2)  # the grant's row and the total
    expect(service.locator("tbody tr").filter(has_text="参保资助")).to_have_count(1)
    expect(service.locator("tbody tr").filter(has_text="参保资助")).to_contain_text(spouse.name)


def test_a_clerk_refers_on_paper_and_records_the_reply(browser: Browser, live_server, approved_dibao, contexts):
    """issue 14 item 11 in the browser (LNK-1, LNK-3): 慈善总会 has no account, so the clerk
    refers on paper, prints the 转办单 and records the reply slip by hand."""
    app = approved_dibao()
    base = live_server.url
    clerk = as_user(browser, base, "tez_zhangshanzi", contexts)
    clerk.goto(f"{base}/households/{app.household_id}/lists/")
    online = clerk.get_by_test_id("refer-online")
    expect(online.get_by_label("派单项目")).not_to_contain_text("慈善")
    paper = clerk.get_by_test_id("refer-paper")
    paper.get_by_label("线下转办项目").select_option("charity_assistance")
    paper.get_by_label("转办事由").fill("重病后生活困难")
    paper.get_by_role("button", name="登记线下转办").click()
    expect(clerk.get_by_test_id("office")).to_contain_text("台儿庄区慈善总会")
    expect(clerk.get_by_test_id("office")).to_contain_text("线下转办")
    href = clerk.get_by_test_id("print-transfer").get_attribute("href")
    printed = clerk.request.get(f"{base}{href}")
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"

    reply = clerk.get_by_test_id("record-reply")
    reply.locator("input[name^=amount_yuan_]").first.fill("5000")
    reply.get_by_label("回复单位及人员").fill("区慈善总会 王某")
    reply.get_by_label("回复内容").fill("发放慈善救助金")
    reply.get_by_role("button", name="登记回复").click()
    expect(clerk.get_by_test_id("referral-status")).to_have_text("已救助")
    clerk.goto(f"{base}/households/{app.household_id}/lists/")
    expect(clerk.get_by_test_id("service-list")).to_contain_text("慈善救助")
    expect(clerk.get_by_test_id("service-list")).to_contain_text("5,000.00元")
