"""The 银行文件格式 page in a real browser (issue 16 item 4; FND-4, GOV-5): a county officer reaches
it from 资金发放, reads the standard fixed-width layout's sample with its 汇总 rows, adds a bank's
fixed-width layout (a width too small for the sample name is refused naming the record), sees
the sample result file round-trip and downloads the sample file under the layout's file name."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from jiuzhu.payments.models import BankLayout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "jiuzhu-demo-2026"


def label(text: str) -> re.Pattern[str]:
    """A form label exactly (Django may add a label suffix): 文件类型 is not 回盘文件类型."""
    return re.compile(rf"^{text}[：:]?$")


def test_a_county_adds_a_fixed_width_layout_and_checks_it_on_the_sample(
    page: Page, live_server: Any, world: Any
) -> None:
    base = live_server.url
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill("tez_county")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="资金发放").first.click()
    page.get_by_role("link", name="银行文件格式").first.click()
    standard = page.get_by_test_id("layout").filter(has_text="农商银行代发（定长文本，GBK）")
    standard.get_by_text("样例预览").click()
    expect(standard.get_by_test_id("sample-text")).to_contain_text("T000003000000000296000")
    expect(standard.get_by_test_id("round-trip")).to_contain_text("与样例文件一致")

    page.get_by_label(label("格式代码")).fill("rcb_fixed")
    page.get_by_label(label("格式名称")).fill("某农商银行代发")
    page.get_by_label(label("文件类型")).select_option("fixed")
    page.get_by_label(label("导出列")).fill("账号｜银行账号｜19\n户名｜姓名｜4\n金额｜金额（分）｜12｜右｜0")
    page.get_by_label("不写列名行").check()
    page.get_by_label(label("表尾行")).fill("合计{total_count}笔{total_amount_yuan}元")
    page.get_by_label("文件命名").fill("{county_code}_{bank}_{month}.txt")
    page.get_by_label(label("回盘文件类型")).select_option("fixed")
    page.get_by_label("回盘文件各列").fill("账号｜19\n其他（不读取）｜4\n金额｜12\n处理结果｜4")
    page.get_by_label(label("回盘表尾行数")).fill("1")
    page.get_by_label("表示成功的处理结果").fill("0000")
    page.get_by_label(label("回盘金额单位")).select_option("fen")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("第1条记录“户名”列的值“示例甲”占6字节，超过该列宽度4字节").first).to_be_visible()
    assert not BankLayout.objects.filter(code="rcb_fixed").exists()

    page.get_by_label(label("导出列")).fill("账号｜银行账号｜19\n户名｜姓名｜10\n金额｜金额（分）｜12｜右｜0")
    page.get_by_label("回盘文件各列").fill("账号｜19\n其他（不读取）｜10\n金额｜12\n处理结果｜4")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存银行文件格式“某农商银行代发”")).to_be_visible()
    mine = page.get_by_test_id("layout").filter(has_text="某农商银行代发")
    expect(mine.get_by_test_id("round-trip")).to_contain_text("样例回盘文件读回3笔、合计2,960.00元")
    with page.expect_download() as info:
        mine.get_by_role("link", name="下载样例文件").click()
    download = info.value
    assert download.suggested_filename == "370405_rcb_fixed_202612.txt"
    lines = Path(download.path()).read_bytes().split(b"\r\n")
    assert lines[0][19:29] == "示例甲".encode("gbk") + b"    " and lines[3] == "合计3笔2960.00元".encode("gbk")
