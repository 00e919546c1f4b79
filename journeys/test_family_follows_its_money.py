"""One 低保 family follows its money on 掌上办 while the county manages the case (INT-9, DYN-3,
DYN-4, LNK-3): approved in October and paid in November, the daughter's wage rises and a review
lowers the benefit from January — the family reads the new amount and since when, not the
approval's; then the family moves away, the benefit stops, and the 一体联动 referrals no
department has answered are withdrawn: the department and the family both read why."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from jiuzhu.portal.tests import conftest as portal_fixtures
from jiuzhu.portal.tests.conftest import last_code
from journeys.conftest import APPROVER, COUNTY, approved_family, notice_text, pay_month, yuan

pytestmark = [pytest.mark.journey, pytest.mark.django_db]
_sms_to_file, sms_file = portal_fixtures._sms_to_file, portal_fixtures.sms_file
NOV = dt.date(2026, 11, 1)


def _family_api(head: Any, sms_file: Any) -> Client:
    from jiuzhu.registry.pii import unseal

    id_number = unseal("id_number", head.id_number_enc)
    api = Client()
    body = json.dumps({"id_number": id_number})
    assert api.post("/api/v1/my/login/code", body, content_type="application/json").status_code == 200
    body = json.dumps({"id_number": id_number, "code": last_code(sms_file)})
    token = api.post("/api/v1/my/login", body, content_type="application/json").json()["token"]
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_journey_the_family_reads_its_money_through_a_review_and_a_stop(world, signed_intake, clock, sms_file):
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.monitoring import actions as monitoring
    from jiuzhu.payments.models import RosterLine
    from jiuzhu.referrals.models import Referral
    from jiuzhu.registry.actions import update_member
    from jiuzhu.verification.actions import run_verification

    app = approved_family(world, signed_intake, clock)
    head = app.household.members.get(relation="self")
    update_member(head, {"phone": "13900007777"}, by=world.user("tez_zhangshanzi"))
    clock("2026-11-04 09:00")
    november, _ = pay_month(world, NOV)
    paid = RosterLine.objects.get(roster=november, application=app).amount_fen

    # December: the head's wage rises by 200元 a month; the review lowers the benefit from January
    clock("2026-12-07 10:00")
    county = world.user(COUNTY)
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"wage": 80000}
    review = monitoring.report_change(app, by=county, reason="户主工资增加", facts={**app.facts, "members": members})
    review = monitoring.start_review(review, by=county)
    run_verification(
        by=SystemActor("核对中心"), household=app.household, program=app.program, request=review.verification
    )
    review.refresh_from_db()
    clock("2026-12-09 15:00")
    review = monitoring.decide_review(review, by=world.user(APPROVER), outcome="change", note="户主工资增加")
    after = review.amount_after_fen
    assert review.effective_month == dt.date(2027, 1, 1) and 0 < after < paid
    adjustment = notice_text(app.notices.get(kind="adjustment"))
    assert yuan(paid) in adjustment and yuan(after) in adjustment and "2027年1月" in adjustment

    family = _family_api(head, sms_file)
    (case,) = family.get("/api/v1/my/applications").json()
    assert case["plain"] == (
        f"每月救助金{yuan(after)}，自2027年1月起调整（此前每月{yuan(paid)}），详见《救助金调整告知书》。"
    )
    assert case["next_step"].startswith("救助金发放至领款人的社会保障卡（一卡通）账户")

    # April: the family has moved to another county; the town stops the benefit after March
    waiting = list(Referral.objects.filter(application=app).exclude(status__in=("granted", "denied", "cancelled")))
    assert waiting, "the approval sent 一体联动 referrals"
    clock("2027-04-08 10:00")
    monitoring.stop_benefit(
        app, by=world.user(APPROVER), reason="moved", note="全家迁往外县居住，户籍已迁出", last_month="2027-03"
    )
    stop = notice_text(app.notices.get(kind="stop"))
    assert "因迁出本辖区" in stop and "决定自2027年4月起停止发放救助金（最后发放月份：2027年3月）" in stop
    for ref in waiting:
        ref.refresh_from_db()
        assert ref.status == "cancelled" and ref.result_note == "救助对象已停发（迁出本辖区），派单撤销"
    family = _family_api(head, sms_file)  # months later: the family signs in again
    (case,) = family.get("/api/v1/my/applications").json()
    assert case["plain"] == "救助金已停发（迁出本辖区）。"
    referrals = family.get("/api/v1/my/referrals").json()
    assert {r["number"] for r in referrals} >= {r.number for r in waiting}
    assert all(r["status"] == "已撤销" for r in referrals if r["number"] in {w.number for w in waiting})
