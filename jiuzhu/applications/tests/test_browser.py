"""Done-when of the applications issue, in a real browser: a 低保 case from intake at 张山子镇
with only an ID card, through home visit, verification (the 核对员's one click), 公示,
objection and 民主评议, to approval and notices — on both procedure configurations."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from jiuzhu.applications.models import Application
from jiuzhu.applications.tests.support import use_preset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "jiuzhu-demo-2026"


def as_user(browser: Browser, base: str, username: str, opened: list | None = None) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if opened is not None:
        opened.append(context)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    return page


def sign_every_pad(page: Page) -> None:
    for canvas in page.locator("canvas[data-signature]").all():
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + 30, box["y"] + 70)
        page.mouse.down()
        page.mouse.move(box["x"] + 150, box["y"] + 40, steps=6)
        page.mouse.move(box["x"] + 260, box["y"] + 90, steps=6)
        page.mouse.up()


def press(page: Page, label: str) -> None:
    page.get_by_test_id("actions").get_by_role("button", name=label).click()


@pytest.mark.parametrize("preset", ["devolved", "national"])
def test_a_dibao_case_walks_from_intake_to_approval(
    preset, browser: Browser, live_server, world, household_in, contexts
):
    from jiuzhu.registry.pii import unseal

    use_preset(preset)
    household = household_in("张山子镇")
    head = household.members.get(relation="self")
    base = live_server.url

    clerk = as_user(browser, base, "tez_zhangshanzi", contexts)
    clerk.goto(f"{base}/applications/new/")
    clerk.get_by_label("申请人身份证号码").fill(unseal("id_number", head.id_number_enc))
    clerk.get_by_role("button", name="查询").click()
    expect(clerk.get_by_test_id("screening")).to_be_visible()
    clerk.locator("input[name=programs][value=dibao]").check()
    clerk.get_by_test_id("facts-0").get_by_label("月工资性收入（元）").fill("800")
    sign_every_pad(clerk)
    clerk.get_by_role("button", name="受理并出具回执").click()
    expect(clerk.get_by_text(re.compile("已受理（回执编号"))).to_be_visible()
    app = Application.objects.get(household=household)
    expect(clerk.get_by_test_id("notices")).to_contain_text("受理通知书")

    press(clerk, "开始入户调查与核对")
    expect(clerk.get_by_test_id("state")).to_have_text("调查核对中")
    clerk.get_by_role("link", name="录入入户调查").click()
    clerk.get_by_label("调查日期").fill(dt.date.today().isoformat())
    clerk.get_by_label("调查人员（两人，用顿号分隔）").fill("王明、李红")
    clerk.get_by_label("住房情况").fill("自有砖瓦房两间")
    clerk.get_by_label("生活状况").fill("收入低，生活困难")
    clerk.get_by_label("劳动就业情况").fill("户主务农")
    clerk.get_by_label("健康状况").fill("健康")
    clerk.get_by_role("button", name="保存调查记录").click()
    expect(clerk.get_by_text("入户调查已录入")).to_be_visible()

    hecha = as_user(browser, base, "tez_hecha", contexts)
    hecha.goto(f"{base}/verification/")
    hecha.get_by_test_id("pending-requests").get_by_role("row").filter(has_text=app.number).get_by_role(
        "button", name="一键核对"
    ).click()
    expect(hecha.get_by_text(re.compile("已出具核对报告"))).to_be_visible()

    clerk.reload()
    press(clerk, "提交审核")
    expect(clerk.get_by_test_id("state")).to_have_text("待审核确认")

    approver = as_user(browser, base, "tez_zhangshanzi_sp", contexts)
    approver.goto(f"{base}/applications/{app.pk}/")
    press(approver, "批准并在村（居）公示结果" if preset == "devolved" else "提出审核意见并公示")
    expect(approver.get_by_test_id("state")).to_have_text("结果公示中")

    clerk.reload()
    actions = clerk.get_by_test_id("actions")
    actions.get_by_label("异议人").fill("村民代表赵某")
    actions.get_by_label("收到日期").fill(dt.date.today().isoformat())
    actions.get_by_label("异议内容").fill("其子外出务工，收入情况需核实")
    press(clerk, "登记公示异议")
    expect(clerk.get_by_test_id("state")).to_have_text("民主评议中")
    actions = clerk.get_by_test_id("actions")
    actions.get_by_label("评议日期").fill(dt.date.today().isoformat())
    actions.get_by_label("参加人员").fill("镇村干部、村民代表共9人")
    actions.get_by_label("评议记录").fill("核实其子务工收入不稳定，同意维持")
    actions.get_by_label("同意票").fill("8")
    actions.get_by_label("反对票").fill("1")
    press(clerk, "录入民主评议")
    expect(clerk.get_by_test_id("state")).to_have_text("待审批")

    decider = approver if preset == "devolved" else as_user(browser, base, "tez_county", contexts)
    decider.goto(f"{base}/applications/{app.pk}/")
    press(decider, "维持批准" if preset == "devolved" else "审核确认（批准）")
    if preset == "devolved":  # upheld within the 公示: it runs on to its end, then the clerk closes it
        expect(decider.get_by_test_id("state")).to_have_text("结果公示中")
        Application.objects.filter(pk=app.pk).update(publicity_end=dt.date.today() - dt.timedelta(days=1))
        clerk.goto(f"{base}/applications/{app.pk}/")
        press(clerk, "公示期满无异议")
        decider = clerk
    expect(decider.get_by_test_id("state")).to_have_text("已批准")
    expect(decider.get_by_test_id("decision")).to_contain_text("批准")
    expect(decider.get_by_test_id("notices")).to_contain_text("审批（确认）通知书")
    app.refresh_from_db()
    assert app.state == "approved" and app.amount_fen > 0


def test_an_emergency_is_paid_within_the_day_and_registered_later(
    browser: Browser, live_server, world, household_in, contexts
):
    """Seed 004: 急难型临时救助 — 先行救助 from the town's reserve, then 补办登记."""
    from jiuzhu.funds import actions as funds
    from jiuzhu.registry.pii import unseal

    fund = funds.open_reserve(by=world.user("tez_county"), town_code="370405101")
    funds.top_up_reserve(fund, by=world.user("tez_county"), amount_fen=5_000_000)
    household = household_in("张山子镇")
    head = household.members.get(relation="self")
    base = live_server.url
    clerk = as_user(browser, base, "tez_zhangshanzi", contexts)
    clerk.goto(f"{base}/applications/new/")
    clerk.get_by_label("申请人身份证号码").fill(unseal("id_number", head.id_number_enc))
    clerk.get_by_role("button", name="查询").click()
    for box in clerk.locator("input[name=programs]:checked").all():
        box.uncheck()
    clerk.locator("input[name=programs][value=temporary]").check()
    clerk.get_by_label("临时救助类型").select_option("emergency")
    clerk.get_by_label("急难事件").select_option("fire")
    clerk.get_by_label("急难事由说明").check()
    sign_every_pad(clerk)
    clerk.get_by_role("button", name="受理并出具回执").click()
    expect(clerk.get_by_test_id("state")).to_have_text("已受理")
    clerk.get_by_test_id("actions").get_by_label("先行救助金额（元）").fill("1000")
    press(clerk, "急难先行救助")
    expect(clerk.get_by_test_id("state")).to_have_text("已先行救助·待补登记")
    expect(clerk.get_by_test_id("notices")).to_contain_text("急难型临时救助先行救助登记表")
    press(clerk, "补办登记")
    expect(clerk.get_by_test_id("state")).to_have_text("已批准")
    app = Application.objects.get(household=household)
    assert app.advance_amount_fen == 100000 and app.amount_fen == 100000


