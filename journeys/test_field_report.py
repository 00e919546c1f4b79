"""现场发现报告 on a phone (issue 17 item 4; DIS-5, INT-24, INT-11, PRG-13, LNK-11), at 360 px:
北洛村's assistant reports a man found at the market without an ID; the town opens the intake
prefilled from the report and grants 急难型临时救助 without an ID — 先行救助 from the town's
reserve, then 补办登记 — and refers him to the 救助管理站; later his ID is known and matched:
the case follows him into his own record. Another report, of a registered old woman, becomes a
核查任务 that the assistant closes as applied. The money is followed from the notice to the
reserve passbook and the ledger. Screenshots go to ``JOURNEY_SHOTS`` (default: the test's tmp dir).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from jiuzhu.applications.tests.conftest import png
from jiuzhu.web.demo import DEMO_PASSWORD
from journeys.conftest import CLERK, notice_text, yuan

pytestmark = [pytest.mark.journey, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BEILUO = "370405101201"
PHONE = {"width": 360, "height": 740}


def phone(browser: Browser, base: str, username: str, contexts: list) -> Page:
    context = browser.new_context(viewport=PHONE)
    contexts.append(context)
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())  # data-confirm asks before an irreversible step
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    return page


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def sign_pads(page: Page) -> None:
    """Sign every pad with strokes inside the (narrow) canvas."""
    for canvas in page.locator("canvas[data-signature]").all():
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box is not None
        w, h = box["width"], box["height"]
        page.mouse.move(box["x"] + w * 0.1, box["y"] + h * 0.6)
        page.mouse.down()
        page.mouse.move(box["x"] + w * 0.5, box["y"] + h * 0.3, steps=6)
        page.mouse.move(box["x"] + w * 0.9, box["y"] + h * 0.7, steps=6)
        page.mouse.up()


def test_journey_a_man_without_an_id_is_helped_at_once_and_matched_later(
    browser: Browser, live_server, world, new_id, contexts, tmp_path
):
    from jiuzhu.accounts.system import system_user
    from jiuzhu.applications.models import Application
    from jiuzhu.funds import actions as funds
    from jiuzhu.funds.models import ReserveEntry
    from jiuzhu.monitoring.models import FieldReport, GridTask
    from jiuzhu.payments.models import LedgerEntry
    from jiuzhu.registry.actions import create_household

    shots = Path(os.environ.get("JOURNEY_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    fund = funds.open_reserve(by=world.user("tez_county"), town_code="370405101")
    funds.top_up_reserve(fund, by=world.user("tez_county"), amount_fen=5_000_000)
    his_id = new_id(age=52)  # his family, registered in 北洛村; nobody knows yet that it is him
    his_home = create_household(
        by=system_user(),
        area_code=BEILUO,
        address="北洛村西街12号",
        members=[{"name": "王德顺", "id_number": his_id, "relation": "self"}],
    )
    her_id = new_id(age=81, gender="F")
    create_household(
        by=system_user(),
        area_code=BEILUO,
        address="北洛村东街3号",
        members=[{"name": "赵桂兰", "id_number": her_id, "relation": "self"}],
    )

    # 1. The assistant, at the market, reports the man from her phone.
    worker = phone(browser, base, "tez_beiluo", contexts)
    worker.get_by_role("link", name="现场发现报告").first.click()
    expect(worker.get_by_test_id("field-form")).to_be_visible()
    fits(worker)
    worker.get_by_label("姓名（自述或估计）").fill("王某（自述）")
    worker.get_by_label("性别").select_option("M")
    worker.get_by_label("估计年龄").fill("50")
    worker.get_by_label("体貌特征").fill("身高约1.7米，灰色棉袄，右眉有痣")
    worker.get_by_label("发现地点").fill("北洛村集市东口")
    worker.get_by_label("现场情况").fill("中年男子在集市露宿三天，无身份证件，说不清住址")
    worker.get_by_label("困难和需求").fill("食宿、御寒衣物")
    worker.get_by_label("紧急程度").select_option("urgent")
    worker.get_by_label("现场照片（可选，JPG或PNG）").set_input_files(
        {"name": "现场.png", "mimeType": "image/png", "buffer": png(12)}
    )
    worker.get_by_role("button", name="提交报告").click()
    expect(worker.get_by_test_id("field-reports")).to_contain_text("临时编号：LS-370405-")
    fits(worker)
    worker.screenshot(path=str(shots / "1-worker-report.png"), full_page=True)
    report = FieldReport.objects.get(place="北洛村集市东口")
    temp = report.temp_person
    assert temp is not None and temp.temp_number == report.temp_number and report.photo is not None

    # 2. The town clerk opens the report and the intake prefilled from it: 急难型临时救助, no ID.
    clerk = phone(browser, base, CLERK, contexts)
    clerk.goto(f"{base}/monitoring/field-reports/{report.pk}/")
    expect(clerk.get_by_test_id("temp-number")).to_contain_text(str(report.temp_number))
    expect(clerk.get_by_test_id("report-photo")).to_be_visible()
    fits(clerk)
    clerk.screenshot(path=str(shots / "2-town-report.png"), full_page=True)
    clerk.get_by_test_id("apply-now").click()
    expect(clerk.locator("input[name=programs][value=temporary]")).to_be_checked()
    expect(clerk.get_by_label("临时救助类型")).to_have_value("emergency")
    expect(clerk.get_by_label("备注")).to_have_value(re.compile(f"现场发现报告#{report.pk}"))
    clerk.get_by_label("急难事由说明").check()
    sign_pads(clerk)
    clerk.screenshot(path=str(shots / "3-town-intake.png"), full_page=True)
    clerk.get_by_role("button", name="受理并出具回执").click()
    expect(clerk.get_by_test_id("state")).to_have_text("已受理")
    app = Application.objects.get(applicant=temp)
    assert app.temporary_kind == "emergency" and app.household_id == temp.household_id
    clerk.get_by_test_id("actions").get_by_label("先行救助金额（元）").fill("800")
    clerk.get_by_test_id("actions").get_by_role("button", name="急难先行救助").click()
    expect(clerk.get_by_test_id("state")).to_have_text("已先行救助·待补登记")
    clerk.get_by_test_id("actions").get_by_role("button", name="补办登记").click()
    expect(clerk.get_by_test_id("state")).to_have_text("已批准")
    fits(clerk)
    clerk.screenshot(path=str(shots / "4-town-case-approved.png"), full_page=True)

    # The money: the 先行救助 form, the reserve passbook and the ledger say 800 元, once.
    app.refresh_from_db()
    assert app.state == "approved" and app.advance_amount_fen == app.amount_fen == 80000
    assert yuan(80000) in notice_text(app.notices.get(kind="advance"))
    drawn = ReserveEntry.objects.get(fund=fund, application=app)
    assert abs(drawn.amount_fen) == 80000 and funds.reserve_balance(fund) == 5_000_000 - 80000
    paid = LedgerEntry.objects.filter(application=app, kind="payment")
    assert [e.amount_fen for e in paid] == [80000] and paid.get().person_id == temp.pk

    # 3. The town refers him to the county's 救助管理站 (PRG-13).
    clerk.goto(f"{base}/monitoring/field-reports/{report.pk}/")
    clerk.get_by_test_id("refer-station").click()
    expect(clerk.get_by_test_id("station-referral")).to_contain_text("台儿庄区救助管理站")
    expect(clerk.get_by_test_id("station-referral")).to_contain_text("待接收")

    # 4. A week later the station finds his family: the town matches his ID; the case follows.
    clerk.get_by_label("身份证号码").fill(his_id)
    clerk.get_by_role("button", name="认定身份").click()
    expect(clerk.get_by_test_id("report-status")).to_have_text("已认定身份")
    expect(clerk.get_by_test_id("report-facts")).to_contain_text("王德顺")
    fits(clerk)
    clerk.screenshot(path=str(shots / "5-town-matched.png"), full_page=True)
    app.refresh_from_db()
    him = his_home.members.get()
    temp.refresh_from_db()
    assert app.applicant == him and app.household_id == his_home.pk and temp.merged_into == him
    assert LedgerEntry.objects.filter(application=app, kind="payment").count() == 1  # nothing paid twice

    # 5. The assistant reports a registered old woman living alone: it becomes a 核查任务 for
    # the village, which she closes as applied (her signed 申请委托书 photographed).
    worker.goto(f"{base}/monitoring/field-reports/")
    worker.get_by_label("身份证号码（如知道）").fill(her_id)
    worker.get_by_label("发现地点").fill("北洛村东街3号")
    worker.get_by_label("现场情况").fill("老人独居，屋内无取暖，子女长期在外")
    worker.get_by_role("button", name="提交报告").click()
    expect(worker.get_by_text(re.compile("已派发核查任务"))).to_be_visible()
    her_report = FieldReport.objects.get(place="北洛村东街3号")
    task = GridTask.objects.get(pk=her_report.task_id)
    assert task.area_code == BEILUO and task.warning.rule.code == "field_report"
    worker.goto(f"{base}/monitoring/field-reports/{her_report.pk}/")
    worker.get_by_test_id("apply-now").click()
    worker.get_by_label("走访情况").fill("入户查看，老人独居无取暖，生活困难")
    worker.get_by_test_id("record-visit").click()
    worker.get_by_label("核查结果").select_option("applied")
    worker.get_by_label("临时救助类型（代为申请时）").select_option("emergency")
    worker.get_by_label("急难事件（急难型时必选）").select_option("other")
    worker.get_by_label("申请委托书签名或照片（代为申请时必填）").set_input_files(
        {"name": "委托书.png", "mimeType": "image/png", "buffer": png(10)}
    )
    worker.get_by_test_id("close-task").click()
    expect(worker.get_by_test_id("task-outcome")).to_contain_text("已代为申请救助")
    fits(worker)
    worker.screenshot(path=str(shots / "6-worker-task-applied.png"), full_page=True)
    task.refresh_from_db()
    assert task.status == "closed" and task.application is not None
    assert task.application.program == "temporary" and task.application.applicant.name == "赵桂兰"
    assert task.application.channel == "village" and task.application.temporary_kind == "emergency"
