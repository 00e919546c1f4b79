"""掌上办 through the API (issue 18 “Done when”, the system's side; INT-2, INT-8, INT-22, LNK-3,
SUP-16): the family applies on /api/v1/my/ (declaring a son-in-law who moved in, with his own
phone), the three adults sign from their own phones by SMS link and code, the town window
accepts through /api/v1/online-applications/ (the new member adopted, his signature his 授权书),
the case is approved through the staff API, and the family follows it to the approval notice
on /api/v1/my/, every download logged."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from jiuzhu.applications.models import Application
from jiuzhu.applications.tests.support import use_preset
from jiuzhu.portal.models import NoticeDelivery
from jiuzhu.portal.tests import conftest as portal_fixtures
from jiuzhu.portal.tests import test_apply
from jiuzhu.portal.tests.conftest import PHONES, last_code
from jiuzhu.portal.tests.test_apply import sign_from_phone
from journeys.conftest import APPROVER, CLERK, act, investigate_and_verify, post

pytestmark = [pytest.mark.journey, pytest.mark.django_db]

# the portal tests' fixtures, shared: SMS to a file, families with phones
_sms_to_file, sms_file, applicants = portal_fixtures._sms_to_file, portal_fixtures.sms_file, test_apply.applicants


def test_journey_a_family_applies_through_the_api_and_reads_its_approval_notice(
    world: Any, applicants: Any, sms_file: Any, api_of: Any, clock: Any, new_id: Any
) -> None:
    use_preset("devolved")
    clock("2026-10-09 09:30")
    fam = applicants()

    # The family's app: sign in with ID number and SMS code, start, declare, send links.
    app_client = Client()
    assert post(app_client, "/api/v1/my/login/code", {"id_number": fam.ids[0]}).status_code == 200
    token = post(
        app_client, "/api/v1/my/login", {"id_number": fam.ids[0], "code": last_code(sms_file, fam.phones[0])}
    ).json()["token"]
    my = Client(headers={"Authorization": f"Bearer {token}"})
    r = post(my, "/api/v1/my/online", {"programs": ["dibao"], "reason": "丈夫因病不能干重活"})
    assert r.status_code == 201, r.content
    online_id = r.json()["id"]
    his_phone = next(PHONES)
    r = post(
        my,
        f"/api/v1/my/online/{online_id}/changes",
        {
            "kind": "add_member",
            "name": "孙志强",
            "id_number": new_id(age=28, area=fam.household.county_code),
            "relation": "other",
            "phone": his_phone,
        },
    )
    assert r.status_code == 201, r.content
    signatures = r.json()["signatures"]
    assert [s["new_member"] for s in signatures] == [False, False, True]
    for s in signatures:
        assert post(my, f"/api/v1/my/online/{online_id}/signatures/{s['id']}/link").status_code == 200
    assert post(my, f"/api/v1/my/online/{online_id}/submit").json()["code"] == "unsigned"

    # Each adult signs on his own phone, from the SMS link.
    sign_from_phone(sms_file, fam.phones[0], "赵秀英")
    sign_from_phone(sms_file, fam.phones[1], "钱大壮")
    sign_from_phone(sms_file, his_phone, "孙志强")
    r = post(my, f"/api/v1/my/online/{online_id}/submit")
    assert r.status_code == 200 and r.json()["state"] == "submitted"

    # The town window's system: the queue and 受理 through the staff API.
    clock("2026-10-10 09:00")
    clerk = api_of(CLERK)
    queue = clerk.get("/api/v1/online-applications").json()
    item = next(q for q in queue if q["id"] == online_id)
    assert {s["phone_source"] for s in item["signatures"]} == {"登记的手机号", "申报新增成员时提供"}
    r = post(clerk, f"/api/v1/online-applications/{online_id}/accept", {"adopt": None})
    assert r.status_code == 200, r.content
    accepted = r.json()
    assert accepted["receipt_number"].startswith("SL") and all(s["void_reason"] == "" for s in accepted["signatures"])
    again = post(clerk, f"/api/v1/online-applications/{online_id}/accept")
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"  # accepted once only
    assert online_id not in [q["id"] for q in clerk.get("/api/v1/online-applications").json()]
    app = Application.objects.get(pk=accepted["application_ids"][0])
    assert app.channel == "online" and app.missing_documents == []
    assert fam.household.members.filter(name="孙志强").exists()

    # The case runs its course through the staff API.
    clock("2026-10-14 10:00")
    app = investigate_and_verify(world, app)
    clock("2026-10-20 15:00")
    act(api_of(APPROVER), app.id, "approve", {"note": "经审核符合条件"})
    app.refresh_from_db()
    clock(f"{app.publicity_end + dt.timedelta(days=1)} 09:00")
    act(clerk, app.id, "close_publicity")

    # The family's app follows it to the approval notice: no visit. Weeks later the token has
    # expired (401 JSON); she signs in again.
    expired = my.get("/api/v1/my/applications")
    assert expired.status_code == 401 and expired.json()["code"] == "invalid_token"
    post(app_client, "/api/v1/my/login/code", {"id_number": fam.ids[0]})
    token = post(
        app_client, "/api/v1/my/login", {"id_number": fam.ids[0], "code": last_code(sms_file, fam.phones[0])}
    ).json()["token"]
    my = Client(headers={"Authorization": f"Bearer {token}"})
    cases = my.get("/api/v1/my/applications").json()
    mine = next(c for c in cases if c["id"] == app.id)
    assert mine["state"] == "approved" and mine["state_label"]
    detail = my.get(f"/api/v1/my/applications/{app.id}").json()
    notice = next(n for n in detail["notices"] if n["kind"] == "approval")
    pdf = my.get(notice["url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    delivery = NoticeDelivery.objects.get(notice_id=notice["id"], channel="api", mode="download")
    assert delivery.person_id == fam.head.pk
    # another family's token reaches nothing of this case
    other = applicants()
    post(Client(), "/api/v1/my/login/code", {"id_number": other.ids[0]})
    their = post(
        Client(), "/api/v1/my/login", {"id_number": other.ids[0], "code": last_code(sms_file, other.phones[0])}
    ).json()["token"]
    theirs = Client(headers={"Authorization": f"Bearer {their}"})
    assert theirs.get(f"/api/v1/my/applications/{app.id}").status_code == 404
    assert theirs.get(notice["url"]).status_code == 404
    assert json.loads(theirs.get("/api/v1/my/applications").content) == []
