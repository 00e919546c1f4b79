"""A county that is not in the demo, onboarded from files alone, takes, decides and pays its
first 低保 application (issue 16 item 5, "done when"). Requirements: GOV-3 (区划与岗位),
GOV-5 (办理流程模式 national: the town proposes and publishes, the county approves), GOV-17
(two-person settings, audited), STD-1 (the county's own 低保 standard decides the amount).

薛城区 (370403) comes from docs/onboarding/example; every actor below is one of its staff
accounts created from staff.xlsx; no demo user and no code change is involved.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from journeys.conftest import notice_text, result_csv, set_account, yuan

pytestmark = [pytest.mark.journey, pytest.mark.django_db]
EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "onboarding" / "example"
NOV = dt.date(2026, 11, 1)
VILLAGE = "370403104201"  # 沙沟镇前良村 (rural)


def staff(username: str) -> Any:
    from jiuzhu.accounts.models import User

    return User.objects.select_related("area").get(username=username)


def test_journey_an_onboarded_county_takes_decides_and_pays_its_first_dibao_case(
    world: Any, tmp_path: Path, new_id: Any, clock: Any
) -> None:
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.applications import actions, walk
    from jiuzhu.applications.tests.conftest import png
    from jiuzhu.payments import actions as pay
    from jiuzhu.payments.models import BankLine, LedgerEntry, RosterLine
    from jiuzhu.registry.actions import create_household

    # The operator onboards the county from its files; the check then finds nothing missing.
    out = io.StringIO()
    call_command("onboard_county", str(_copy(EXAMPLE, tmp_path)), stdout=out)
    check = io.StringIO()
    call_command("onboard_county", str(tmp_path / "xuecheng"), "--check", stdout=check)
    assert "✗" not in check.getvalue()

    clerk, approver, verifier = staff("xc_shagou"), staff("xc_shagou_sp"), staff("xc_hecha")
    county, admin = staff("xc_county"), staff("xc_admin")

    # The window clerk tells the family whom to call: the program page shows the county's
    # 承办部门 and contact from county.yaml (PRG-2, INT-16).
    browser = Client()
    browser.force_login(clerk)
    page = browser.get("/programs/dibao_rural/").content.decode()
    assert 'data-testid="contact">社会救助股（示例），0632-4412345<' in page and "薛城区民政局" in page

    # October: a family of 前良村 applies at the 沙沟镇 window.
    clock("2026-10-09 09:30")
    household = create_household(
        by=SystemActor(),
        area_code=VILLAGE,
        address="前良村8号",
        members=[
            {"name": "示例甲", "id_number": new_id(age=48, area="370403"), "relation": "self"},
            {"name": "示例乙", "id_number": new_id(age=46, gender="F", area="370403"), "relation": "spouse"},
            {"name": "示例丙", "id_number": new_id(age=12, area="370403"), "relation": "child"},
        ],
    )
    head = household.members.get(relation="self")
    adults = [p for p in household.members.all() if p.age >= 18]
    intake = actions.intake(
        actions.IntakeRequest(
            household=household,
            applicant=head,
            programs=["dibao"],
            authorizations=[actions.SignatureIn(p.pk, png(4 + i)) for i, p in enumerate(adults)],
            commitment=actions.SignatureIn(head.pk, png(9)),
        ),
        by=clerk,
    )
    app = intake.applications.get()
    assert app.state == "accepted" and app.county_code == "370403"
    assert intake.notices.filter(kind="receipt").exists()

    # The town visits, the county's verification centre checks, the window submits.
    clock("2026-10-14 10:00")
    facts = {k: v for k, v in app.facts.items() if k != "temporary"}
    facts["members"] = [dict(m, incomes={"wage": 60000}) if i == 0 else m for i, m in enumerate(facts["members"])]
    visit = walk.Visit(investigators="示例调查员甲、示例调查员乙", housing="自有砖瓦房三间")
    app = walk.to_review(app, by=clerk, verifier=verifier, visit=visit, facts=facts, visited_on=dt.date(2026, 10, 14))
    assert app.state == "reviewing"

    # National procedure (the county's preset): the town proposes and publishes, the county approves.
    clock("2026-10-20 15:00")
    actions.propose(app, by=approver, note="初审符合条件")
    app.refresh_from_db()
    assert app.state == "publicizing" and app.publicity_end is not None
    clock(f"{app.publicity_end + dt.timedelta(days=1)} 09:00")
    actions.approve(app, by=county, note="审核确认")
    app.refresh_from_db()
    assert app.state == "approved" and app.decided_by == county and app.amount_fen > 0

    # STD-1: the amount comes from the county's own rural standard, 770.00元, entered from county.yaml.
    used = {p["name"]: p for p in app.trace["parameters"]}
    assert used["dibao.standard.rural"]["value"] == 77000 and used["dibao.standard.rural"]["area"] == "370403"
    notice = notice_text(app.notices.get(kind="approval"))
    assert yuan(app.amount_fen) in notice and "薛城区人民政府申请行政复议" in notice and "薛城区民政局" in notice

    # November: the county makes the roster, the administrator confirms the lock, the bank pays.
    set_account(head, "6228480012345670001")
    clock("2026-11-04 09:00")
    roster = pay.generate_roster(by=county, area_code="370403", month=NOV)
    for line in roster.lines.exclude(exceptions=[]):
        pay.resolve_line(line, by=county, decision="pay", note="核实无误")
    assert pay.check_roster(roster, by=county)["status"] == "checked"
    pay.request_lock(roster, by=county)
    roster = pay.confirm_lock(roster, by=admin)
    line = RosterLine.objects.get(roster=roster, application=app)
    assert line.amount_fen == app.amount_fen
    batch, _, _ = pay.export_bank_file(roster, by=county)
    pay.import_bank_results(batch, by=county, file_name="回盘202611.csv", data=result_csv(batch))
    line.refresh_from_db()
    assert line.status == "paid"
    assert BankLine.objects.get(batch=batch, line=line).amount_fen == app.amount_fen
    paid = LedgerEntry.objects.filter(application=app, kind="payment", period=NOV)
    assert sum(e.amount_fen for e in paid) == app.amount_fen


def _copy(source: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "xuecheng"
    shutil.copytree(source, target)
    return target