def test_a_missing_authorization_is_signed_later_on_the_pad(
    browser: Browser, live_server, world, household_in, contexts
):
    """Issue 14 item 7 (INT-5, VER-2): the family left without signing; back at the window the
    clerk opens 补充授权/补正材料 from the case, each adult signs on the pad, the 一次性告知书 list
    empties and the 入户调查与核对 can start; 我的待办 shows the step."""
    from jiuzhu.applications import actions

    household = household_in("张山子镇")
    app = actions.intake(
        actions.IntakeRequest(
            household=household, applicant=household.members.get(relation="self"), programs=["dibao"]
        ),
        by=world.user("tez_zhangshanzi"),
    ).applications.get()
    base = live_server.url
    clerk = as_user(browser, base, "tez_zhangshanzi", contexts)
    clerk.goto(f"{base}/applications/{app.pk}/")
    expect(clerk.get_by_text("家庭经济状况核对授权书（", exact=False).first).to_be_visible()
    clerk.get_by_test_id("actions").get_by_role("link", name="补充授权/补正材料").click()
    expect(clerk.get_by_test_id("supplement-form")).to_be_visible()
    sign_every_pad(clerk)
    clerk.get_by_role("button", name="提交补充").click()
    expect(clerk.get_by_text("已补充，相关事项已从一次性告知书待补清单中移除")).to_be_visible()
    app.refresh_from_db()
    assert app.missing_documents == []
    clerk.goto(f"{base}/")
    expect(clerk.get_by_test_id("home-work")).to_contain_text("开始入户调查与核对")
    clerk.goto(f"{base}/applications/{app.pk}/")
    press(clerk, "开始入户调查与核对")
    expect(clerk.get_by_test_id("state")).to_have_text("调查核对中")
