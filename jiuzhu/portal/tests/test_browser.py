"""掌上办 in a real browser at 360 px (issue 18; INT-2, INT-22, SUP-16, DOC-13): sign in with the
ID number and the SMS code, see the case in plain words, open the receipt notice."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from jiuzhu.portal.models import NoticeDelivery

from .conftest import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_family_signs_in_on_a_phone_and_opens_its_notice(browser: Browser, live_server, family, sms_file, contexts):
    fam = family()
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    contexts.append(context)
    page = context.new_page()
    page.goto(f"{live_server.url}/my/login/")
    page.get_by_label("身份证号").fill(fam.id_number)
    page.get_by_test_id("send-code").click()
    expect(page.get_by_test_id("code-sent")).to_be_visible()
    page.get_by_label("短信验证码").fill(last_code(sms_file, fam.phone))
    page.get_by_test_id("login").click()
    case = page.get_by_test_id("case")
    expect(case).to_contain_text("已受理")
    expect(case).to_contain_text("下一步")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    page.get_by_test_id("large-type").click()
    expect(page.locator("body.large")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="查看详情和通知书").click()
    expect(page.get_by_test_id("notices")).to_contain_text("受理通知书")
    with context.expect_page() as opened:
        page.get_by_test_id("notices").get_by_role("link", name="查看").first.click()
    notice_page = opened.value
    notice_page.wait_for_load_state()
    assert "/my/notices/" in notice_page.url
    delivery = NoticeDelivery.objects.get()
    assert delivery.person_id == fam.head.pk and delivery.mode == "view"


def test_the_signing_page_fits_a_phone_in_large_type(browser: Browser, live_server, world, family, sms_file, contexts):
    """INT-22 (适老化): the page a member opens from the SMS link works at 360 px in 大字."""
    import re

    from jiuzhu.portal import apply

    fam = family()
    head = fam.head
    online = apply.start(head, programs=["tekun"], reason="")
    apply.send_link(online.signatures.get(person=head), by_person=head, base_url=live_server.url)
    lines = sms_file.read_text(encoding="utf-8").splitlines()
    link = re.search(r"(/my/sign/[^/\s\"]+/)", lines[-1])
    assert link
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    contexts.append(context)
    page = context.new_page()
    page.goto(live_server.url + link.group(1))
    page.get_by_test_id("large-type").click()
    expect(page.locator("body.large")).to_have_count(1)
    expect(page.get_by_test_id("sign")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("签名：请输入您的姓名").fill("别人")
    page.get_by_test_id("sign").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
