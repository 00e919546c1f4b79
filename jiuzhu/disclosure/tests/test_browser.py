"""Issue 18 item 5 in the browser at 360 px: the 公示 page on a phone, with the objection form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from jiuzhu.applications.tests.test_decisions import publicizing_case
from jiuzhu.core.masking import mask_person_name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_gongshi_page_and_objection_on_a_phone(browser: Browser, live_server, world, signed_intake, contexts, tmp_path):
    """DOC-10, SUP-2: at 360 px the list fits, no staff menu shows, and an objection is taken."""
    app = publicizing_case(world, signed_intake)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    contexts.append(context)
    page = context.new_page()
    page.goto(f"{live_server.url}/public/gongshi/{app.area_code}/")
    expect(page.get_by_test_id("gongshi-entry")).to_contain_text(mask_person_name(app.applicant.name))
    assert page.locator("nav.sidebar").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    # The table keeps its columns (each cell on one line) and scrolls sideways in its own box.
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
    one_line = """cells => cells.every(c => {
        const r = document.createRange(); r.selectNodeContents(c); return r.getClientRects().length === 1; })"""
    assert page.locator("[data-testid=gongshi-table] td, [data-testid=gongshi-table] th").evaluate_all(one_line)
    page.screenshot(path=str(tmp_path / "gongshi-360.png"))  # the first screen: heading and table
    page.get_by_label("异议理由").fill("收入不实，家中有人在外务工")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_test_id("objection-done")).to_be_visible()
    assert app.objections.get().content == "收入不实，家中有人在外务工"
