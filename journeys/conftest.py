"""Shared steps of the journeys: what each role does, in the order a county lives it.

A journey moves the clock with ``time_machine`` (the county's calendar: Asia/Shanghai) and
drives each step as the role would: through the API with that role's session, or through the
actions the pages call. Money is read where the family and the bank read it: the notice PDF,
the roster line, the bank file line and the ledger.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from jiuzhu.applications.tests.conftest import png, png_b64, signed_intake  # noqa: F401  (fixtures)
from jiuzhu.payments.tests.conftest import approved_case, result_csv, set_account  # noqa: F401

CST = ZoneInfo("Asia/Shanghai")
CLERK, APPROVER, VERIFIER, COUNTY, ADMIN, VIEWER = (
    "tez_zhangshanzi",
    "tez_zhangshanzi_sp",
    "tez_hecha",
    "tez_county",
    "tez_admin",
    "tez_viewer",
)


@pytest.fixture
def clock() -> Iterator[Callable[[str], None]]:
    """``clock("2026-10-09 09:30")`` puts the county's clock there (it ticks on from there)."""
    current: list[Any] = []

    def go(when: str) -> None:
        if current:
            current.pop().stop()
        traveller = time_machine.travel(dt.datetime.fromisoformat(when).replace(tzinfo=CST), tick=True)
        traveller.start()
        current.append(traveller)

    yield go
    if current:
        current.pop().stop()


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        out = subprocess.run(["pdftotext", "-raw", fh.name, "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


def notice_text(notice: Any) -> str:
    from jiuzhu.registry.storage import path_of

    with open(path_of(notice.document.storage_name), "rb") as fh:
        return pdf_text(fh.read())


def yuan(fen: int) -> str:
    """As a notice prints it: ``1,234.00元``."""
    return f"{fen / 100:,.2f}元"


def act(client: Any, app_id: int, name: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
    r = client.post(
        f"/api/v1/applications/{app_id}/actions/{name}", json.dumps(body or {}), content_type="application/json"
    )
    assert r.status_code == status, (name, r.status_code, r.content.decode()[:400])
    return r.json()


def post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def signature(person: Any, width: int) -> dict[str, Any]:
    """One signature on the window's pad: whose, and its image."""
    return {"person_id": person.id, "image_base64": png_b64(width)}


def apply_signed_by_the_head_alone(clerk: Any, family: Any) -> Any:
    """9 October 2026 at the window: the head of the family applies for 低保 alone and signs his
    own 授权书 and the 承诺书; the other adults have not signed. The case, through the API."""
    from jiuzhu.applications.models import Application

    head = family.members.get(relation="self")
    r = post(
        clerk,
        "/api/v1/applications",
        {
            "household_id": family.id,
            "programs": ["dibao"],
            "authorizations": [signature(head, 5)],
            "commitment": signature(head, 6),
        },
    )
    assert r.status_code == 201, r.content.decode()[:400]
    return Application.objects.get(pk=r.json()["applications"][0]["id"]), r.json()["applications"][0]


def investigate_and_verify(world: Any, app: Any, facts: dict[str, Any] | None = None) -> Any:
    """入户调查 by two staff and 一键核对 by the verification centre, then 提交审核."""
    from jiuzhu.applications import walk

    facts = facts if facts is not None else {k: v for k, v in app.facts.items() if k != "temporary"}
    return walk.to_review(app, by=world.user(CLERK), verifier=world.user(VERIFIER), facts=facts)


def pay_month(world: Any, month: dt.date, area: str = "370405") -> tuple[Any, Any]:
    """The county generates, checks and locks the month's roster (the administrator confirms),
    exports the bank file and imports the bank's result: what a month of payment is."""
    from jiuzhu.payments import actions
    from jiuzhu.payments.models import BLOCKING

    county, admin = world.user(COUNTY), world.user(ADMIN)
    roster = actions.generate_roster(by=county, area_code=area, month=month)
    for line in roster.lines.exclude(exceptions=[]):
        blocking = set(BLOCKING) & set(line.exceptions)
        actions.resolve_line(line, by=county, decision="hold" if blocking else "pay", note="核实无误")
    assert actions.check_roster(roster, by=county)["status"] == "checked"
    actions.request_lock(roster, by=county)
    roster = actions.confirm_lock(roster, by=admin)
    batch, _, _ = actions.export_bank_file(roster, by=county)
    actions.import_bank_results(batch, by=county, file_name=f"回盘{month:%Y%m}.csv", data=result_csv(batch))
    return roster, batch


def approve_and_publish(world: Any, app: Any, clock: Callable[[str], None]) -> Any:
    """20 October 2026: the town approves a case waiting for its decision; the village publishes it
    for 7 days, no objection, and the decision takes effect: paid from November."""
    from jiuzhu.applications import actions

    clock("2026-10-20 15:00")
    actions.approve(app, by=world.user(APPROVER), note="经审核符合条件")
    app.refresh_from_db()
    assert app.state == "publicizing" and app.publicity_end is not None
    assert app.publicity_end - dt.date(2026, 10, 20) >= dt.timedelta(days=6)  # 7 days on the village board
    clock(f"{app.publicity_end + dt.timedelta(days=1)} 09:00")
    actions.close_publicity(app, by=world.user(CLERK))
    app.refresh_from_db()
    assert app.state == "approved" and app.start_month == dt.date(2026, 11, 1)
    return app


def signed_family_paid_in_november(
    world: Any, app: Any, clock: Callable[[str], None], verifier: Any, account: str
) -> Any:
    """Once every adult has signed: the visit, the verification centre's 一键核对 through the API
    (``verifier``: its session), the town's decision and 7 days on the village board; the amount
    on the 审批通知书 is what the November roster, the bank file and the ledger carry."""
    from jiuzhu.applications import actions, walk
    from jiuzhu.payments.models import BankLine, LedgerEntry, RosterLine

    walk.investigate(app, by=world.user(CLERK))
    report = post(verifier, "/api/v1/verifications", {"application_id": app.id})
    assert report.status_code == 201, report.content.decode()[:400]
    actions.submit_review(app, by=world.user(CLERK))
    app = approve_and_publish(world, app, clock)
    assert app.amount_fen and app.amount_fen > 0
    approval = notice_text(app.notices.get(kind="approval"))
    assert yuan(app.amount_fen) in approval and "起始发放月份2026年11月" in approval

    set_account(app.applicant, account)
    clock("2026-11-04 09:00")
    november = dt.date(2026, 11, 1)
    roster, batch = pay_month(world, november)
    line = RosterLine.objects.get(roster=roster, application=app)
    paid = LedgerEntry.objects.filter(application=app, kind="payment", period=november)
    assert line.amount_fen == BankLine.objects.get(batch=batch, line=line).amount_fen == app.amount_fen
    assert sum(e.amount_fen for e in paid) == app.amount_fen and line.status == "paid"
    return app


def approved_family(world: Any, make_intake: Callable[..., Any], clock: Callable[[str], None]) -> Any:
    """October 2026: the family applies at the window with ID cards only, is visited and
    verified, the town approves, the village publishes; no objection."""
    from jiuzhu.applications.tests.support import use_preset

    use_preset("devolved")
    clock("2026-10-09 09:30")
    intake = make_intake()
    app = intake.applications.get()
    assert app.state == "accepted" and intake.notices.filter(kind="receipt").exists()
    clock("2026-10-14 10:00")
    facts = {k: v for k, v in app.facts.items() if k != "temporary"}
    facts["members"] = [dict(m, incomes={"wage": 60000}) if i == 0 else m for i, m in enumerate(facts["members"])]
    app = investigate_and_verify(world, app, facts)
    assert app.state == "reviewing"
    app = approve_and_publish(world, app, clock)
    from jiuzhu.payments.models import Benefit

    # the decision hands the case to payment at once (issue 15 item 4), not when a roster runs
    assert Benefit.objects.get(application=app).status == "active"
    set_account(app.household.members.get(relation="self"), "6228480012345678901")
    return app
