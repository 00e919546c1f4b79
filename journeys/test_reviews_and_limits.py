"""After the decision: the son finds work (渐退, then the money ends), a neighbour objects during
the 公示 (民主评议), a 特困 elder cannot also draw 低保, and the supervisor reads everything and
changes nothing. DYN-1, DYN-4 … DYN-8, WF-6, WF-8, PRG-1 … PRG-7, REG-2, SUP-6, GOV-1.
"""

from __future__ import annotations

import datetime as dt

import pytest

from journeys.conftest import (
    APPROVER,
    CLERK,
    COUNTY,
    VIEWER,
    approved_family,
    investigate_and_verify,
    notice_text,
    pay_month,
    post,
)

pytestmark = [pytest.mark.journey, pytest.mark.django_db]
NOV, DEC, JAN = dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)


def test_journey_work_income_brings_gradual_exit_then_the_money_ends(world, signed_intake, clock):
    """November: the son starts work at 3,000 元 a month. The change is reported, verified, and
    the county decides 渐退: the configured months at the old amount, a 渐退告知书 with the
    remedy, then no roster line after the last month."""
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.applications.tests.support import use_setting
    from jiuzhu.monitoring import actions as monitoring
    from jiuzhu.payments import actions
    from jiuzhu.payments.models import RosterLine
    from jiuzhu.payments.roster import config_for  # the county's payment settings (渐退 months)
    from jiuzhu.verification.actions import run_verification

    app = approved_family(world, signed_intake, clock)
    use_setting("review.gradual_exit_months", 1)  # the county's own 渐退 months, entered and confirmed
    assert config_for("370405").gradual_exit_months == 1
    clock("2026-11-04 09:00")
    november, _ = pay_month(world, NOV)
    amount = RosterLine.objects.get(roster=november, application=app).amount_fen

    clock("2026-11-16 10:00")
    county = world.user(COUNTY)
    members = [dict(m) for m in app.facts["members"]]
    child = next(i for i, m in enumerate(members) if m.get("relation") == "child")
    members[child]["incomes"] = {"wage": 300_000}
    review = monitoring.report_change(
        app, by=county, reason="子女就业，收入增加", facts={**app.facts, "members": members}
    )
    review = monitoring.start_review(review, by=county)
    run_verification(
        by=SystemActor("核对中心"), household=app.household, program=app.program, request=review.verification
    )
    review.refresh_from_db()
    assert monitoring.review_evaluation(review)["gradual_allowed"]
    clock("2026-11-20 15:00")
    monitoring.decide_review(review, by=county, outcome="gradual", note="子女就业，收入超过标准，给予渐退")
    gradual = notice_text(app.notices.get(kind="gradual"))
    assert "渐退期" in gradual and "申请行政复议" in gradual

    clock("2026-12-03 09:00")
    december, _ = pay_month(world, DEC)
    assert RosterLine.objects.get(roster=december, application=app).amount_fen == amount  # the old amount
    clock("2027-01-05 09:00")
    january = actions.generate_roster(by=county, area_code="370405", month=JAN)
    assert not RosterLine.objects.filter(roster=january, application=app).exclude(status="pulled").exists()


