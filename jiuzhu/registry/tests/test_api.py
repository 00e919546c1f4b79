"""Registry API contract (issue: Foundation) — REG-1, REG-7, INT-3, GOV-1, GOV-4, SUP-9."""

import json
import re

import pytest
from django.db import connection

from jiuzhu.audit.models import AuditEntry
from jiuzhu.registry.models import Document, Household, Person

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def family(new_id, village="370405101201", n=3):
    relations = ["self", "spouse", "child"]
    return {
        "area_code": village,
        "address": "北洛村8号",
        "members": [
            {
                "name": ["王建国", "李秀兰", "王小明"][i],
                "id_number": new_id(age=[45, 43, 12][i], gender="MFM"[i]),
                "relation": relations[i],
                "phone": "13800001234" if i == 0 else "",
            }
            for i in range(n)
        ],
    }


def test_it_creates_a_household_and_answers_masked_ids(api_of, new_id):
    """REG-1 一户一档; PII shown masked."""
    body = family(new_id)
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", body)
    assert r.status_code == 201, r.content
    data = r.json()
    assert len(data["members"]) == 3
    first = body["members"][0]["id_number"]
    assert data["members"][0]["id_number_masked"] == first[:6] + "********" + first[-4:]
    assert first not in r.content.decode()
    assert data["members"][0]["phone_masked"] == "138****1234"
    assert data["head_name"] == "王建国"


def test_it_writes_the_audit_row_with_masked_values(api_of, new_id):
    """SUP-9: the creation is audited in the same transaction, PII masked."""
    body = family(new_id)
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", body)
    entry = AuditEntry.objects.get(action="registry.household.create", object_id=str(r.json()["id"]))
    assert entry.actor.username == "tez_zhangshanzi"
    dumped = json.dumps(entry.changes, ensure_ascii=False)
    assert body["members"][0]["id_number"] not in dumped
    assert body["members"][0]["id_number"][-4:] in dumped


def test_it_never_stores_the_plain_id_number(api_of, new_id):
    """PII at rest: no table holds the plain ID number or phone."""
    body = family(new_id)
    post(api_of("tez_zhangshanzi"), "/api/v1/households", body)
    secrets = [m["id_number"] for m in body["members"]] + ["13800001234"]
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f'SELECT * FROM "{table}"')
            for row in cur.fetchall():
                text = " ".join(str(bytes(v) if isinstance(v, memoryview) else v) for v in row)
                for secret in secrets:
                    assert secret not in text, f"plain PII in table {table}"


def test_it_hides_other_towns_households(api_of, household_in):
    """GOV-1: a town sees only its own subtree; outside is 404."""
    h = household_in("张山子镇")
    assert api_of("tez_jiantouji").get(f"/api/v1/households/{h.id}").status_code == 404
    assert api_of("tez_zhangshanzi").get(f"/api/v1/households/{h.id}").status_code == 200
    assert api_of("tez_county").get(f"/api/v1/households/{h.id}").status_code == 200


def test_it_lists_only_households_in_jurisdiction(api_of, household_in):
    mine, theirs = household_in("张山子镇"), household_in("涧头集镇")
    ids = {row["id"] for row in api_of("tez_zhangshanzi").get("/api/v1/households").json()["items"]}
    assert mine.id in ids and theirs.id not in ids


def test_it_refuses_a_household_in_a_town_the_user_does_not_cover(api_of, new_id):
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", family(new_id, village="370405103201"))
    assert r.status_code == 404  # one scope rule (issue 15 item 3): outside the jurisdiction is not found
    assert r.json()["code"] == "not_found"
    assert r.json()["field"] == "area_code"
    assert Household.objects.count() == 0


def test_it_answers_a_wrong_checksum_with_the_field_path(api_of, new_id):
    body = family(new_id)
    good = body["members"][1]["id_number"]
    body["members"][1]["id_number"] = good[:17] + ("0" if good[17] != "0" else "1")
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", body)
    assert r.status_code == 422
    assert r.json() == {"code": "invalid_id_number", "message": r.json()["message"], "field": "members[1].id_number"}
    assert "校验位" in r.json()["message"]
    assert Household.objects.count() == 0 and Person.objects.count() == 0


