"""办理流程调整 in a real browser (issue 16 item 2; GOV-5, GOV-17, WF-7): the county officer
reaches 办理流程 from 救助标准与设置, proposes that 开始入户调查 belong to the town approver, sees
the dry run; the administrator confirms it; the table shows the new roles."""

import datetime as dt

import pytest
from playwright.sync_api import Browser, expect

from jiuzhu.applications.models import WorkflowChange
from jiuzhu.applications.tests.support import use_preset
from jiuzhu.applications.tests.test_browser import as_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_workflow_change_is_proposed_dry_run_and_confirmed(browser: Browser, live_server, world, contexts):
    use_preset("devolved")
    base = live_server.url
    officer = as_user(browser, base, "tez_county", contexts)
    officer.goto(f"{base}/parameters/")
    officer.get_by_test_id("workflow-link").click()
    expect(officer.get_by_test_id("workflow-table")).to_contain_text("开始入户调查与核对")
    officer.get_by_label("状态 → 操作").select_option("start_investigation:accepted:devolved")
    officer.get_by_label("镇（街道）审批人员").check()
    officer.get_by_label("生效日期").fill(dt.date.today().isoformat())
    officer.get_by_label("文件依据").fill("台民发〔2026〕8号")
    officer.get_by_label("调整理由").fill("入户调查由镇审批人员统一安排")
    officer.get_by_role("button", name="提交并试运行").click()
    expect(officer.get_by_test_id("dry-run-summary")).to_contain_text("现办理岗位失去办理权限的 0 件")
    expect(officer.get_by_role("button", name="确认生效")).to_have_count(0)
    change = WorkflowChange.objects.get()

    admin = as_user(browser, base, "tez_admin", contexts)
    admin.goto(f"{base}/workflow/changes/{change.pk}/")
    admin.on("dialog", lambda d: d.accept())
    admin.get_by_role("button", name="确认生效").click()
    expect(admin.get_by_test_id("change-status")).to_contain_text("已生效")
    officer.goto(f"{base}/workflow/")
    row = officer.get_by_test_id("workflow-table").get_by_role("row", name="开始入户调查与核对")
    expect(row).to_contain_text("镇（街道）审批人员")


def test_a_refused_return_keeps_what_the_clerk_typed(browser: Browser, live_server, world, signed_intake, contexts):
    """Bad input loses nothing (INT-5, INT-16): the clerk asks for a 残疾人证 the county gets from
    残联 data; the page says why beside the form and keeps both lines and the note as typed; she
    writes why the data is missing and the return goes through."""
    app = signed_intake().applications.get()
    base = live_server.url
    clerk = as_user(browser, base, "tez_zhangshanzi", contexts)
    clerk.goto(f"{base}{app.get_absolute_url()}")
    clerk.get_by_label("需补正的材料").fill("医疗诊断证明\n残疾人证")
    clerk.get_by_label("补正说明").fill("近6个月内，加盖医院公章")
    clerk.get_by_role("button", name="退回补正").click()
    expect(clerk.get_by_test_id("action-error")).to_contain_text("退回补正未办理：“残疾人证”由系统经部门数据获取")
    expect(clerk.get_by_label("需补正的材料")).to_have_value("医疗诊断证明\n残疾人证")
    expect(clerk.get_by_label("补正说明")).to_have_value("近6个月内，加盖医院公章")
    expect(clerk.get_by_test_id("state")).to_have_text("已受理")
    clerk.get_by_label("需补正的材料").fill("医疗诊断证明\n残疾人证（部门数据无法获取，请出示原件）")
    clerk.get_by_role("button", name="退回补正").click()
    expect(clerk.get_by_test_id("state")).to_have_text("退回补正")
    expect(clerk.get_by_test_id("action-error")).to_have_count(0)
