"""A 低保 family of 张山子镇, returned for a document while the wife's and the son's 授权书 are
still unsigned: one 一次性告知书 names all three, the family sends the document from its phone,
the two come to the window once, and the family is paid like any other.

Seeds 002 and 004: 一次性告知、一次性填写 (what the family still owes is told at once, also when the
case is returned); 补正 days do not count against the time limit; the 核对授权书 is each adult's
own signature and the visit and the check wait for it (先授权、后核对); 掌上办 for 补正 without a
trip. Requirements: INT-5, INT-9, INT-13, INT-22, DOC-3, DOC-9, WF-3, WF-8, FND-4.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiuzhu.portal.tests import conftest as portal_fixtures
from jiuzhu.portal.tests.conftest import PHONES, last_code
from journeys.conftest import (
    CLERK,
    VERIFIER,
    act,
    apply_signed_by_the_head_alone,
    notice_text,
    post,
    signature,
    signed_family_paid_in_november,
)

pytestmark = [pytest.mark.journey, pytest.mark.django_db]

_sms_to_file, sms_file = portal_fixtures._sms_to_file, portal_fixtures.sms_file


def test_journey_a_returned_family_is_told_every_missing_item_at_once(
    world, household_in, new_id, clock, api_of, sms_file
):
    """October 2026: the husband applies alone. On the 13th the window finds his illness needs a
    医疗诊断证明 and returns the case; the new 一次性告知书 names it and the two 授权书 still
    unsigned. He photographs the 诊断证明 on the 掌上办 (a photo of a 授权书 is refused); the
    window resumes the case on the 15th, the clock extended by the days it waited; the visit
    still waits for the wife and the son, who sign on the 16th. The amount on the 审批通知书 is
    what the November roster, the bank file and the ledger carry."""
    from jiuzhu.applications.tests.support import use_preset
    from jiuzhu.holidays.calendar import current_calendar
    from jiuzhu.programs.exclusivity import urban_of

    use_preset("devolved")
    clerk, verifier = api_of(CLERK), api_of(VERIFIER)
    village = world.village_in("张山子镇")
    phone, husband_id = next(PHONES), new_id(age=48, gender="M", area=village.county_code)
    family = household_in(
        "张山子镇",
        members=[
            {"name": "孙长河", "id_number": husband_id, "relation": "self", "phone": phone},
            {"name": "刘桂芝", "id_number": new_id(age=46, gender="F", area=village.county_code), "relation": "spouse"},
            {"name": "孙小军", "id_number": new_id(age=20, gender="M", area=village.county_code), "relation": "child"},
        ],
    )
    wife, son = family.members.get(relation="spouse"), family.members.get(relation="child")
    wife_item, son_item = (f"家庭经济状况核对授权书（{p.name}）" for p in (wife, son))

    clock("2026-10-09 09:30")
    app, _ = apply_signed_by_the_head_alone(clerk, family)
    due, visit_due = app.due_on, app.deadlines.get(step="investigation").due_on

    clock("2026-10-13 10:00")  # the window returns the case for one document (退回补正)
    body = act(clerk, app.id, "return_for_documents", {"items": ["医疗诊断证明"], "note": "近6个月内，写明病情"})
    assert body["state"] == "returned"
    assert [m["name"] for m in body["missing_documents"]] == [wife_item, son_item, "医疗诊断证明"]
    checklist = notice_text(app.notices.filter(kind="checklist").latest("pk"))
    for item in (wife_item, son_item, "医疗诊断证明", "近6个月内，写明病情", "一次性告知，请一次备齐"):
        assert item in checklist, item
    own, other = ("城市", "农村") if urban_of(family) else ("农村", "城市")
    assert f"{own}最低生活保障申请材料" in checklist and f"{other}最低生活保障" not in checklist
    assert "True" not in checklist and "None" not in checklist

    clock("2026-10-13 20:00")  # at home, the husband reads the case on the 掌上办 and sends the photo
    my = _signed_in(husband_id, phone, sms_file)
    case = my.get(f"/api/v1/my/applications/{app.id}").json()
    assert case["missing_documents"] == [wife_item, son_item, "医疗诊断证明"]
    assert case["upload_items"] == ["医疗诊断证明"]
    assert "暂停计算办理时限" in case["plain"] and case["due"] == ""  # no date runs while it waits
    url = f"/api/v1/my/applications/{app.id}/supplements"
    photo_of_signature = my.post(url, {"item": wife_item, "file": SimpleUploadedFile("a.png", _png(7))})
    assert photo_of_signature.status_code == 422 and photo_of_signature.json()["code"] == "signature_in_person"
    sent = my.post(url, {"item": "医疗诊断证明", "file": SimpleUploadedFile("诊断.png", _png(8))})
    assert sent.status_code == 201 and sent.json()["missing_documents"] == [wife_item, son_item]

    clock("2026-10-15 09:00")  # the window has the document: the case goes on, the signatures still owed
    body = act(clerk, app.id, "resubmit")
    assert body["state"] == "accepted" and [m["name"] for m in body["missing_documents"]] == [wife_item, son_item]
    app.refresh_from_db()
    assert app.due_on == current_calendar().add_working_days(due, 2)  # the 13th and the 14th did not count
    visit = app.deadlines.get(step="investigation")
    assert visit.due_on == current_calendar().add_working_days(visit_due, 2) and visit.met_on is None
    refused = post(clerk, f"/api/v1/applications/{app.id}/actions/start_investigation")
    assert refused.status_code == 409 and refused.json()["code"] == "authorization_missing"
    my = _signed_in(husband_id, phone, sms_file)  # two days on, the app signs in again
    case = my.get(f"/api/v1/my/applications/{app.id}").json()
    assert case["missing_documents"] == [wife_item, son_item] and case["upload_items"] == []
    assert "补齐后" in case["next_step"]

    clock("2026-10-16 10:00")  # the wife and the son sign at the window
    signed = post(
        clerk, f"/api/v1/applications/{app.id}/supplement", {"authorizations": [signature(wife, 9), signature(son, 10)]}
    )
    assert signed.status_code == 200 and signed.json()["missing_documents"] == []

    signed_family_paid_in_november(world, app, clock, verifier, "6228480012345678902")


def _signed_in(id_number: str, phone: str, sms_file: Any) -> Client:
    """The family's phone app: sign in with the ID number and the SMS code."""
    assert post(Client(), "/api/v1/my/login/code", {"id_number": id_number}).status_code == 200
    r = post(Client(), "/api/v1/my/login", {"id_number": id_number, "code": last_code(sms_file, phone)})
    assert r.status_code == 200, r.content.decode()[:300]
    return Client(headers={"Authorization": f"Bearer {r.json()['token']}"})


def _png(width: int) -> bytes:
    from jiuzhu.applications.tests.conftest import png

    return png(width)
