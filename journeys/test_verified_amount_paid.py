"""The family wrote its 基础养老金 where the form asks for 养老金、退休金; the verification
centre's 一键核对 finds it is the 城乡居民基础养老金, which is not counted. The town decides on
the corrected facts, and the notice says so. The bank must pay the amount on the notice, month
after month, not the one the uncorrected declaration would give — and the clerk still sees what
the family declared beside what was found. VER-12, INT-3, DOC-1, FND-4, DYN-4.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jiuzhu.verification.tests.conftest import catalog, csv_bytes, headers_of, jobs, plain_ids, row_for, upload
from journeys.conftest import CLERK, VERIFIER, approve_and_publish, notice_text, pay_month, post, yuan

__all__ = ["catalog", "jobs", "upload"]
pytestmark = [pytest.mark.journey, pytest.mark.django_db]
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
PENSION = 16_300  # 163 元 a month


def test_journey_the_bank_pays_the_amount_decided_on_the_verified_facts(
    world, catalog, upload, signed_intake, clock, api_of, client_of
):
    from jiuzhu.applications import actions, walk
    from jiuzhu.applications.tests.support import use_preset
    from jiuzhu.payments.models import BankLine, LedgerEntry, RosterLine
    from jiuzhu.payments.tests.conftest import set_account

    use_preset("devolved")
    clock("2026-10-09 09:30")
    app = signed_intake().applications.get()

    # the visit: the head declares 163 元 a month of 养老金、退休金 (counted against the family)
    clock("2026-10-12 10:00")
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"pension": PENSION}
    walk.investigate(app, by=world.user(CLERK), facts={**app.facts, "members": members})
    app.refresh_from_db()
    declared_amount = actions.evaluate(app)["monthly_amount_fen"]

    # 人社's monthly file says the 163 元 is the 城乡居民基础养老金; the centre runs 一键核对
    head = plain_ids(app.household)[0]
    months = [f"{y}-{m:02d}" for y, m in [(2025, m) for m in range(10, 13)] + [(2026, m) for m in range(1, 10)]]
    rows = [
        row_for("renshe.pension", id_number=head, benefit="城乡居民基础养老金", month=month, amount="163")
        for month in months
    ]
    upload("renshe.pension", csv_bytes(headers_of("renshe.pension"), rows))
    clock("2026-10-13 11:00")
    report = post(api_of(VERIFIER), "/api/v1/verifications", {"application_id": app.id})
    assert report.status_code == 201, report.content.decode()[:400]
    actions.submit_review(app, by=world.user(CLERK))
    app = approve_and_publish(world, app, clock)

    # the decision counts what the departments found: 163 元 more a month than the declaration
    assert app.amount_fen == declared_amount + PENSION
    approval = notice_text(app.notices.get(kind="approval"))
    assert f"月救助金额{yuan(app.amount_fen)}" in approval
    # the clerk still reads the declaration beside the verified figure
    page = client_of(CLERK).get(app.get_absolute_url()).content.decode()
    assert 'data-testid="declared-vs-verified"' in page and "不一致" in page and "163.00" in page

    set_account(app.applicant, "6228480012345678901")
    for month, when in ((NOV, "2026-11-04 09:00"), (DEC, "2026-12-03 09:00")):
        clock(when)
        roster, batch = pay_month(world, month)
        line = RosterLine.objects.get(roster=roster, application=app)
        paid = LedgerEntry.objects.filter(application=app, kind="payment", period=month)
        assert line.amount_fen == BankLine.objects.get(batch=batch, line=line).amount_fen == app.amount_fen, month
        assert sum(e.amount_fen for e in paid) == app.amount_fen and line.status == "paid"
