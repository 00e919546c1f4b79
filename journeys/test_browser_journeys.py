"""In the browser: the family checks its approval notice on the public page (the QR code's
link), and the supervisor follows the same family through the pages without a single write
form in sight (DOC-1, SUP-6, GOV-1; issue 19 item 9)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Browser, expect

from jiuzhu.applications.tests.test_browser import as_user
from journeys.conftest import VIEWER, approved_family, pay_month

pytestmark = [pytest.mark.journey, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_journey_the_family_checks_its_notice_and_the_supervisor_follows_the_case(
    browser: Browser, live_server, world, signed_intake, clock, contexts, tmp_path
):
    from jiuzhu.audit.models import AuditEntry, SignedDocument
    from jiuzhu.registry.storage import path_of

    app = approved_family(world, signed_intake, clock)
    clock("2026-11-04 09:00")
    roster, _ = pay_month(world, dt.date(2026, 11, 1))
    notice = app.notices.get(kind="approval")
    record = SignedDocument.objects.get(kind="notice.approval", number=notice.number)
    pdf = tmp_path / "通知书.pdf"
    with open(path_of(notice.document.storage_name), "rb") as fh:
        pdf.write_bytes(fh.read())

    # The family: no account, only the paper notice and its code.
    context = browser.new_context()
    contexts.append(context)
    family = context.new_page()
    family.goto(f"{live_server.url}/public/verify/")
    family.get_by_label("验证码").fill(record.code.lower())
    family.get_by_role("button", name="核验").click()
    expect(family.get_by_test_id("verify-status")).to_contain_text("有效")
    expect(family.get_by_test_id("verify-number")).to_have_text(notice.number)
    family.locator("input[type=file]").set_input_files(str(pdf))
    family.get_by_role("button", name="核验文件").click()
    expect(family.get_by_test_id("verify-copy")).to_contain_text("完全一致")
    assert app.household.head_name not in family.content()

    # The supervisor: reads the case, the roster and the audit trail; no write form anywhere.
    before = AuditEntry.objects.exclude(action__endswith=".view").count()
    viewer = as_user(browser, live_server.url, VIEWER, contexts)
    expect(viewer.get_by_test_id("read-only-banner")).to_be_visible()
    for path in (f"/applications/{app.id}/", f"/payments/rosters/{roster.id}/", f"/households/{app.household_id}/"):
        viewer.goto(f"{live_server.url}{path}")
        visible_posts = [
            f
            for f in viewer.locator("form[method=post]").all()
            if f.is_visible() and "keep" not in (f.get_attribute("class") or "")
        ]
        assert visible_posts == [], path
    assert AuditEntry.objects.exclude(action__endswith=".view").count() == before