def test_it_rejects_an_impossible_birth_date(api_of, new_id):
    from jiuzhu.core.idnumber import check_character

    body = family(new_id)
    first17 = "37040519810229001"  # 1981 is not a leap year
    body["members"][0]["id_number"] = first17 + check_character(first17)
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", body)
    assert r.status_code == 422 and r.json()["field"] == "members[0].id_number"
    assert "出生日期" in r.json()["message"]


def test_it_rejects_the_same_id_twice_in_one_household(api_of, new_id):
    body = family(new_id)
    body["members"][2]["id_number"] = body["members"][1]["id_number"]
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", body)
    assert r.status_code == 422
    assert r.json()["code"] == "duplicate_id_number" and r.json()["field"] == "members[2].id_number"
    assert Person.objects.count() == 0


def test_it_rejects_a_person_already_in_another_household(api_of, new_id):
    client = api_of("tez_zhangshanzi")
    first = family(new_id)
    assert post(client, "/api/v1/households", first).status_code == 201
    second = family(new_id)
    second["members"][1]["id_number"] = first["members"][0]["id_number"]
    r = post(client, "/api/v1/households", second)
    assert r.status_code == 422
    assert r.json()["code"] == "person_in_other_household"
    assert Household.objects.count() == 1


def test_it_does_not_reveal_an_out_of_area_household_in_the_duplicate_message(api_of, new_id):
    first = family(new_id, village="370405103201")
    assert post(api_of("tez_jiantouji"), "/api/v1/households", first).status_code == 201
    second = family(new_id)
    second["members"][0]["id_number"] = first["members"][0]["id_number"]
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", second)
    assert r.json()["code"] == "person_in_other_household"
    assert "其他地区" in r.json()["message"] and "王" not in r.json()["message"]


def test_it_requires_exactly_one_head(api_of, new_id):
    body = family(new_id)
    body["members"][0]["relation"] = "child"
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", body)
    assert r.status_code == 422 and r.json()["code"] == "head_required"


def test_it_reports_every_error_at_once(api_of, new_id):
    body = family(new_id)
    body["members"][0]["id_number"] = "123"
    body["members"][2]["name"] = ""
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", body)
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"members[0].id_number", "members[2].name"} <= fields


