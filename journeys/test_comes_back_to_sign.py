"""A 低保 family of 张山子镇 whose wife and son could not come to the window: told once what is
missing, it comes back once, and is paid like any other family.

Seeds 002 and 004: 一次性告知、一次性填写; the 核对授权书 of every adult and the 诚信承诺书 on the
signature pad; the verification centre checks only what the family has authorized (先授权、后核对);
the town approves, the village publishes for 7 days, the county pays from the month after the
decision. Requirements: INT-3, INT-5, INT-13, DOC-3, DOC-9, WF-3, WF-8, FND-4.
"""

from __future__ import annotations

import pytest

from journeys.conftest import (
    CLERK,
    VERIFIER,
    apply_signed_by_the_head_alone,
    notice_text,
    post,
    signature,
    signed_family_paid_in_november,
)

pytestmark = [pytest.mark.journey, pytest.mark.django_db]


def test_journey_the_family_is_told_once_comes_back_once_and_is_paid(world, household_in, clock, api_of):
    """October 2026: the husband applies alone, signs his own 授权书 and the 承诺书; the receipt
    sends the family to the 一次性告知书, which names the wife's and the son's 授权书 and the
    materials of the family's own 低保 (城市 or 农村, not both). The verification centre cannot
    check before they sign. They come on the 12th; the case goes on; the amount on the 审批通知书
    is what the November roster, the bank file and the ledger carry."""
    from jiuzhu.applications.tests.support import use_preset
    from jiuzhu.programs.exclusivity import urban_of

    use_preset("devolved")
    clerk, verifier = api_of(CLERK), api_of(VERIFIER)
    family = household_in("张山子镇")
    husband = family.members.get(relation="self")
    wife, son = family.members.get(relation="spouse"), family.members.get(relation="child")

    clock("2026-10-09 09:30")
    app, case = apply_signed_by_the_head_alone(clerk, family)
    missing = [m["name"] for m in case["missing_documents"]]
    assert missing == [f"家庭经济状况核对授权书（{wife.name}）", f"家庭经济状况核对授权书（{son.name}）"]

    receipt = notice_text(app.intake.notices.get(kind="receipt"))
    assert "尚需补充的材料见《一次性告知书》" in receipt
    checklist = notice_text(app.intake.notices.get(kind="checklist"))
    assert "一次性告知，请一次备齐" in checklist
    assert all(name in checklist for name in missing)
    assert f"家庭经济状况核对授权书（{husband.name}）" not in checklist and "诚信承诺书（申请人）" not in checklist
    own, other = ("城市", "农村") if urban_of(family) else ("农村", "城市")
    assert f"{own}最低生活保障申请材料" in checklist and f"{other}最低生活保障" not in checklist
    assert "True" not in checklist and "None" not in checklist

    clock("2026-10-10 09:00")  # 先授权、后核对: neither the visit nor the check starts before they sign
    for refused in (
        post(clerk, f"/api/v1/applications/{app.id}/actions/start_investigation"),
        post(verifier, "/api/v1/verifications", {"application_id": app.id}),
    ):
        assert refused.status_code == 409 and refused.json()["code"] == "authorization_missing"
        assert "先授权、后核对" in refused.json()["message"] and refused.json()["message"].count("*") == 4

    clock("2026-10-12 10:00")  # the wife and the son come to the window and sign on the pad
    signed = post(
        clerk,
        f"/api/v1/applications/{app.id}/supplement",
        {"authorizations": [signature(wife, 7), signature(son, 8)]},
    )
    assert signed.status_code == 200, signed.content.decode()[:400]
    assert signed.json()["missing_documents"] == []
    again = post(clerk, f"/api/v1/applications/{app.id}/supplement", {"authorizations": [signature(son, 9)]})
    assert again.status_code == 422 and again.json()["code"] == "already_signed"

    signed_family_paid_in_november(world, app, clock, verifier, "6228480012345678901")
