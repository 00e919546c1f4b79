"""掌上办申请 at the town window through the staff API (issue 18 item 2; INT-2, LNK-3; rule 10:
what a clerk does on /online-intake/ a system does on /api/v1/online-applications/): the queue
of the caller's jurisdiction only, 受理 with the changes the clerk adopts, void signatures shown
with their reason, 403/404 JSON for others."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jiuzhu.portal import apply, declare
from jiuzhu.portal.models import OnlineApplication

from . import test_apply
from .conftest import PHONES
from .test_apply import sign_from_phone

applicants = test_apply.applicants  # the fixture, shared

pytestmark = pytest.mark.django_db


def _submitted(fam: Any, sms_file: Any, new_member_phone: str = "", new_id: Any = None) -> OnlineApplication:
    online = apply.start(fam.head, programs=["dibao"], reason="")
    if new_member_phone:
        declare.declare_member(
            online,
            by_person=fam.head,
            data={
                "name": "孙志强",
                "id_number": new_id(age=30, area=fam.household.county_code),
                "relation": "other",
                "phone": new_member_phone,
            },
        )
    for sig in online.signatures.select_related("person", "change"):
        apply.send_link(sig, by_person=fam.head, base_url="http://testserver/")
    sign_from_phone(sms_file, fam.phones[0], "赵秀英")
    sign_from_phone(sms_file, fam.phones[1], "钱大壮")
    if new_member_phone:
        sign_from_phone(sms_file, new_member_phone, "孙志强")
    return apply.submit(online, person=fam.head)


def test_the_queue_shows_the_callers_towns_applications_only(world, applicants, sms_file, api_of):
    ours = _submitted(applicants(), sms_file)
    theirs = _submitted(applicants("涧头集镇"), sms_file)
    clerk = api_of("tez_zhangshanzi")
    ids = [row["id"] for row in clerk.get("/api/v1/online-applications").json()]
    assert ours.pk in ids and theirs.pk not in ids
    r = clerk.post(f"/api/v1/online-applications/{theirs.pk}/accept", "{}", content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.state == "submitted"


def test_it_refuses_callers_who_do_not_accept_applications(world, applicants, sms_file, api_of):
    online = _submitted(applicants(), sms_file)
    viewer = api_of("tez_viewer")
    assert viewer.get("/api/v1/online-applications").status_code == 403
    r = viewer.post(f"/api/v1/online-applications/{online.pk}/accept", "{}", content_type="application/json")
    assert r.status_code == 403 and r.json()["message"]
    online.refresh_from_db()
    assert online.state == "submitted"


def test_accepting_without_the_new_member_voids_his_signature(world, applicants, sms_file, api_of, new_id):
    fam = applicants()
    online = _submitted(fam, sms_file, next(PHONES), new_id)
    clerk = api_of("tez_zhangshanzi")
    body = clerk.get("/api/v1/online-applications").json()
    row = next(x for x in body if x["id"] == online.pk)
    new = next(s for s in row["signatures"] if s["new_member"])
    assert new["name"] == "孙志强" and new["phone_source"] == "申报新增成员时提供" and new["void_reason"] == ""
    r = clerk.post(
        f"/api/v1/online-applications/{online.pk}/accept", json.dumps({"adopt": []}), content_type="application/json"
    )
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["state"] == "已受理" and out["receipt_number"] and out["application_ids"]
    new = next(s for s in out["signatures"] if s["new_member"])
    assert "未被采纳" in new["void_reason"]
    assert [c["state"] for c in out["changes"]] == ["未采纳"]
    assert not fam.household.members.filter(name="孙志强").exists()


def test_the_queue_costs_as_many_statements_for_three_applications_as_for_one(
    world, applicants, sms_file, api_of, client_of, new_id
):
    """The town's queue (page and API) reads signatures and declared changes for all its
    applications at once, not per application."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _submitted(applicants(), sms_file, next(PHONES), new_id)
    api, web = api_of("tez_zhangshanzi"), client_of("tez_zhangshanzi")

    def statements() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as by_api:
            assert api.get("/api/v1/online-applications").status_code == 200
        with CaptureQueriesContext(connection) as by_page:
            assert web.get("/online-intake/").status_code == 200
        return len(by_api), len(by_page)

    statements()  # warm-up: a first call does one statement more
    one = statements()
    for _ in range(2):
        _submitted(applicants(), sms_file, next(PHONES), new_id)
    assert len(api.get("/api/v1/online-applications").json()) == 3
    assert statements() == one
