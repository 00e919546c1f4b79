"""临时救助 journeys: a fire at night (急难, 先行救助 within 24 hours from the town's reserve,
then registration), and a family crushed by medical bills (支出型) whose aid is above the
town's limit, goes to the county and to 一事一议. Seeds 003 and 004; STD-5, STD-6, WF-3, WF-17,
PRG-7, DOC-14, FND-4.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jiuzhu.payments.tests.conftest import set_account
from journeys.conftest import (
    APPROVER,
    CLERK,
    COUNTY,
    act,
    investigate_and_verify,
    notice_text,
    pay_month,
    png,
    post,
    yuan,
)

pytestmark = [pytest.mark.journey, pytest.mark.django_db]


def test_journey_a_fire_at_night_is_helped_within_24_hours_and_registered(world, household_in, api_of, clock):
    """Friday 22:40 the house burns; the town pays 800 元 from its reserve before the clock's 24
    hours run out (shown in hours, not a calendar date), registers the case on Monday within the
    county's working days, and the reserve's passbook and the ledger agree with the notice."""
    from jiuzhu.applications.config import config_for_case
    from jiuzhu.applications.models import Application, CaseDeadline
    from jiuzhu.applications.tests.conftest import png_b64
    from jiuzhu.funds import actions as funds
    from jiuzhu.funds.models import ReserveEntry

    clock("2026-11-02 09:00")
    county = world.user(COUNTY)
    fund = funds.open_reserve(by=county, town_code="370405101")
    funds.top_up_reserve(fund, by=county, amount_fen=5_000_000)
    h = household_in("张山子镇")
    head = h.members.get(relation="self")
    clerk = api_of(CLERK)

    clock("2026-11-06 22:40")  # a Friday night
    r = post(
        clerk,
        "/api/v1/applications",
        {
            "household_id": h.id,
            "programs": ["temporary"],
            "temporary_kind": "emergency",
            "emergency_event": "fire",
            "documents_provided": ["急难事由说明"],
            "commitment": {"person_id": head.id, "image_base64": png_b64(9)},
        },
    )
    assert r.status_code == 201, r.content.decode()
    app_id = r.json()["applications"][0]["id"]
    clock_step = CaseDeadline.objects.get(application_id=app_id, step="advance")
    hours = (clock_step.due_at - Application.objects.get(pk=app_id).accepted_at).total_seconds() / 3600
    assert round(hours, 3) == 24  # the 急难 clock runs in hours

    clock("2026-11-07 08:15")  # Saturday morning, 9.5 hours later
    paid = act(clerk, app_id, "advance_pay", {"amount_fen": 80000})
    assert paid["state"] == "advance_paid"
    clock("2026-11-09 10:00")  # Monday
    done = act(clerk, app_id, "register_formally")
    assert done["state"] == "approved" and done["amount_fen"] == 80000
    app = Application.objects.get(pk=app_id)
    advance = notice_text(app.notices.get(kind="advance"))
    assert yuan(80000) in advance
    receipt = notice_text(app.intake.notices.get(kind="receipt"))  # no visit or check is promised
    assert "本机关将按急难型临时救助程序先行救助" in receipt and "入户调查" not in receipt
    days = config_for_case(app).emergency_register_days  # the county's setting, not a number in the notice
    due = CaseDeadline.objects.get(application=app, step="registration").due_on
    assert f"将在{days}个工作日内（{due:%Y年%-m月%-d日}前）" in advance
    # The family reads the approval after registration: the 800 元 it got on Saturday was the
    # aid, nothing more comes to its card, and no visit or check it never had is claimed.
    approval = notice_text(app.notices.get(kind="approval"))
    assert f"已于2026年11月7日先行救助{yuan(80000)}，现已补办登记手续" in approval
    assert "救助金已于2026年11月7日先行发放，不再另行发放" in approval
    assert "入户调查" not in approval and "社会保障卡" not in approval
    drawn = ReserveEntry.objects.get(fund=fund, application=app)
    assert abs(drawn.amount_fen) == 80000 and drawn.balance_after_fen == 5_000_000 - 80000
    assert funds.reserve_balance(fund) == 5_000_000 - 80000
    # and the money agrees: no roster pays it again; the ledger holds the one payment
    from jiuzhu.payments import actions as payments
    from jiuzhu.payments.models import LedgerEntry, RosterLine

    roster = payments.generate_roster(by=world.user(COUNTY), area_code="370405", month=dt.date(2026, 11, 1))
    assert not RosterLine.objects.filter(roster=roster, application=app).exists()
    assert sum(e.amount_fen for e in LedgerEntry.objects.filter(application=app, kind="payment")) == 80000


def test_journey_medical_bills_above_the_town_limit_go_to_the_county_and_one_matter_one_meeting(
    world, signed_intake, api_of, clock
):
    """A father on dialysis, 40,000 元 paid out of pocket in a year. The town may approve up to
    3,000 元: it cannot approve, it escalates (报县级审批); the county holds 一事一议 and decides
    20,000 元, above the ordinary band of 12 × 1,000 元 and within its ceiling; the notice,
    the decision and the rules engine's result say the same amount."""
    from jiuzhu.applications import actions
    from jiuzhu.applications.models import Application
    from jiuzhu.applications.tests.support import use_preset

    use_preset("devolved")
    clock("2026-10-12 09:00")
    intake = signed_intake(
        programs=("temporary",), temporary_kind="illness", documents_provided=["医疗费用票据（自付部分）"]
    )
    app = intake.applications.get()
    facts = {k: v for k, v in app.facts.items() if k != "temporary"}
    facts["members"] = [dict(m, medical_oop_fen=4_000_000) if i == 0 else m for i, m in enumerate(facts["members"])]
    clock("2026-10-15 10:00")
    app = investigate_and_verify(world, app, facts)

    approver, county = api_of(APPROVER), api_of(COUNTY)
    refused = act(approver, app.id, "approve", status=409)
    assert refused["code"] == "needs_higher_approval" and "报县级审批" in refused["message"]
    act(approver, app.id, "escalate", {"reason": "测算金额超过镇级审批限额，家庭困难特别严重"})
    app.refresh_from_db()
    assert app.state == "county_review"
    # the town may no longer decide; the county may
    assert act(approver, app.id, "approve", status=403)["code"] == "permission_denied"

    clock("2026-10-22 14:00")
    record = actions.record_special_deliberation(
        app,
        by=world.user(COUNTY),
        held_on=dt.date(2026, 10, 22),
        participants=["李局长", "王科长", "赵主任", "张山子镇孙镇长"],
        hardship="户主尿毒症长期透析，近12个月自付医疗费用4万元，家庭无其他收入",
        minutes="经集体研究，同意按一事一议将临时救助金额提高至2万元",
        decided_amount_fen=2_000_000,
        signature=actions.SignatureIn(0, png(12), "scan"),
    )
    assert record.ordinary_max_fen == 1_200_000 and record.ceiling_fen >= 2_000_000
    act(county, app.id, "approve", {"note": "同意一事一议决定"})
    app.refresh_from_db()
    assert app.amount_fen == 2_000_000 and app.state == "publicizing"
    clock(f"{app.publicity_end.isoformat()} 09:00")
    clock(f"{(app.publicity_end + dt.timedelta(days=1)).isoformat()} 09:00")
    act(api_of(CLERK), app.id, "close_publicity")
    app = Application.objects.get(pk=app.id)
    assert app.state == "approved"
    notice = notice_text(app.notices.get(kind="approval"))
    assert "一事一议" in notice and yuan(2_000_000) in notice and "贰万元整" in notice
    assert actions.evaluate(app)["monthly_amount_fen"] == 2_000_000

    # The money: once, on the next roster, in the bank file and on the ledger — never again.
    from jiuzhu.payments.models import BankLine, LedgerEntry, RosterLine

    set_account(app.household.members.get(relation="self"), "6228480012345678902")
    clock("2026-11-04 09:00")
    roster, batch = pay_month(world, dt.date(2026, 11, 1))
    line = RosterLine.objects.get(roster=roster, application=app)
    bank_line = BankLine.objects.get(batch=batch, line=line)
    paid = LedgerEntry.objects.filter(application=app, kind="payment")
    assert line.program == "temporary" and line.amount_fen == bank_line.amount_fen == 2_000_000
    assert sum(e.amount_fen for e in paid) == 2_000_000 and line.status == "paid"
    # the family reads on 掌上办 that the money has gone, not still "救助金发放至…账户"
    from jiuzhu.portal.queries import case_view

    view = case_view(app)
    assert (
        view.plain
        == f"申请已批准，临时救助金{yuan(2_000_000)}，一次性发放，{yuan(2_000_000)}已发放（2026年11月花名册）。"
    )
    assert view.next_step == ""
    clock("2026-12-03 09:00")
    from jiuzhu.payments import actions as payments

    december = payments.generate_roster(by=world.user(COUNTY), area_code="370405", month=dt.date(2026, 12, 1))
    assert not RosterLine.objects.filter(roster=december, application=app).exists()
