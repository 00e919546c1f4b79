"""The API of 投诉举报 (SUP-4): list with filters, staff logging, actions, JSON errors."""

from __future__ import annotations

import pytest

from jiuzhu.accounts.system import system_user
from jiuzhu.complaints import actions

from .conftest import JIANTOUJI, form_data

pytestmark = pytest.mark.django_db


def test_the_api_walks_a_complaint_to_closure(world, api_of):
    """SUP-4: POST /api/v1/complaints, then assign, note, reply, close through actions."""
    api = api_of("tez_county")
    r = api.post("/api/v1/complaints", form_data(), content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    cid = body["complaint"]["id"]
    assert body["complaint"]["tracking_number"].startswith("TS370405-") and len(body["query_code"]) == 6
    assert body["complaint"]["reporter_phone"] == "138****5678"
    clerk = world.user("tez_zhangshanzi")
    steps = [
        ("assign", {"handler_id": clerk.pk, "note": "请核实"}, "assigned"),
        ("note", {"text": "已入户"}, "assigned"),
        ("reply", {"text": "已答复"}, "replied"),
        ("close", {"note": "办结"}, "closed"),
    ]
    for name, payload, status in steps:
        r = api.post(f"/api/v1/complaints/{cid}/actions/{name}", payload, content_type="application/json")
        assert r.status_code == 200, r.content
        assert r.json()["status"] == status
    listed = api.get("/api/v1/complaints?status=closed&area_code=370405101000").json()
    assert listed["count"] == 1 and listed["statistics"]["category"][0]["name"] == "举报"


def test_the_api_answers_errors_as_json_never_500(world, api_of):
    """SUP-4: 422 naming the field, 409 out of order, 404 outside the jurisdiction."""
    api = api_of("tez_county")
    r = api.post("/api/v1/complaints", form_data(category="x"), content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "category" and "类别" in r.json()["message"]
    c = actions.submit(form_data(area_code=JIANTOUJI), by=system_user()).complaint
    r = api.post(f"/api/v1/complaints/{c.pk}/actions/close", {}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "invalid_state"
    r = api.post(f"/api/v1/complaints/{c.pk}/actions/fly", {}, content_type="application/json")
    assert r.status_code == 422
    town = api_of("tez_zhangshanzi")
    assert town.get(f"/api/v1/complaints/{c.pk}").status_code == 404
    assert (
        town.post(f"/api/v1/complaints/{c.pk}/actions/note", {"text": "x"}, content_type="application/json").status_code
        == 404
    )
    assert town.get("/api/v1/complaints").json()["count"] == 0
    assert api.get("/api/v1/complaints?status=bad").status_code == 422
    r = town.post(f"/api/v1/complaints/{c.pk}/identity")
    assert r.status_code == 404
    r = api.post(f"/api/v1/complaints/{c.pk}/identity")
    assert r.status_code == 200 and r.json()["reporter_phone"] == "13812345678"
