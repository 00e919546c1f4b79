"""The issue's "done when" in a real browser: a county officer generates 台儿庄区's roster
(with progress), handles an exception, a second officer locks it, the bank file is exported,
the bank's results come back with a failure, the account is corrected and the failure is
re-issued; the reconciliation balances (FND-4, SUP-11)."""

import pytest
from playwright.sync_api import Page, expect

from jiuzhu.payments.models import BankBatch, Roster
from jiuzhu.payments.tests.conftest import new_account, result_csv, set_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "jiuzhu-demo-2026"


@pytest.fixture
def immediate_jobs(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()


def test_a_county_pays_a_month_with_a_failure_and_a_reissue(
    page: Page, live_server, immediate_jobs, approved_case, tmp_path
):
    paid = approved_case()
    failing = approved_case("涧头集镇")
    approved_case(account=None)
    base = live_server.url
    page.on("dialog", lambda d: d.accept())
    login(page, base, "tez_county")
    page.get_by_role("link", name="资金发放").first.click()
    page.get_by_label("区域").select_option("370405000000")
    page.get_by_label("发放月份").fill("2026-11")
    page.get_by_role("button", name="生成花名册").click()
    expect(page.get_by_test_id("line-count")).to_have_text("3")
    expect(page.get_by_test_id("roster-status")).to_contain_text("待核查")
    page.get_by_label("异常").select_option("no_account")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("line-row")).to_have_count(1)
    page.get_by_test_id("line-row").get_by_label("处理说明").fill("待补录一卡通账户")
    page.get_by_test_id("line-row").get_by_role("button", name="暂缓发放").click()
    expect(page.get_by_text("已暂缓发放")).to_be_visible()
    page.get_by_role("button", name="核查").click()
    expect(page.get_by_test_id("roster-status")).to_contain_text("待锁定")
    page.get_by_role("button", name="提交锁定").click()
    expect(page.get_by_text("等待另一名工作人员复核确认")).to_be_visible()

    login(page, base, "tez_admin")
    roster = Roster.objects.get()
    page.goto(f"{base}/payments/rosters/{roster.pk}/")
    page.get_by_role("button", name="复核锁定").click()
    expect(page.get_by_test_id("roster-status")).to_contain_text("已锁定")

    login(page, base, "tez_county")
    page.goto(f"{base}/payments/rosters/{roster.pk}/")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出银行文件").click()
    assert download.value.suggested_filename.endswith(".csv")
    batch = BankBatch.objects.get()
    ref = batch.lines.get(line__application=failing).reference
    result = tmp_path / "回盘.csv"
    result.write_bytes(result_csv(batch, fail={ref: "账户已销户"}))
    page.goto(f"{base}/payments/rosters/{roster.pk}/")
    page.get_by_label("回盘文件（第1批）").set_input_files(str(result))
    page.get_by_role("button", name="导入回盘").click()
    expect(page.get_by_text("成功1笔")).to_be_visible()
    expect(page.get_by_test_id("line-row")).to_have_count(1)  # the failed line is listed
    expect(page.get_by_test_id("lines")).to_contain_text("发放失败")

    set_account(failing.applicant, new_account())
    with page.expect_download():
        page.get_by_role("button", name="重新发放（1条）").click()
    batch2 = BankBatch.objects.get(seq=2)
    result.write_bytes(result_csv(batch2))
    page.goto(f"{base}/payments/rosters/{roster.pk}/")
    page.get_by_label("回盘文件（第2批）").set_input_files(str(result))
    page.get_by_role("button", name="导入回盘").last.click()
    expect(page.get_by_text("成功1笔")).to_be_visible()
    page.goto(f"{base}/payments/rosters/{roster.pk}/reconciliation/")
    expect(page.get_by_test_id("balanced")).to_contain_text("相符")
    page.goto(f"{base}/payments/cases/{paid.pk}/")
    expect(page.get_by_test_id("ledger")).to_contain_text("银行发放成功")
    expect(page.get_by_test_id("balance")).to_contain_text("已结清")
