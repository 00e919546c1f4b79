"""issue 14 item 2 in a real browser (STD-6, WF-17, PRG-7): a 重特大疾病支出型临时救助 computed
above the town's limit — the town approver sends it up (报县级审批), the county officer holds
一事一议 on the case page (participants, minutes, signature pad) and approves the decided
amount, the village publicity ends and the family's approval notice names the amount."""

import datetime as dt
import re
import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from jiuzhu.applications.models import Application
from jiuzhu.registry.storage import read_bytes

from .test_browser import as_user, press, sign_every_pad
from .test_decisions import APPROVER, CLERK, COUNTY, illness_case, use

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_large_expense_aid_goes_to_the_county_and_to_special_deliberation(
    browser: Browser, live_server, world, signed_intake, contexts
):
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=40000)
    base = live_server.url

    town = as_user(browser, base, APPROVER, contexts)
    town.goto(f"{base}/applications/{app.pk}/")
    press(town, "批准并在村（居）公示结果")
    expect(town.get_by_text(re.compile("超过镇（街道）审批限额3,000.00元"))).to_be_visible()
    expect(town.get_by_test_id("state")).to_have_text("待审核确认")
    town.get_by_test_id("actions").get_by_label("报县级审批理由").fill("自付医疗费用4万元，超过镇级审批限额")
    press(town, "报县级审批")
    expect(town.get_by_test_id("state")).to_have_text("报县级审批中")
    expect(town.get_by_test_id("actions").get_by_role("button", name=re.compile("批准"))).to_have_count(0)

    county = as_user(browser, base, COUNTY, contexts)
    county.goto(f"{base}/applications/{app.pk}/")
    expect(county.get_by_test_id("due-county_review")).to_be_visible()
    expect(county.get_by_test_id("escalation")).to_contain_text("超过镇级审批限额")
    expect(county.get_by_test_id("escalation")).to_contain_text("12,000.00元")
    county.get_by_test_id("actions").get_by_role("link", name="一事一议").click()
    expect(county.get_by_test_id("bounds")).to_contain_text("12,000.00元")
    expect(county.get_by_test_id("bounds")).to_contain_text("24,000.00元")
    county.get_by_label("会议日期").fill(timezone.localdate().isoformat())
    county.get_by_label("决定救助金额（元）").fill("30000")
    county.get_by_label("参加人员（每行一人）").fill("李局长\n王科长\n赵主任\n张山子镇孙镇长")
    county.get_by_label("重大生活困难情形（提高标准的理由）").fill(
        "户主尿毒症长期透析，近12个月自付医疗费用4万元，家庭无其他收入"
    )
    county.get_by_label("会议纪要（集体研究意见和议定事项）").fill("经集体研究，同意将临时救助金额提高至2万元")
    sign_every_pad(county)
    county.get_by_role("button", name="录入一事一议").click()
    expect(county.get_by_text(re.compile("不得超过24,000.00元"))).to_be_visible()
    county.get_by_label("决定救助金额（元）").fill("20000")
    sign_every_pad(county)
    county.get_by_role("button", name="录入一事一议").click()
    expect(county.get_by_text("一事一议已录入，请按决定金额审批")).to_be_visible()
    expect(county.get_by_test_id("special-deliberation")).to_contain_text("20,000.00元")
    press(county, "县级批准并在村（居）公示结果")
    expect(county.get_by_text("已办理：县级批准并在村（居）公示结果")).to_be_visible()
    expect(county.get_by_test_id("state")).to_have_text("结果公示中")
    expect(county.get_by_test_id("decision")).to_contain_text("20,000.00元")

    Application.objects.filter(pk=app.pk).update(publicity_end=timezone.localdate() - dt.timedelta(days=1))
    clerk = as_user(browser, base, CLERK, contexts)
    clerk.goto(f"{base}/applications/{app.pk}/")
    press(clerk, "公示期满无异议")
    expect(clerk.get_by_test_id("state")).to_have_text("已批准")
    expect(clerk.get_by_test_id("notices")).to_contain_text("审批（确认）通知书")

    app.refresh_from_db()
    assert app.amount_fen == 2000000 and app.decided_by.username == COUNTY
    notice = read_bytes(app.notices.get(kind="approval").document.storage_name)
    text = subprocess.run(["pdftotext", "-", "-"], input=notice, capture_output=True, check=True).stdout.decode()
    assert "20,000.00元" in text and "一事一议" in text
