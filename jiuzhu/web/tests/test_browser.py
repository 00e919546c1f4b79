"""The issue's "done when" in a real browser: a town clerk registers a family of three,
sees masked IDs, reveals one (audited), and cannot see the neighbouring town's families."""

import re

import pytest
from playwright.sync_api import Page, expect

from jiuzhu.audit.models import AuditEntry
from jiuzhu.registry.models import Household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "jiuzhu-demo-2026"


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()


def test_a_town_clerk_registers_a_family_of_three(page: Page, live_server, world, new_id, household_in):
    other_town = household_in("涧头集镇")
    login(page, live_server.url, "tez_zhangshanzi")
    page.get_by_role("link", name="家庭档案").first.click()
    page.get_by_role("link", name="登记新家庭").click()
    page.get_by_label("所在村（社区）").select_option("370405101201")
    page.get_by_label("家庭住址").fill("北洛村18号")
    ids = [new_id(age=52), new_id(age=50, gender="F"), new_id(age=19)]
    people = [("陈建华", "本人（户主）"), ("林月娥", "配偶"), ("陈晓东", "子女")]
    for i in range(3):
        if i > 0:
            page.get_by_role("button", name="＋ 增加成员").click()
        box = page.get_by_test_id(f"member-{i}")
        box.get_by_label("姓名").fill(people[i][0])
        box.get_by_label("身份证号码").fill(ids[i])
        box.get_by_label("与户主关系").select_option(label=people[i][1])
    page.get_by_test_id("member-2").get_by_label("在校情况").select_option(label="本科及以上")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_text("已登记陈建华户，共3人")).to_be_visible()
    rows = page.get_by_test_id("member-row")
    expect(rows).to_have_count(3)
    masked = ids[0][:6] + "********" + ids[0][-4:]
    expect(page.get_by_test_id("member-table").get_by_text(masked, exact=True)).to_be_visible()
    assert ids[0] not in page.content()

    page.once("dialog", lambda d: d.accept())
    rows.first.get_by_role("button", name="查看完整信息").first.click()
    expect(page.get_by_test_id("revealed")).to_have_text(ids[0])
    assert AuditEntry.objects.filter(action="registry.pii.reveal").count() == 1

    page.goto(f"{live_server.url}/households/")
    expect(page.get_by_test_id("household-table")).to_contain_text("陈建华")
    expect(page.get_by_test_id("household-table")).not_to_contain_text(other_town.head_name)
    response = page.goto(f"{live_server.url}/households/{other_town.id}/")
    assert response.status == 404
    assert Household.objects.filter(head_name="陈建华").count() == 1


def test_a_wrong_id_number_is_shown_on_the_form(page: Page, live_server, world, new_id):
    login(page, live_server.url, "tez_zhangshanzi")
    page.goto(f"{live_server.url}/households/new/")
    page.get_by_label("所在村（社区）").select_option("370405101201")
    page.get_by_label("家庭住址").fill("北洛村19号")
    box = page.get_by_test_id("member-0")
    box.get_by_label("姓名").fill("吴国强")
    good = new_id(age=60)
    box.get_by_label("身份证号码").fill(good[:17] + ("1" if good[17] != "1" else "2"))
    box.get_by_label("与户主关系").select_option(label="本人（户主）")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("身份证号码校验位不正确，请核对是否输错")).to_be_visible()
    assert Household.objects.count() == 0


def test_search_narrows_the_list_with_htmx(page: Page, live_server, world, household_in):
    a = household_in("张山子镇")
    household_in("张山子镇")
    login(page, live_server.url, "tez_county")
    page.goto(f"{live_server.url}/households/")
    expect(page.get_by_test_id("result-count")).to_have_text("2")
    tail = a.members.get(relation="self").id_number_masked[-4:]
    page.get_by_label("搜索").fill(tail)
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_test_id("result-count")).to_have_text("1")
    assert f"q={tail}" in page.url


def test_pages_work_under_a_strict_content_security_policy(page: Page, live_server, world, household_in):
    """Issue 19 items 1 and 5: no inline script runs (CSP script-src 'self'), the declared
    behaviours still work, and a search by full ID number never puts the number in the URL."""
    from jiuzhu.registry.pii import unseal

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    h = household_in("张山子镇")
    full = unseal("id_number", h.members.get(relation="self").id_number_enc)
    login(page, live_server.url, "tez_zhangshanzi")
    response = page.goto(f"{live_server.url}/households/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_label("搜索").fill(full)
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_test_id("result-count")).to_have_text("1")
    expect(page).to_have_url(re.compile(r"idt="))
    assert full not in page.url

    page.goto(f"{live_server.url}/households/new/")
    page.get_by_role("button", name="＋ 增加成员").click()
    expect(page.get_by_test_id("member-1")).to_be_visible()

    page.goto(f"{live_server.url}/programs/")
    page.get_by_label("类别").select_option(index=1)
    expect(page).to_have_url(re.compile(r"layer="))

    page.goto(f"{live_server.url}/persons/lookup/")
    page.get_by_label("身份证号码").fill(full)
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(f"{live_server.url}/households/{h.id}/")
    assert violations == []


def test_on_a_phone_the_header_is_one_line_and_the_menu_one_row(page: Page, live_server, world, tmp_path):
    """A village worker at 360 px: name, area (cut short, whole in its title) and 退出 on one
    line; the menu one row that scrolls sideways, showing the current page's entry."""
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, live_server.url, "tez_beiluo")
    page.goto(f"{live_server.url}/monitoring/field-reports/")
    header, menu = page.locator("header.topbar"), page.locator("nav.sidebar")
    assert header.bounding_box()["height"] < 60 and menu.bounding_box()["height"] < 60
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    assert menu.evaluate("e => e.scrollWidth > e.clientWidth")
    active = menu.locator("a.active")
    expect(active).to_have_text("现场发现报告")
    box = active.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360  # scrolled into view
    expect(header.get_by_role("button", name="退出")).to_be_in_viewport()
    assert "北洛村" in header.locator(".who .muted").get_attribute("title")
    page.screenshot(path=str(tmp_path / "field-reports-360.png"))
    page.set_viewport_size({"width": 1280, "height": 800})  # a desk: the menu is a column again
    assert menu.bounding_box()["height"] > 300
