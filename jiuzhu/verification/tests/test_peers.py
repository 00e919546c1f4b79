"""跨县核对 (VER-15, VER-16): two jiuzhu instances answer each other's signed requests
(shared key per peer, request id, timestamp, replay protection), only for a request that
names the person's signed 授权书; both sides audit the exchange."""

import json
import time
import uuid

import pytest

from jiuzhu.accounts.system import SystemActor
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.idnumber import make_id_number
from jiuzhu.verification import peers
from jiuzhu.verification.models import PeerNonce

from .conftest import csv_bytes, headers_of, plain_ids, row_for

KEY = "shared-key-for-taierzhuang-and-yicheng-0123456789"


def signed(body, *, key=KEY, code="370404", request_id=None, timestamp=None, path=peers.PATH):
    request_id = request_id or uuid.uuid4().hex
    timestamp = str(timestamp or int(time.time()))
    return {
        "HTTP_X_JIUZHU_PEER": code,
        "HTTP_X_JIUZHU_REQUEST_ID": request_id,
        "HTTP_X_JIUZHU_TIMESTAMP": timestamp,
        "HTTP_X_JIUZHU_SIGNATURE": peers.sign(key.encode(), "POST", path, timestamp, request_id, body),
        "HTTP_X_JIUZHU_SIGNATURE_ALGORITHM": peers.signature_algorithm(),
    }


def payload(id_number, reference="370404-SQ00000001"):
    return json.dumps(
        {"id_number": id_number, "authorization": {"reference": reference, "document_sha256": "a" * 64}},
        ensure_ascii=False,
    ).encode()


@pytest.fixture
def yicheng(db, catalog):
    # a pair on a shared key (HMAC) in either profile: hmac_only, since under 国密 a new peer
    # otherwise needs its SM2 public key (test_peers_sm2.py)
    return peers.add_peer(
        by=SystemActor(),
        code="370404",
        name="峄城区",
        base_url="http://127.0.0.1:9",
        key=KEY,
        our_code="370405",
        hmac_only=True,
    )


@pytest.mark.django_db
def test_it_answers_a_signed_request_with_facts_and_signs_the_answer(
    world, yicheng, household_in, upload, vehicle_file, client
):
    h = household_in("张山子镇", size=1)
    person = plain_ids(h)[0]
    upload("gongan.vehicle", vehicle_file((person, "鲁D12345")))
    body = payload(person)
    headers = signed(body)
    r = client.post(peers.PATH, body, content_type="application/json", **headers)
    assert r.status_code == 200, r.content
    answer = r.json()
    assert answer["registered"] is True and answer["facts"][0]["source"] == "gongan.vehicle"
    assert answer["summary"].startswith("本地已登记")
    assert r["X-Jiuzhu-Signature"] == peers.response_signature(yicheng, headers["HTTP_X_JIUZHU_REQUEST_ID"], r.content)
    audit = AuditEntry.objects.get(action="verification.peer.answer")
    assert audit.changes["authorization"] == "370404-SQ00000001" and audit.changes["facts_read"] == 1


@pytest.mark.django_db
def test_it_refuses_a_replayed_request(world, yicheng, client, new_id):
    body = payload(new_id(age=40))
    headers = signed(body)
    assert client.post(peers.PATH, body, content_type="application/json", **headers).status_code == 200
    again = client.post(peers.PATH, body, content_type="application/json", **headers)
    assert again.status_code == 409 and again.json()["code"] == "replayed_request"
    assert PeerNonce.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_bad_signature(world, yicheng, client, new_id):
    body = payload(new_id(age=40))
    headers = signed(body, key="another-key-another-key-another-key-0000")
    r = client.post(peers.PATH, body, content_type="application/json", **headers)
    assert (r.status_code, r.json()["code"]) == (401, "bad_signature")
    tampered = client.post(
        peers.PATH, body.replace(b"370404-SQ", b"370404-XX"), content_type="application/json", **signed(body)
    )
    assert (tampered.status_code, tampered.json()["code"]) == (401, "bad_signature")


@pytest.mark.django_db
def test_it_refuses_a_stale_or_unknown_sender(world, yicheng, client, new_id):
    body = payload(new_id(age=40))
    old = client.post(
        peers.PATH, body, content_type="application/json", **signed(body, timestamp=int(time.time()) - 3600)
    )
    assert (old.status_code, old.json()["code"]) == (401, "stale_request")
    unknown = client.post(peers.PATH, body, content_type="application/json", **signed(body, code="370321"))
    assert (unknown.status_code, unknown.json()["code"]) == (401, "unknown_peer")
    assert not PeerNonce.objects.exists()


@pytest.mark.django_db
def test_it_answers_only_with_an_authorization_reference(world, yicheng, client, new_id):
    body = payload(new_id(age=40), reference="")
    r = client.post(peers.PATH, body, content_type="application/json", **signed(body))
    assert (r.status_code, r.json()["code"]) == (409, "authorization_missing")
    assert not AuditEntry.objects.filter(action="verification.peer.answer").exists()


