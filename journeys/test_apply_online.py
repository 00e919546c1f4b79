"""掌上办 end to end (issue 18 “Done when”; INT-2, INT-8, INT-9, INT-11, INT-22, LNK-3, SUP-16): a
family applies from a phone (360 px), two adult members sign from their own phones (two
browser contexts) by SMS link and code, the town accepts it through the one-door intake
(channel 掌上办), the case runs its course through the real actions, and the family follows it
to the approval notice on /my/ without a visit."""

from __future__ import annotations

import datetime as dt
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

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


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
    page.get_by_role("link", name="查看详情和通知书").click()
    expect(page.get_by_test_id("notices")).to_contain_text("审批（确认）通知书")
    with page.expect_download() as download:
        page.get_by_test_id("notices").locator("li", has_text="审批（确认）通知书").get_by_role(
            "link", name="下载"
        ).click()
    assert download.value.suggested_filename.endswith(".pdf")
    delivery = NoticeDelivery.objects.get(notice=app.notices.get(kind="approval"), mode="download")
    assert delivery.person_id == fam.head.pk and delivery.channel == "web"
