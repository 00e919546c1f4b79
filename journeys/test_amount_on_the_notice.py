"""An old couple of 张山子镇 checks its 低保 on the notices, with a pencil.

He is past 80 and draws a pension; she is severely disabled. 台儿庄区 pays the difference to
its standard and adds 分类施保 for each of them (高龄, 重度残疾). The 审批通知书 must let them
redo the sum: the standard, the family's counted income, the difference, the extra allowance
and the amount, each with the parameter it rests on, and nothing the amount does not rest on
(the asset limits are not part of the sum). The sum on the notice is what the bank pays. When
his pension rises, the 调整告知书 shows the new sum, and December pays it.
DOC-1, DOC-6, DYN-2, DYN-4, STD-1, STD-10, FND-4.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from journeys.conftest import COUNTY, approve_and_publish, investigate_and_verify, notice_text, pay_month, yuan

pytestmark = [pytest.mark.journey, pytest.mark.django_db]
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
STANDARD = "当地低保标准（城乡分设，每人每月）"
INCOME = "家庭月计算收入"
GAP = "差额：低保标准×人数−家庭月计算收入"
EXTRA = "分类施保加发合计：低保标准×加发比例合计"
AMOUNT = "月低保金"


def figure(text: str, label: str) -> int:
    """A figure of the notice's 金额计算, in fen, as the family reads it."""
    found = re.search(re.escape(label) + r"([\d,]+(?:\.\d{1,2})?)元", text)
    assert found, (label, text)
    return round(float(found.group(1).replace(",", "")) * 100)


def ratio(text: str, label: str) -> float:
    found = re.search(re.escape(label) + r"为([\d.]+)倍", text)
    assert found, (label, text)
    return float(found.group(1))


def test_journey_an_old_couple_redoes_the_sum_of_its_notice_and_the_bank_pays_it(
    world, household_in, new_id, signed_intake, clock, client_of, api_of
):
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.applications.tests.support import use_preset
    from jiuzhu.monitoring import actions as monitoring
    from jiuzhu.payments.models import BankLine, LedgerEntry, RosterLine
    from jiuzhu.payments.tests.conftest import set_account
    from jiuzhu.verification.actions import run_verification

    use_preset("devolved")
    clock("2026-10-09 09:30")
    county_code = world.village_in("张山子镇").county_code
    household = household_in(
        members=[
            {"name": "测试甲", "id_number": new_id(age=83, gender="M", area=county_code), "relation": "self"},
            {"name": "测试乙", "id_number": new_id(age=76, gender="F", area=county_code), "relation": "spouse"},
        ]
    )
    app = signed_intake(household=household).applications.get()

    # the visit finds his pension of 300 元 a month and her grade-2 disability
    clock("2026-10-14 10:00")
    facts = {k: v for k, v in app.facts.items() if k != "temporary"}
    facts["members"] = [
        dict(m, incomes={"pension": 30_000})
        if m["relation"] == "self"
        else dict(m, disability_grade=2, disability_type="physical")
        for m in facts["members"]
    ]
    app = investigate_and_verify(world, app, facts)
    app = approve_and_publish(world, app, clock)

    approval = notice_text(app.notices.get(kind="approval"))
    standard, income = figure(approval, STANDARD), figure(approval, INCOME)
    assert income == 30_000  # his pension is counted (民发〔2021〕57号); the notice says so in 元
    assert figure(approval, GAP) == 2 * standard - income
    elderly = ratio(approval, "分类施保：高龄老人加发比例（占低保标准）")
    disabled = ratio(approval, "分类施保：重度残疾成员加发比例（占低保标准）")
    assert elderly > 0 and disabled > 0  # 台儿庄区 sets both
    assert figure(approval, EXTRA) == round(standard * (elderly + disabled))
    amount = figure(approval, AMOUNT)
    assert amount == figure(approval, GAP) + figure(approval, EXTRA) == app.amount_fen
    assert f"月救助金额{yuan(amount)}" in approval
    # a yes-or-no rule reads as one: "…计入家庭收入：是", not "…计入家庭收入为是"
    assert "计入家庭收入：是" in approval and "为是" not in approval and "为否" not in approval
    # what the amount does not rest on stays off the family's sum
    for unrelated in ("金融资产上限", "机动车辆数", "住房套数", "单独申请"):
        assert unrelated not in approval, unrelated

    set_account(app.applicant, "6228480012345678901")
    clock("2026-11-04 09:00")
    roster, batch = pay_month(world, NOV)
    line = RosterLine.objects.get(roster=roster, application=app)
    paid = LedgerEntry.objects.filter(application=app, kind="payment", period=NOV)
    assert line.amount_fen == BankLine.objects.get(batch=batch, line=line).amount_fen == amount
    assert sum(e.amount_fen for e in paid) == amount

    # November: his pension rises to 500 元; the county reviews, verifies and adjusts
    clock("2026-11-16 10:00")
    county = world.user(COUNTY)
    members = [dict(m) for m in app.facts["members"]]
    members = [dict(m, incomes={"pension": 50_000}) if m["relation"] == "self" else m for m in members]
    review = monitoring.report_change(app, by=county, reason="养老金上调", facts={**app.facts, "members": members})
    review = monitoring.start_review(review, by=county)
    run_verification(
        by=SystemActor("核对中心"), household=app.household, program=app.program, request=review.verification
    )
    clock("2026-11-20 15:00")
    monitoring.decide_review(review, by=county, outcome="change", note="养老金上调，重新核定")
    app.refresh_from_db()
    adjustment = notice_text(app.notices.get(kind="adjustment"))
    assert figure(adjustment, INCOME) == 50_000
    assert figure(adjustment, STANDARD) == standard
    after = figure(adjustment, AMOUNT)
    assert after == 2 * standard - 50_000 + figure(adjustment, EXTRA) == app.amount_fen
    assert f"调整前月救助金{yuan(amount)}" in adjustment and f"调整后月救助金{yuan(after)}" in adjustment
    assert "金融资产上限" not in adjustment
    # the case page still says what the town approved; the review's amount is its own row
    page = client_of(COUNTY).get(f"/applications/{app.pk}/").content.decode()
    decision = re.search(r'data-testid="decision">(.*?)</dd>', page, re.S).group(1)
    assert f"批准，{yuan(amount)}" in decision and yuan(after) not in decision
    assert yuan(after) in re.search(r'data-testid="current-amount">(.*?)</dd>', page, re.S).group(1)
    reviews = re.search(r'data-testid="case-reviews">(.*?)</table>', page, re.S).group(1)
    assert f"{yuan(amount)} → {yuan(after)}" in reviews and "2026年12月" in reviews and "调整告知书" in reviews
    case = api_of(COUNTY).get(f"/api/v1/applications/{app.pk}").json()
    assert (case["approved_amount_fen"], case["amount_fen"]) == (amount, after)

    clock("2026-12-03 09:00")
    december, _ = pay_month(world, DEC)
    assert RosterLine.objects.get(roster=december, application=app).amount_fen == after