def test_journey_an_objection_during_the_publicity_goes_to_democratic_review(world, signed_intake, clock, api_of):
    """A villager objects on day 3 of the 公示; the town holds 民主评议 (dates not in the future),
    upholds the decision; the 公示 runs on to its end, and the approval follows with its notice."""
    from jiuzhu.applications import actions
    from jiuzhu.applications.tests.support import use_preset
    from jiuzhu.core.errors import InvalidInput

    use_preset("devolved")
    clock("2026-10-09 09:30")
    app = signed_intake().applications.get()
    clock("2026-10-13 10:00")
    app = investigate_and_verify(world, app)
    clock("2026-10-16 15:00")
    actions.approve(app, by=world.user(APPROVER))
    clock("2026-10-19 11:00")
    clerk = world.user(CLERK)
    with pytest.raises(InvalidInput):  # an objection cannot be dated tomorrow
        actions.object_(app, by=clerk, raised_by="村民张某", content="其子在外务工", received_on=dt.date(2026, 10, 20))
    actions.object_(
        app, by=clerk, raised_by="村民张某", content="其子在外务工有收入", received_on=dt.date(2026, 10, 19)
    )
    clock("2026-10-22 09:00")
    actions.record_deliberation(
        app,
        by=clerk,
        held_on=dt.date(2026, 10, 22),
        participants="镇村干部、村民代表共9人",
        minutes="核实其子外出务工收入不稳定，维持原决定",
        votes_for=8,
        votes_against=1,
        outcome="uphold",
    )
    actions.approve(app, by=world.user(APPROVER))  # 维持批准, within the 7 days of the 公示
    app.refresh_from_db()
    # the publicity runs on to its end — the village keeps its 7 days to object (seed 004)
    assert app.state == "publicizing" and not app.notices.filter(kind="approval").exists()
    from jiuzhu.disclosure.services import gongshi_entries

    assert app.number in {e.number for e in gongshi_entries(app.area_code)}  # back on the village's list
    clock(f"{app.publicity_end + dt.timedelta(days=1)} 09:00")
    actions.close_publicity(app, by=clerk)
    app.refresh_from_db()
    assert app.state == "approved"
    notice = notice_text(app.notices.get(kind="approval"))
    assert "民主评议" in notice and "申请行政复议" in notice
    case = api_of(CLERK).get(f"/api/v1/applications/{app.id}").json()
    assert case["state"] == "approved"


def test_journey_a_tekun_elder_cannot_also_draw_dibao(world, signed_intake, household_in, clock, api_of):
    """She lives alone and receives 特困人员救助供养; at the window 低保 is refused with her name
    and the record's source, and 救助测算 names the exclusion (PRG-1, REG-2)."""
    from jiuzhu.applications.tests.test_decisions import elder_alone, receiving
    from jiuzhu.core.errors import DomainError

    clock("2026-11-10 09:00")
    h = elder_alone(household_in)
    receiving(h, "tekun")
    with pytest.raises(DomainError) as refused:
        signed_intake(programs=("dibao",), household=h)
    assert refused.value.code == "exclusive_benefit" and "特困人员救助供养" in refused.value.message
    from jiuzhu.applications.models import Intake

    assert not Intake.objects.filter(household=h).exists()  # nothing half-accepted
    answer = post(
        api_of(CLERK),
        "/api/v1/eligibility/evaluate",
        {"area_code": h.area_id, "date": "2026-11-10", "programs": ["dibao", "tekun"], "household": h_facts(h)},
    ).json()
    assert answer["tekun"]["eligible"] and answer["dibao"]["excluded_by"] == "tekun", answer


def h_facts(household):
    from jiuzhu.applications.actions import default_facts

    return {k: v for k, v in default_facts(household).items() if k != "temporary"}


def test_journey_the_supervisor_reads_everything_and_changes_nothing(world, signed_intake, clock, api_of, client_of):
    """The discipline inspector (监督/只读) follows the same family: sees the case, its notices, the
    roster and the audit trail; every attempt to act is refused and leaves no trace."""
    from jiuzhu.audit.models import AuditEntry

    app = approved_family(world, signed_intake, clock)
    clock("2026-11-04 09:00")
    roster, _ = pay_month(world, NOV)
    viewer, page = api_of(VIEWER), client_of(VIEWER)
    assert viewer.get(f"/api/v1/applications/{app.id}").status_code == 200
    assert viewer.get(f"/api/v1/payments/rosters/{roster.id}").status_code == 200
    assert page.get("/audit/").status_code == 200
    before = AuditEntry.objects.exclude(action__endswith=".view").count()
    attempts = [
        post(viewer, f"/api/v1/applications/{app.id}/actions/reject", {"note": "x"}),
        post(viewer, "/api/v1/households", {}),
        post(viewer, f"/api/v1/payments/rosters/{roster.id}/actions/withdraw", {"reason": "x"}),
        page.post("/tokens/", {"name": "自己签发"}),
        page.post(f"/applications/{app.id}/act/reject/", {"note": "x"}),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert AuditEntry.objects.exclude(action__endswith=".view").count() == before
    shown = page.get(f"/applications/{app.id}/").content.decode()
    assert 'data-testid="read-only-banner"' in shown
