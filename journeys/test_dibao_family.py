"""The 低保 family of 北洛村, 张山子镇: from the window to the bank, and out again.

Seed 004 (峄政发〔2020〕14号) as 台儿庄区 runs it: the town accepts and approves (审批权下放),
the verification centre checks, the village publishes for 7 days, the county pays through the
bank from the month after the decision. Requirements: INT-3, WF-3, WF-5, WF-6, WF-8, VER-12,
DOC-1 … DOC-14, FND-4, DYN-4 … DYN-7, SUP-6.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jiuzhu.core.errors import DomainError
from journeys.conftest import CLERK, COUNTY, approved_family, notice_text, pay_month, yuan

pytestmark = [pytest.mark.journey, pytest.mark.django_db]
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def test_journey_dibao_family_from_the_window_to_the_bank(world, signed_intake, clock, api_of):
    """Money read where each reader reads it: the amount on the 审批通知书 is the November roster
    line, the line in the bank file and the payment on the ledger; the 低保 roster is paid."""
    from jiuzhu.payments.models import BankLine, LedgerEntry, RosterLine

    app = approved_family(world, signed_intake, clock)
    amount = app.amount_fen
    assert amount > 0
    notice = notice_text(app.notices.get(kind="approval"))
    assert yuan(amount) in notice and "起始发放月份2026年11月" in notice
    assert "台儿庄区人民政府申请行政复议" in notice and "True" not in notice

    clock("2026-11-04 09:00")
    roster, batch = pay_month(world, NOV)
    line = RosterLine.objects.get(roster=roster, application=app)
    bank_line = BankLine.objects.get(batch=batch, line=line)
    paid = LedgerEntry.objects.filter(application=app, kind="payment", period=NOV)
    assert line.amount_fen == bank_line.amount_fen == amount
    assert sum(e.amount_fen for e in paid) == amount and line.status == "paid"

    # What each role sees: the clerk the case, approved, with its notices; the county the roster.
    case = api_of(CLERK).get(f"/api/v1/applications/{app.id}").json()
    assert case["state"] == "approved" and {"receipt", "approval"} <= {n["kind"] for n in case["notices"]}
    rosters = api_of(COUNTY).get("/api/v1/payments/rosters", {"month": "2026-11"}).json()
    assert rosters["count"] >= 1
    assert api_of("tez_jiantouji").get(f"/api/v1/applications/{app.id}").status_code == 404


def test_journey_a_stop_takes_next_month_back_and_tells_the_family(world, signed_intake, clock):
    """December: the son finds work, the family's income rises above the standard; the county
    stops the benefit with November as the last month. The December line, locked but not yet
    at the bank, is withdrawn; the register ends; the 停发告知书 names the remedy (DYN-7, FND-4)."""
    from jiuzhu.monitoring import actions as monitoring
    from jiuzhu.payments import actions
    from jiuzhu.payments.models import Benefit, RosterLine
    from jiuzhu.referrals.models import AssistanceRecord

    app = approved_family(world, signed_intake, clock)
    clock("2026-11-04 09:00")
    pay_month(world, NOV)
    clock("2026-11-25 09:00")
    county, admin = world.user(COUNTY), world.user("tez_admin")
    december = actions.generate_roster(by=county, area_code="370405", month=DEC)
    for line in december.lines.exclude(exceptions=[]):
        actions.resolve_line(line, by=county, decision="pay", note="核实无误")
    actions.check_roster(december, by=county)
    actions.request_lock(december, by=county)
    december = actions.confirm_lock(december, by=admin)
    line = RosterLine.objects.get(roster=december, application=app)
    assert line.status == "pending"

    clock("2026-11-28 10:00")
    monitoring.stop_benefit(app, by=county, reason="income", note="子女就业，家庭收入超过低保标准", last_month=NOV)
    line.refresh_from_db()
    assert line.status == "pulled"
    assert Benefit.objects.get(application=app).status == "stopped"
    records = AssistanceRecord.objects.filter(source="application", source_ref=app.number)
    assert records and all(r.end_on is not None and r.end_on <= dt.date(2026, 11, 30) for r in records)
    stop = notice_text(app.notices.get(kind="stop"))
    assert "2026年12月起停止发放" in stop and "六十日内向台儿庄区人民政府申请行政复议" in stop
    with pytest.raises(DomainError) as refused:  # the roster must be re-confirmed before any bank file
        actions.export_bank_file(december, by=county)
    assert "确认" in refused.value.message
