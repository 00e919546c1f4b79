"""政策找人 journey (issue 17 item 2): the 医保 pushes its 疑似困难人员名单 through the data
exchange API (DIS-3); a family of 北洛村 on it becomes a 核查任务 for 北洛村's worker only;
she visits and applies for the family from the task page on her phone — in a real browser at
360 px, as she would (INT-11); the prefilled case goes through the real actions to approval and
its first payment. DIS-4, REG-6, DIS-6.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Browser, expect

from jiuzhu.verification.tests.conftest import catalog, csv_bytes, headers_of, jobs, row_for
from journeys.conftest import APPROVER, CLERK, investigate_and_verify, notice_text, pay_month, png, yuan

__all__ = ["catalog", "jobs"]
pytestmark = [pytest.mark.journey, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BEILUO, HOUMENG = "370405101201", "370405101202"  # 北洛村 (tez_beiluo), 侯孟村: 张山子镇


def _family(village: str, new_id: Any, name: str) -> Any:
    from jiuzhu.accounts.system import system_user
    from jiuzhu.registry.actions import create_household

    members = [
        {"name": name, "id_number": new_id(age=55), "relation": "self"},
        {"name": "孙桂兰", "id_number": new_id(age=53, gender="F"), "relation": "spouse"},
    ]
    return create_household(by=system_user(), area_code=village, address=f"{name}家", members=members)


def _id(person: Any) -> str:
    from jiuzhu.registry.pii import unseal

    return str(unseal("id_number", person.id_number_enc))


def _phone(browser: Browser, base: str, client: Any, contexts: list[Any]) -> Any:
    """A 360 px phone signed in with ``client``'s session (a browser-session cookie: the county's
    clock in the test may be months from the browser's own)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True)
    contexts.append(context)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the 办结 form asks to confirm
    return page