def test_it_answers_malformed_json_with_422_not_500(api_of):
    r = api_of("tez_zhangshanzi").post("/api/v1/households", data="{", content_type="application/json")
    assert r.status_code in (400, 422)
    r = post(api_of("tez_zhangshanzi"), "/api/v1/households", {"members": "x"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"


def test_it_answers_401_without_a_token(world, client):
    r = client.get("/api/v1/households")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_it_answers_403_for_a_role_that_may_not_register(api_of, new_id):
    r = post(api_of("tez_viewer"), "/api/v1/households", family(new_id))
    assert r.status_code == 403 and r.json()["code"] == "read_only"  # 监督/只读 (issue 14 item 10)
    r = post(api_of("tez_yibao"), "/api/v1/households", family(new_id))
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_a_department_user_sees_no_registry_rows(api_of, household_in):
    """GOV-14: departments see what referrals expose, not the registry."""
    h = household_in("张山子镇")
    assert api_of("tez_yibao").get(f"/api/v1/households/{h.id}").status_code == 404
    assert api_of("tez_yibao").get("/api/v1/households").json()["count"] == 0


def test_it_looks_up_a_person_by_id_number(api_of, new_id):
    """INT-3 一证申请: the ID number finds the person and household."""
    client = api_of("tez_zhangshanzi")
    body = family(new_id)
    hid = post(client, "/api/v1/households", body).json()["id"]
    raw = body["members"][1]["id_number"].lower()
    r = post(client, "/api/v1/persons/lookup", {"id_number": raw})
    assert r.status_code == 200
    assert r.json()["household_id"] == hid
    assert r.json()["person"]["name"] == "李秀兰"
    entry = AuditEntry.objects.filter(action="registry.id_lookup.view").get()
    assert entry.changes["found"] is True and raw.upper() not in json.dumps(entry.changes)
    assert entry.changes["id_number"].endswith(raw.upper()[-4:]) and "*" in entry.changes["id_number"]


def test_a_lookup_by_get_puts_no_id_number_in_a_url(api_of, new_id):
    """Issue 19 item 5: the GET form answers 410 and points to the POST; nothing is looked up."""
    client = api_of("tez_zhangshanzi")
    r = client.get("/api/v1/persons/lookup", {"id_number": new_id()})
    assert r.status_code == 410
    assert r.json()["code"] == "gone" and "POST /api/v1/persons/lookup" in r.json()["message"]
    assert not AuditEntry.objects.filter(action="registry.id_lookup.view").exists()


def test_lookup_is_404_outside_jurisdiction_and_422_for_a_bad_number(api_of, new_id):
    body = family(new_id)
    post(api_of("tez_zhangshanzi"), "/api/v1/households", body)
    other = api_of("tez_jiantouji")
    assert post(other, "/api/v1/persons/lookup", {"id_number": body["members"][0]["id_number"]}).status_code == 404
    assert AuditEntry.objects.filter(action="registry.id_lookup.view").get().changes["found"] is False
    r = post(other, "/api/v1/persons/lookup", {"id_number": "370405"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_id_number"


def test_it_reveals_a_full_value_and_audits_it(api_of, new_id):
    client = api_of("tez_zhangshanzi")
    body = family(new_id)
    data = post(client, "/api/v1/households", body).json()
    pid = data["members"][0]["id"]
    r = post(client, f"/api/v1/persons/{pid}/reveal", {"field": "id_number"})
    assert r.json()["value"] == body["members"][0]["id_number"]
    entry = AuditEntry.objects.filter(action="registry.pii.reveal").get()
    assert entry.changes["field"] == "id_number" and entry.changes["person"] == pid


def test_a_viewer_may_not_reveal(api_of, household_in):
    h = household_in("张山子镇")
    pid = h.members.first().id
    r = post(api_of("tez_viewer"), f"/api/v1/persons/{pid}/reveal", {"field": "phone"})
    assert r.status_code == 403
    assert not AuditEntry.objects.filter(action="registry.pii.reveal").exists()


def test_it_updates_a_member_and_keeps_history(api_of, household_in):
    h = household_in("张山子镇")
    person = h.members.get(relation="spouse")
    client = api_of("tez_zhangshanzi")
    r = client.patch(
        f"/api/v1/persons/{person.id}",
        data=json.dumps({"labour_capacity": "none", "phone": "13900001111", "version": person.version}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["labour_capacity"] == "none" and r.json()["phone_masked"] == "139****1111"
    history = client.get(f"/api/v1/households/{h.id}/history").json()
    assert history[0]["action"] == "registry.member.update"
    assert history[0]["changes"]["phone"] == ["", "139****1111"]


def test_a_stale_version_is_refused(api_of, household_in):
    h = household_in("张山子镇")
    person = h.members.get(relation="spouse")
    client = api_of("tez_zhangshanzi")
    patch = {"labour_capacity": "none", "version": person.version}
    ok = client.patch(f"/api/v1/persons/{person.id}", data=json.dumps(patch), content_type="application/json")
    assert ok.status_code == 200
    patch["labour_capacity"] = "partial"
    late = client.patch(f"/api/v1/persons/{person.id}", data=json.dumps(patch), content_type="application/json")
    assert late.status_code == 409 and late.json()["code"] == "stale_version"


def test_it_moves_a_person_and_keeps_the_membership_history(api_of, household_in):
    """REG-1: a person is in one household at a time; moving keeps history."""
    a, b = household_in("张山子镇"), household_in("张山子镇")
    child = a.members.get(relation="child")
    r = post(
        api_of("tez_zhangshanzi"),
        f"/api/v1/persons/{child.id}/move",
        {"to_household_id": b.id, "relation": "other", "reason": "投靠亲属"},
    )
    assert r.status_code == 200, r.content
    child.refresh_from_db()
    a.refresh_from_db()
    assert child.household_id == b.id and a.member_count == 2
    history = list(child.memberships.order_by("id").values_list("household_id", "left_on"))
    assert history[0][0] == a.id and history[0][1] is not None
    assert history[1] == (b.id, None)


def test_it_refuses_to_move_into_another_towns_household(api_of, household_in):
    a, b = household_in("张山子镇"), household_in("涧头集镇")
    child = a.members.get(relation="child")
    r = post(
        api_of("tez_zhangshanzi"),
        f"/api/v1/persons/{child.id}/move",
        {"to_household_id": b.id, "relation": "other", "reason": "x"},
    )
    assert r.status_code == 404


def test_the_head_cannot_leave_first(api_of, household_in):
    h = household_in("张山子镇")
    head = h.members.get(relation="self")
    r = post(api_of("tez_zhangshanzi"), f"/api/v1/persons/{head.id}/remove", {"reason": "死亡"})
    assert r.status_code == 409 and r.json()["code"] == "head_must_stay"


def test_it_adds_a_member(api_of, household_in, new_id):
    h = household_in("张山子镇")
    r = post(
        api_of("tez_zhangshanzi"),
        f"/api/v1/households/{h.id}/members",
        {"name": "新生儿", "id_number": new_id(age=0), "relation": "grandchild"},
    )
    assert r.status_code == 201, r.content
    h.refresh_from_db()
    assert h.member_count == 4


def test_the_area_endpoint_returns_the_tree(api_of):
    r = api_of("tez_zhangshanzi").get("/api/v1/areas/370405")
    data = r.json()
    assert data["code"] == "370405000000" and data["level"] == "county" and data["parent"] == "370400000000"
    names = {c["name"] for c in data["children"]}
    assert {"运河街道", "张山子镇", "涧头集镇", "邳庄镇", "马兰屯镇", "泥沟镇"} <= names
    village = api_of("tez_zhangshanzi").get("/api/v1/areas/370405101201").json()
    assert village["urban_rural"] == "rural" and village["children"] == []
    assert api_of("tez_zhangshanzi").get("/api/v1/areas/999999").status_code == 404


def test_the_openapi_document_is_served(world, client, client_of):
    """Outside DEBUG the description needs a login (issue 19 item 5)."""
    anonymous = client.get("/api/v1/openapi.json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    assert client.get("/api/v1/docs").status_code == 302
    client = client_of("tez_zhangshanzi")
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/households" in paths and "/api/v1/persons/lookup" in paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    # nothing fetched from a CDN: every script and stylesheet is ours (matching "cdn" anywhere in
    # the page also hit the random CSRF token now and then)
    assets = re.findall(rb'(?:src|href)="([^"]*)"', docs.content)
    assert assets and all(a.startswith(b"/static/") for a in assets), assets


def test_lookup_returns_a_complete_person(world, household_in):
    import datetime as dt

    from jiuzhu.registry.pii import unseal
    from jiuzhu.registry.queries import lookup_person

    h = household_in("张山子镇")
    stored = h.members.get(relation="self")
    found = lookup_person(world.user("tez_zhangshanzi"), unseal("id_number", stored.id_number_enc))
    assert found == stored and isinstance(found.birth_date, dt.date) and found.household_id == h.id
    assert isinstance(found.created_at, dt.datetime) and found.created_at.tzinfo is not None
    assert lookup_person(world.user("tez_jiantouji"), unseal("id_number", stored.id_number_enc)) is None
    assert lookup_person(world.user("tez_yibao"), unseal("id_number", stored.id_number_enc)) is None


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"garbage", "multipart/form-data"),
        (b'--XYZ\r\nContent-Disposition: form-data; name="kind"\r\n\r\nid', "multipart/form-data; boundary=XYZ"),
        (b"--XYZ\r\n\r\n", "multipart/form-data; boundary=\u00e9\u00e9"),
    ],
)
def test_a_malformed_multipart_body_gets_the_json_error_format(api_of, household_in, body, content_type):
    """Issue 19 item 1: a broken upload is a 4xx in the API's error format, never a 500 or HTML."""
    h = household_in("张山子镇")
    r = api_of("tez_zhangshanzi").generic(
        "POST", f"/api/v1/households/{h.id}/documents", body, content_type=content_type
    )
    assert 400 <= r.status_code < 500
    assert r["Content-Type"].startswith("application/json") and r.json()["code"] and r.json()["message"]
    assert not Document.objects.exists()
