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


def test_a_stop_pulls_the_locked_line_and_the_export_waits_for_reconfirmation(
    page: Page, live_server, approved_case, locked_roster, county
):
    """issue 14 item 3 in the browser (DYN-2, FND-4, REG-2): the county officer stops a 低保
    family with November as the last month; the December roster, already locked, shows the
    line withdrawn; the bank file is refused until the roster is re-confirmed, then goes out
    without it; the family's 两清单 no longer lists 低保."""
    from jiuzhu.payments import actions
    from jiuzhu.referrals.records import record_application

    from .conftest import DEC, NOV

    stopped, kept = approved_case(), approved_case()
    for app in (stopped, kept):
        record_application(app)
    nov = locked_roster(month=NOV)
    batch, _, _ = actions.export_bank_file(nov, by=county)
    actions.import_bank_results(batch, by=county, file_name="r.csv", data=result_csv(batch))
    dec = locked_roster(month=DEC)
    base = live_server.url
    page.on("dialog", lambda d: d.accept())
    login(page, base, "tez_county")

    page.goto(f"{base}/payments/cases/{stopped.pk}/")
    page.get_by_label("停发原因").select_option("moved")
    page.get_by_label("最后发放月份").fill("2026-11")
    page.get_by_label("停发情况说明").fill("全家迁往外县")
    page.get_by_role("button", name="停发", exact=True).click()
    expect(page.get_by_text("已撤出2026年12月尚未导出的发放明细")).to_be_visible()
    expect(page.get_by_test_id("benefit-status")).to_contain_text("已停发")

    page.goto(f"{base}/payments/rosters/{dec.pk}/")
    expect(page.get_by_test_id("reconfirm")).to_contain_text("1 条明细")
    expect(page.get_by_test_id("line-count")).to_have_text("1")
    page.get_by_label("状态").select_option("pulled")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("line-row")).to_have_count(1)
    expect(page.get_by_test_id("lines")).to_contain_text("已撤出（不再发放）")
    expect(page.get_by_test_id("lines")).to_contain_text("停发（迁出本辖区）")

    page.get_by_role("button", name="导出银行文件").click()
    expect(page.get_by_text("须由有锁定权限的工作人员核对后")).to_be_visible()
    assert not dec.batches.exists()

    page.get_by_label("确认说明").fill("已核对撤出的明细")
    page.get_by_role("button", name="重新确认").click()
    expect(page.get_by_text("已重新确认")).to_be_visible()
    with page.expect_download():
        page.get_by_role("button", name="导出银行文件").click()
    batch = dec.batches.get()
    assert batch.line_count == 1 and not batch.lines.filter(line__application=stopped).exists()

    page.goto(f"{base}/households/{stopped.household_id}/lists/")
    expect(page.get_by_test_id("service-list")).not_to_contain_text("最低生活保障")
    page.goto(f"{base}/households/{kept.household_id}/lists/")
    expect(page.get_by_test_id("service-list")).to_contain_text("最低生活保障")