def test_journey_a_yibao_list_reaches_the_village_and_the_family_is_paid(
    world: Any,
    catalog: Any,
    jobs: Any,
    new_id: Any,
    api_of: Any,
    client_of: Any,
    clock: Any,
    browser: Browser,
    live_server: Any,
    contexts: list[Any],
    tmp_path: Any,
) -> None:
    from jiuzhu.applications import actions
    from jiuzhu.applications.models import Application
    from jiuzhu.applications.tests.support import use_preset
    from jiuzhu.monitoring.models import GridTask
    from jiuzhu.payments.models import LedgerEntry, RosterLine
    from jiuzhu.payments.tests.conftest import set_account
    from jiuzhu.verification.demo import sign_authorizations

    use_preset("devolved")
    clock("2026-10-09 09:00")
    ours, theirs = _family(BEILUO, new_id, "周德厚"), _family(HOUMENG, new_id, "吴长顺")
    head = ours.members.get(relation="self")

    # 1. The 医保 pushes its monthly list (DIS-3); the list states its frequency (DIS-4).
    yibao = api_of("tez_yibao")
    spec = yibao.get("/api/v1/monitoring/suspected-lists/sources").json()["items"]
    assert next(s for s in spec if s["code"] == "yibao.suspected")["frequency"] == "每月"
    rows = [
        row_for(
            "yibao.suspected", id_number=_id(p), name=p.name, reason="高额医疗自付", amount=a, listed_on="2026-10-08"
        )
        for p, a in ((head, "38000"), (theirs.members.get(relation="self"), "21000"))
    ]
    data = csv_bytes(headers_of("yibao.suspected"), rows)
    with jobs():
        r = yibao.post(
            "/api/v1/sources/yibao.suspected/batches", {"file": SimpleUploadedFile("医保疑似困难人员202610.csv", data)}
        )
    assert r.status_code == 202, r.content.decode()
    batch_id = r.json()["id"]
    report = yibao.get(f"/api/v1/monitoring/suspected-lists/{batch_id}").json()
    assert (report["matched"], report["unknown"], report["outside"], report["created"]) == (2, 0, 0, 2)

    # 2. 北洛村's worker sees her village's task, not 侯孟村's.
    beiluo = client_of("tez_beiluo")
    listed = api_of("tez_beiluo").get("/api/v1/tasks?status=open").json()["items"]
    assert [t["household_id"] for t in listed] == [ours.pk]
    other = GridTask.objects.get(household=theirs)
    assert beiluo.get(f"/monitoring/tasks/{other.pk}/").status_code == 404
    task = GridTask.objects.get(household=ours)
    page = beiluo.get(f"/monitoring/tasks/{task.pk}/").content.decode()
    assert "周德厚" in page and "高额医疗自付" in page and "38000.00元" in page

    # 3. She visits and applies for the family from the task page on her phone (360 px), with
    #    the family's signed 申请委托书 (INT-11).
    clock("2026-10-10 15:00")
    phone = _phone(browser, live_server.url, client_of("tez_beiluo"), contexts)  # the next day, on her phone
    phone.goto(f"{live_server.url}/monitoring/tasks/{task.pk}/")
    expect(phone.get_by_test_id("task-status")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # no sideways scrolling
    phone.get_by_label("走访情况").fill("户主肾病透析，妻子务农")
    phone.get_by_label("困难和需求").fill("医疗费用")
    phone.get_by_test_id("record-visit").click()
    expect(phone.get_by_label("走访情况")).to_have_value("户主肾病透析，妻子务农")
    phone.get_by_label("核查结果").select_option("applied")
    signature = tmp_path / "委托书.png"
    signature.write_bytes(png())
    phone.get_by_label("申请委托书签名或照片（代为申请时必填）").set_input_files(str(signature))
    phone.get_by_test_id("close-task").click()
    expect(phone.get_by_text("核查任务已办结")).to_be_visible()
    expect(phone.get_by_test_id("task-status")).to_have_text("已办结")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("closed", "applied") and task.warning.status == "closed"
    app = Application.objects.get(pk=task.application_id)
    assert (app.program, app.temporary_kind, app.household_id) == ("temporary", "illness", ours.pk)

    # 4. The town investigates, verifies, approves; the village publishes; no objection.
    sign_authorizations(ours)
    clock("2026-10-14 10:00")
    facts = {k: v for k, v in app.facts.items() if k != "temporary"}
    facts["members"] = [dict(m, medical_oop_fen=560_000) if i == 0 else m for i, m in enumerate(facts["members"])]
    app = investigate_and_verify(world, app, facts)
    assert app.state == "reviewing"
    clock("2026-10-20 15:00")
    actions.approve(app, by=world.user(APPROVER), note="经审核符合临时救助（支出型）条件")
    app.refresh_from_db()
    assert app.state == "publicizing"
    clock(f"{app.publicity_end + dt.timedelta(days=1)} 09:00")
    actions.close_publicity(app, by=world.user(CLERK))
    app.refresh_from_db()
    # the decided amount: half of the 5,600 元 out of pocket is 2,800 元, raised to the floor of
    # 3 × the urban 低保 standard (3,000 元), which is also the town's limit
    assert app.state == "approved" and app.amount_fen == 300_000
    assert app.amount_fen == actions.evaluate(app)["monthly_amount_fen"]
    notice = notice_text(app.notices.get(kind="approval"))
    assert yuan(app.amount_fen) in notice

    # 5. The first payment: the roster line, the bank and the ledger say the notice's amount.
    set_account(head, "6228480012345678911")
    clock("2026-11-04 09:00")
    roster, _ = pay_month(world, dt.date(2026, 11, 1))
    line = RosterLine.objects.get(roster=roster, application=app)
    assert line.amount_fen == app.amount_fen and line.status == "paid"
    assert sum(e.amount_fen for e in LedgerEntry.objects.filter(application=app, kind="payment")) == app.amount_fen
