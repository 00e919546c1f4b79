"""掌上办 end to end (issue 18 “Done when”; INT-2, INT-8, INT-9, INT-11, INT-22, LNK-3, SUP-16): a
family applies from a phone (360 px), two adult members sign from their own phones (two
browser contexts) by SMS link and code, the town accepts it through the one-door intake
(channel 掌上办), the case runs its course through the real actions, and the family follows it
to the approval notice on /my/ without a visit."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from jiuzhu.applications import actions
from jiuzhu.applications.models import Application
from jiuzhu.applications.tests.conftest import png
from jiuzhu.applications.tests.support import use_preset
from jiuzhu.portal.models import NoticeDelivery, OnlineApplication
from jiuzhu.portal.tests.conftest import _sms_to_file, last_code, sms_file  # noqa: F401  (fixtures)
from jiuzhu.portal.tests.test_apply import applicants, sign_code, sign_link  # noqa: F401  (fixture)
from journeys.conftest import APPROVER, CLERK, investigate_and_verify

pytestmark = [pytest.mark.journey, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def narrow(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling


def sign_in(page: Page, base: str, id_number: str, sms: Any, phone: str) -> None:
    page.goto(f"{base}/my/login/")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    page.get_by_label("短信验证码").fill(last_code(sms, phone))
    page.get_by_test_id("login").click()


def sign_on_phone(page: Page, base: str, sms: Any, phone: str, name: str) -> None:
    page.goto(base + sign_link(sms, phone))
    expect(page.get_by_role("heading", name="家庭经济状况核对授权书")).to_be_visible()
    narrow(page)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    page.get_by_label("我已阅读并同意以上内容").check()
    page.get_by_label("签名：请输入您的姓名").fill(name)
    page.get_by_label("短信验证码").fill(sign_code(sms, phone))
    page.get_by_test_id("sign").click()
    expect(page.get_by_test_id("signed")).to_contain_text("签署完成")
    shot(page, f"sign-{name}")


def test_journey_a_family_applies_online_and_follows_it_to_the_approval_notice(
    browser: Browser, live_server, world, clock, client_of, contexts, request
):
    # fixtures of the portal tests, by name (their functions are imported above)
    make_applicants, sms = request.getfixturevalue("applicants"), request.getfixturevalue("sms_file")
    use_preset("devolved")
    clock("2026-10-09 09:30")
    fam = make_applicants()
    base = live_server.url

    # 赵秀英 on her phone: signs in, chooses 低保, sees the 测算 and the materials, uploads a photo.
    her_phone = browser.new_context(**PHONE)
    contexts.append(her_phone)
    page = her_phone.new_page()
    sign_in(page, base, fam.ids[0], sms, fam.phones[0])
    page.get_by_test_id("apply-online").click()
    page.get_by_label("最低生活保障", exact=True).check()
    page.get_by_label("申请理由（可不填，如：因病缺乏劳动能力）").fill("丈夫因病不能干重活")
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_test_id("estimate")).to_contain_text("最低生活保障")
    expect(page.get_by_test_id("materials")).to_be_visible()
    narrow(page)
    shot(page, "done-when-1-apply")
    page.get_by_label("材料名称").fill("病历")
    page.get_by_label("拍照或选择文件（JPG、PNG照片或PDF，不超过10MB）").set_input_files(
        {"name": "病历.png", "mimeType": "image/png", "buffer": png(12, 6)}
    )
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("uploads")).to_contain_text("病历")
    expect(page.get_by_test_id("submit")).to_be_disabled()  # not everyone has signed yet
    for _ in range(2):
        page.get_by_role("button", name="发送签署链接", exact=True).first.click()
        expect(page.get_by_role("status")).to_contain_text("签署链接已发送")

    # Each adult signs from their own phone: her phone and her husband's.
    sign_on_phone(her_phone.new_page(), base, sms, fam.phones[0], "赵秀英")
    his_phone = browser.new_context(**PHONE)
    contexts.append(his_phone)
    sign_on_phone(his_phone.new_page(), base, sms, fam.phones[1], "钱大壮")

    page.reload()
    expect(page.get_by_test_id("signatures")).not_to_contain_text("未签署")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("online-state")).to_contain_text("已提交")
    online = OnlineApplication.objects.get(household=fam.household)
    assert online.state == "submitted"

    # The town window: the application is in its queue; 受理 runs the one-door intake.
    clock("2026-10-10 09:00")
    clerk = client_of(CLERK)
    assert "赵秀英" in clerk.get("/online-intake/").content.decode()
    assert clerk.post(f"/online-intake/{online.pk}/accept/").status_code == 302
    online.refresh_from_db()
    app = Application.objects.get(intake=online.intake)
    assert app.channel == "online" and online.intake.channel == "online"
    assert app.accepted_at.astimezone(dt.UTC).date() >= dt.date(2026, 10, 9)  # the clock starts at acceptance
    assert app.missing_documents == []

    # The case runs its course: 入户调查 and 核对, approval, 公示, confirmation.
    clock("2026-10-14 10:00")
    app = investigate_and_verify(world, app)
    clock("2026-10-20 15:00")
    actions.approve(app, by=world.user(APPROVER), note="经审核符合条件")
    app.refresh_from_db()
    assert app.state == "publicizing"
    clock(f"{app.publicity_end + dt.timedelta(days=1)} 09:00")
    actions.close_publicity(app, by=world.user(CLERK))
    app.refresh_from_db()
    assert app.state == "approved"

    # 赵秀英 follows it on her phone and opens the approval notice: no visit.
    sign_in(page, base, fam.ids[0], sms, fam.phones[0])
    case = page.get_by_test_id("case")
    expect(case).to_contain_text("已批准")
    narrow(page)
    shot(page, "done-when-2-home")
    page.get_by_role("link", name="查看详情和通知书").click()
    expect(page.get_by_test_id("notices")).to_contain_text("审批（确认）通知书")
    shot(page, "done-when-3-case")
    with page.expect_download() as download:
        page.get_by_test_id("notices").locator("li", has_text="审批（确认）通知书").get_by_role(
            "link", name="下载"
        ).click()
    assert download.value.suggested_filename.endswith(".pdf")
    delivery = NoticeDelivery.objects.get(notice=app.notices.get(kind="approval"), mode="download")
    assert delivery.person_id == fam.head.pk and delivery.channel == "web"


def shot(page: Page, name: str) -> None:
    """A full-page screenshot for a person to look at, when ``JIUZHU_SHOTS`` names a folder."""
    folder = os.environ.get("JIUZHU_SHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_journey_the_family_declares_its_changes_and_a_member_without_a_phone_signs(
    browser: Browser, live_server, world, clock, contexts, request, household_in, new_id
):
    """Issue 18 item 2 “fill the household form” and item 1 “given at first use” (INT-2, INT-8,
    INT-22, LNK-3): at 360 px the family declares a baby, the new address and the mother's
    wage, with a Chinese error for a bad amount; the father has no phone in the registry, so
    the mother gives his number and he signs from it; the town clerk sees the declarations,
    accepts, the registry is updated by the clerk's 受理, and the case page shows who signed,
    when, how and from where (address masked)."""
    from jiuzhu.applications.tests.test_browser import PASSWORD
    from jiuzhu.portal.tests.conftest import PHONES
    from jiuzhu.registry.pii import unseal

    sms = request.getfixturevalue("sms_file")
    use_preset("devolved")
    clock("2026-10-09 09:30")
    county = world.village_in("张山子镇").county_code
    ids = [new_id(age=34, gender="F", area=county), new_id(age=36, area=county)]
    her, his = next(PHONES), next(PHONES)
    h = household_in(
        "张山子镇",
        members=[
            {"name": "孙桂英", "id_number": ids[0], "relation": "self", "phone": her},
            {"name": "周建军", "id_number": ids[1], "relation": "spouse"},
        ],
    )
    base = live_server.url
    her_phone = browser.new_context(**PHONE)
    contexts.append(her_phone)
    page = her_phone.new_page()
    sign_in(page, base, ids[0], sms, her)
    page.get_by_test_id("apply-online").click()
    page.get_by_label("最低生活保障", exact=True).check()
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_test_id("household-form")).to_contain_text("周建军")

    page.get_by_text("新增家庭成员（出生、结婚、迁入等）").click()
    page.get_by_label("姓名", exact=True).fill("周小花")
    page.get_by_label("身份证号码").fill(new_id(age=0, gender="F", area=county))
    page.get_by_label("与户主关系").select_option(label="子女")
    page.get_by_role("button", name="申报新增成员").click()
    expect(page.get_by_test_id("declared-changes")).to_contain_text("周小花（子女")
    page.get_by_text("家庭住址有变化").click()
    page.get_by_label("现在的家庭住址").fill("张山子镇张山子社区幸福路12号")
    page.get_by_role("button", name="申报家庭住址").click()
    expect(page.get_by_test_id("declared-changes")).to_contain_text("幸福路12号")

    mine = page.get_by_test_id("finances-孙桂英")
    mine.locator("summary").click()
    mine.get_by_label("月工资性收入（元）").fill("一千二")
    mine.get_by_role("button", name="保存孙桂英的收入和财产").click()
    mine = page.get_by_test_id("finances-孙桂英")
    expect(mine.get_by_role("alert")).to_contain_text("月工资性收入（元）")
    shot(page, "declare-error-360")
    mine.get_by_label("月工资性收入（元）").fill("1200")
    mine.get_by_label("存款（元）").fill("3000")
    mine.get_by_role("button", name="保存孙桂英的收入和财产").click()
    expect(page.get_by_role("status")).to_contain_text("收入和财产已保存")
    narrow(page)

    # 周建军 has no phone in the registry: she gives his own number (not hers) at first use.
    row = page.get_by_test_id("signature").filter(has_text="周建军")
    expect(row).to_contain_text("系统中没有周建军的手机号")
    row.get_by_role("textbox").fill(her)
    row.get_by_role("button", name="发送签署链接").click()
    expect(page.get_by_test_id("signature").filter(has_text="周建军").get_by_role("alert")).to_contain_text(
        "另一位家庭成员的手机号"
    )
    row = page.get_by_test_id("signature").filter(has_text="周建军")
    row.get_by_role("textbox").fill(his)
    row.get_by_role("button", name="发送签署链接").click()
    expect(page.get_by_role("status")).to_contain_text("签署链接已发送到周建军的手机")
    page.get_by_test_id("signature").filter(has_text="孙桂英").get_by_role("button", name="发送签署链接").click()
    expect(page.get_by_role("status")).to_contain_text("签署链接已发送到孙桂英的手机")
    shot(page, "apply-detail-360")
    if os.environ.get("JIUZHU_SHOTS"):
        page.get_by_test_id("signatures").screenshot(path=str(Path(os.environ["JIUZHU_SHOTS"]) / "signatures-360.png"))

    sign_on_phone(her_phone.new_page(), base, sms, her, "孙桂英")
    his_phone = browser.new_context(**PHONE)
    contexts.append(his_phone)
    his_page = his_phone.new_page()
    sign_on_phone(his_page, base, sms, his, "周建军")
    shot(his_page, "signed-360")
    page.reload()
    expect(page.get_by_test_id("signatures")).to_contain_text("手机号为首次使用时提供")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("online-state")).to_contain_text("已提交")
    expect(page.get_by_test_id("declared-changes")).to_contain_text("已申报·待核实")
    narrow(page)
    shot(page, "submitted-360")
    if os.environ.get("JIUZHU_SHOTS"):
        page.get_by_test_id("finances").screenshot(path=str(Path(os.environ["JIUZHU_SHOTS"]) / "finances-360.png"))

    # The town clerk: the declarations in the queue, 受理, and the signature records on the case.
    clock("2026-10-10 09:00")
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    contexts.append(desk)
    clerk = desk.new_page()
    clerk.goto(f"{base}/login/")
    clerk.get_by_label("用户名").fill(CLERK)
    clerk.get_by_label("密码").fill(PASSWORD)
    clerk.get_by_role("button", name="登录").click()
    clerk.goto(f"{base}/online-intake/")
    declared = clerk.get_by_test_id("declared")
    expect(declared).to_contain_text("工资性收入每月1200.00元")
    expect(declared).to_contain_text("周小花")
    expect(declared).to_contain_text("周建军：")
    shot(clerk, "queue-desk")
    clerk.get_by_test_id("accept-online").click()
    panel = clerk.get_by_test_id("online-signatures")
    expect(panel).to_contain_text("周建军")
    expect(panel).to_contain_text("首次使用时提供")
    expect(panel).to_contain_text("127.0.*.*")
    expect(clerk.get_by_test_id("online-changes")).to_contain_text("已采纳·已更新登记")
    shot(clerk, "case-panel-desk")

    h.refresh_from_db()
    assert h.address == "张山子镇张山子社区幸福路12号"
    assert set(h.members.values_list("name", flat=True)) == {"孙桂英", "周建军", "周小花"}
    assert unseal("phone", h.members.get(name="周建军").phone_enc) == his
    online = OnlineApplication.objects.get(household=h)
    app = Application.objects.get(intake=online.intake)
    assert app.facts["members"][0]["incomes"] == {"wage": 120000}