B_SETUP = """
import datetime as dt, json
from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import SystemActor
from jiuzhu.applications.models import Application, Intake
from jiuzhu.areas.models import Area
from jiuzhu.registry.actions import create_household
from jiuzhu.verification.actions import receive_batch
from jiuzhu.verification.demo import sign_authorizations
from jiuzhu.verification.ingest import process_batch
from jiuzhu.verification.models import Source
from jiuzhu.verification.peers import add_peer
from jiuzhu.web import demo
demo.load_areas()
User.objects.create_user(
    "yc_hecha", password="x-" * 8, role="county_verifier", area_id="370404000000", full_name="峄城区核对员"
)
village = Area.objects.filter(code__startswith="370404", level="village").order_by("code").first()
member = {{"name": "孙外迁", "id_number": "{person}", "relation": "self"}}
h = create_household(by=SystemActor(), area_code=village.code, address="峄城区某村1号", members=[member])
sign_authorizations(h)
p = h.current_members().first()
intake = Intake.objects.create(
    receipt_number="YC1", household=h, applicant=p, channel="window", area_code=h.area_id
)
Application.objects.create(
    number="YCA1", intake=intake, household=h, applicant=p, program="dibao", channel="window",
    state="approved", area_code=h.area_id, county_code=h.county_code, urban=False,
    due_on=dt.date(2026, 12, 31), decided_at=dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc),
)
data = (
    "姓名,身份证号码,号牌号码,车辆类型,初次登记日期,机动车状态\\r\\n"
    "孙外迁,{person},鲁D66666,小型轿车,2025-06-01,正常\\r\\n"
).encode()
vehicles = Source.objects.get(code="gongan.vehicle")
batch, _ = receive_batch(vehicles, [data], by=SystemActor(), filename="v.csv", county_code="370404")
process_batch(batch.pk)
add_peer(
    by=SystemActor(), code="370405", name="台儿庄区", base_url="{a_url}", key="{key}", our_code="370404", hmac_only=True
)
print(json.dumps({{"person": p.pk}}))
"""
B_AUDIT = """
import json
from jiuzhu.audit.models import AuditEntry
rows = AuditEntry.objects.filter(action__startswith="verification.peer").values_list("action", flat=True)
print(json.dumps(sorted(rows)))
"""


@pytest.mark.django_db(transaction=True)
def test_two_live_instances_answer_each_others_signed_requests(
    live_server, world, catalog, new_instance, authorized, upload, client_of
):
    """台儿庄区 (this test's server) and 峄城区 (a second server, own database and own PII key)
    ask each other about a member registered in both, each over a signed request."""
    from jiuzhu.verification.actions import run_verification
    from jiuzhu.verification.models import Peer, PeerQuery

    person_id = make_id_number("370404", __import__("datetime").date(1981, 3, 3), 17, "M")
    a = authorized(
        "张山子镇",
        members=[
            {"name": "孙外迁", "id_number": person_id, "relation": "self"},
            {
                "name": "钱本地",
                "id_number": make_id_number("370405", __import__("datetime").date(1983, 4, 4), 18, "F"),
                "relation": "spouse",
            },
        ],
    )
    expense = [
        row_for(
            "yibao.expense",
            id_number=person_id,
            hospital="台儿庄区人民医院",
            settled_on="2026-08-01",
            total="9000",
            own="3000",
        )
    ]
    upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), expense))

    b = new_instance("yicheng")
    b_person = b.run(B_SETUP.format(person=person_id, a_url=live_server.url, key=KEY))["person"]
    b_url = b.serve()
    peers.add_peer(
        by=SystemActor(), code="370404", name="峄城区", base_url=b_url, key=KEY, our_code="370405", hmac_only=True
    )

    # 台儿庄 → 峄城, from the household's verification page
    member = a.current_members().get(name="孙外迁")
    r = client_of("tez_hecha").post(
        "/verification/peer-queries/", {"person_id": member.pk, "peer": "370404"}, follow=True
    )
    assert "峄城区已答复：本地已登记（在册家庭成员）；在本地享受救助1项；本地部门数据1条" in r.content.decode()
    query = PeerQuery.objects.get()
    assert query.status == "answered" and query.answer["assistance"][0]["program"] == "dibao"
    assert query.answer["facts"][0]["detail"].startswith("号牌号码：鲁D66666")
    report = run_verification(by=world.user("tez_hecha"), household=a, program="dibao")
    assert report.content["peer_results"][0]["peer_name"] == "峄城区"

    # 峄城 → 台儿庄, from the other instance's command line
    out = json.loads(b.manage("peer_query", str(b_person), "370405", "--user", "yc_hecha").strip().splitlines()[-1])
    assert out["status"] == "answered"
    assert out["answer"]["registered"] is True and out["answer"]["assistance"] == []
    assert [f["source"] for f in out["answer"]["facts"]] == ["yibao.expense"]
    assert AuditEntry.objects.filter(action="verification.peer.answer").count() == 1
    assert b.run(B_AUDIT) == ["verification.peer.add", "verification.peer.answer", "verification.peer.query"]
    assert Peer.objects.count() == 1
