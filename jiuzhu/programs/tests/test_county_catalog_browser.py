"""本县救助项目 in a real browser (PRG-2, INT-16, INT-18): the county officer opens the page from
the navigation, sets a program's contact and an abolished proof, and the detail page shows them."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_county_officer_sets_a_programs_contact_and_abolished_proof(page: Page, live_server: Any, world: Any) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("tez_county")
    page.get_by_label("密码").fill("jiuzhu-demo-2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="本县救助项目").first.click()
    page.get_by_test_id("county-tekun").get_by_role("link", name="设置").click()
    page.get_by_label("联系电话").fill("6611")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("main")).to_contain_text("联系电话格式不正确")
    page.get_by_label("联系人").fill("王科长")
    page.get_by_label("联系电话").fill("0632-6611234")
    page.get_by_label("取消的证明事项（每行一项：证明名称｜取消依据文号）").fill(
        "村（居）委会出具的贫困证明｜台政字〔2020〕21号"
    )
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("county-tekun")).to_contain_text("0632-6611234")
    page.goto(f"{live_server.url}/programs/tekun/")
    expect(page.get_by_test_id("materials")).to_contain_text("已取消，无需提供；依据台政字〔2020〕21号")
    expect(page.get_by_test_id("contact")).to_contain_text("王科长")
