"""跨县核对 signed with SM2 under the 国密 profile (issue 19 item 8; VER-1, VER-15, GOV-14,
SUP-9): each county signs with its own SM2 key (``PEER_SM2_KEY_FILE``) and registers the
other's public key; a request and its answer carry ``sm2-sm3`` signatures over method, path,
timestamp, request id and SM3 of the body. Every refusal is a 4xx JSON with a code."""

import time
import uuid

import pytest
from django.core.management import call_command

from jiuzhu.accounts.system import SystemActor
from jiuzhu.core import sm2
from jiuzhu.core.errors import InvalidInput
from jiuzhu.verification import peers
from jiuzhu.verification.models import Peer, PeerNonce

from .test_peers import KEY, payload, signed

REMOTE = sm2.new_private_key()  # 峄城区's own SM2 key (the other instance)


@pytest.fixture
def own_key(settings, tmp_path):
    """This instance's SM2 key file, as ``manage.py peer_public_key`` makes it."""
    settings.PEER_SM2_KEY_FILE = tmp_path / "peer-sm2-key.hex"
    assert sm2.create_key_file(settings.PEER_SM2_KEY_FILE)
    return sm2.read_key_file(settings.PEER_SM2_KEY_FILE)


@pytest.fixture
def gm(settings, own_key):
    settings.JIUZHU_CRYPTO_PROFILE = "gm"
    return settings


def register(**kwargs):
    fields = {"code": "370404", "name": "峄城区", "base_url": "http://127.0.0.1:9", "our_code": "370405"}
    return peers.add_peer(by=SystemActor(), **{**fields, **kwargs})


@pytest.fixture
def yicheng(gm, db, catalog):
    return register(sm2_public_key=sm2.public_key_of(REMOTE))


def sm2_signed(body, *, key=REMOTE, path=peers.PATH, request_id=None, timestamp=None):
    request_id = request_id or uuid.uuid4().hex
    timestamp = str(timestamp or int(time.time()))
    text = peers.canonical("POST", path, timestamp, request_id, body, "sm3")
    return {
        "HTTP_X_JIUZHU_PEER": "370404",
        "HTTP_X_JIUZHU_REQUEST_ID": request_id,
        "HTTP_X_JIUZHU_TIMESTAMP": timestamp,
        "HTTP_X_JIUZHU_SIGNATURE": sm2.sign(key, text),
        "HTTP_X_JIUZHU_SIGNATURE_ALGORITHM": "sm2-sm3",
    }


def post(client, body, headers):
    return client.post(peers.PATH, body, content_type="application/json", **headers)


def refusal(r):
    return r.status_code, r.json()["code"]


@pytest.mark.django_db
def test_it_answers_an_sm2_signed_request_and_signs_the_answer_with_its_key(world, yicheng, client, new_id, own_key):
    """VER-1/GOV-14: the request verifies with the peer's registered public key; the answer
    verifies with this instance's public key, over the same canonical text."""
    body = payload(new_id(age=40))
    headers = sm2_signed(body)
    r = post(client, body, headers)
    assert r.status_code == 200, r.content
    assert r["X-Jiuzhu-Signature-Algorithm"] == "sm2-sm3"
    request_id = headers["HTTP_X_JIUZHU_REQUEST_ID"]
    text = b"\n".join([b"RESPONSE", peers.PATH.encode(), b"", request_id.encode(), sm2.sm3_hex(r.content).encode()])
    assert sm2.verify(sm2.public_key_of(own_key), text, r["X-Jiuzhu-Signature"])
    # the asking side checks the answer with the key it registered for this instance
    asker_view = Peer(code="370405", name="台儿庄区", sm2_public_key=sm2.public_key_of(own_key))
    assert peers.response_valid(asker_view, request_id, r.content, r["X-Jiuzhu-Signature"])
    assert not peers.response_valid(asker_view, request_id, r.content + b" ", r["X-Jiuzhu-Signature"])
    assert PeerNonce.objects.filter(peer=yicheng, request_id=request_id).exists()


@pytest.mark.django_db
def test_it_refuses_an_sm2_request_signed_with_another_key(world, yicheng, client, new_id):
    body = payload(new_id(age=40))
    r = post(client, body, sm2_signed(body, key=sm2.new_private_key()))
    assert refusal(r) == (401, "bad_signature")
    assert not PeerNonce.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_sm2_request_with_an_altered_body_or_path(world, yicheng, client, new_id):
    body = payload(new_id(age=40))
    altered = post(client, body.replace(b"370404-SQ", b"370404-XX"), sm2_signed(body))
    assert refusal(altered) == (401, "bad_signature")
    elsewhere = post(client, body, sm2_signed(body, path="/api/v1/verifications/peer/other"))
    assert refusal(elsewhere) == (401, "bad_signature")
    assert not PeerNonce.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_stale_or_replayed_sm2_request(world, yicheng, client, new_id):
    body = payload(new_id(age=40))
    stale = post(client, body, sm2_signed(body, timestamp=int(time.time()) - 3600))
    assert refusal(stale) == (401, "stale_request")
    headers = sm2_signed(body)
    assert post(client, body, headers).status_code == 200
    assert refusal(post(client, body, headers)) == (409, "replayed_request")
    assert PeerNonce.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    ["", "zz" * 64, "0" * 128, "ab" * 63, "ab" * 65, "签名不对", "ç­¾å" * 32, "0x" + "ab" * 63],
)
def test_it_refuses_a_malformed_sm2_signature_as_json(world, yicheng, client, new_id, signature):
    body = payload(new_id(age=40))
    headers = {**sm2_signed(body), "HTTP_X_JIUZHU_SIGNATURE": signature}
    assert refusal(post(client, body, headers)) == (401, "bad_signature")


@pytest.mark.django_db
def test_a_peer_with_an_sm2_key_may_not_fall_back_to_hmac(world, gm, catalog, client, new_id):
    """No downgrade: once a peer's SM2 key is registered, its HMAC-SM3 requests are refused
    even though the shared key is still on file."""
    register(key=KEY, sm2_public_key=sm2.public_key_of(REMOTE))
    body = payload(new_id(age=40))
    r = post(client, body, signed(body))
    assert refusal(r) == (401, "signature_algorithm_mismatch")
    assert "SM2" in r.json()["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("profile", ["standard", "gm"])
def test_a_signature_header_in_chinese_is_a_401_not_a_500(settings, world, catalog, client, new_id, profile):
    """The HMAC comparison works on bytes: ``hmac.compare_digest`` raised TypeError (500) on
    a non-ASCII str header."""
    settings.JIUZHU_CRYPTO_PROFILE = profile
    register(key=KEY, hmac_only=True)
    body = payload(new_id(age=40))
    for bad in ["签名" * 32, "ç­¾å" * 21 + "a", "\udcff" * 64]:
        r = post(client, body, {**signed(body), "HTTP_X_JIUZHU_SIGNATURE": bad})
        assert refusal(r) == (401, "bad_signature")
    assert post(client, body, signed(body)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("profile", ["standard", "gm"])
def test_an_absurd_timestamp_or_request_id_is_a_401_not_a_500(settings, world, catalog, client, new_id, profile):
    """A timestamp no float holds raised OverflowError (500); a request id with a trailing
    newline passed the ``$`` of ``re.match``."""
    settings.JIUZHU_CRYPTO_PROFILE = profile
    register(key=KEY, hmac_only=True)
    body = payload(new_id(age=40))
    huge = post(client, body, {**signed(body), "HTTP_X_JIUZHU_TIMESTAMP": "9" * 400})
    assert refusal(huge) == (401, "stale_request")
    newline = post(client, body, signed(body, request_id=uuid.uuid4().hex + "\n"))
    assert refusal(newline) == (401, "invalid_request_id")


@pytest.mark.django_db
def test_under_the_standard_profile_the_pair_signs_with_its_shared_key(settings, world, catalog, client, new_id):
    """The SM2 key is kept but unused outside 国密: HMAC-SHA256 is expected and an SM2-signed
    request is refused by name."""
    settings.JIUZHU_CRYPTO_PROFILE = "standard"
    peer = register(key=KEY, sm2_public_key=sm2.public_key_of(REMOTE))
    assert peers.scheme_for(peer) == "hmac-sha256"
    body = payload(new_id(age=40))
    assert refusal(post(client, body, sm2_signed(body))) == (401, "signature_algorithm_mismatch")
    assert post(client, body, signed(body)).status_code == 200


@pytest.mark.django_db
def test_without_its_own_key_file_the_instance_refuses_before_answering(gm, world, catalog, client, new_id, tmp_path):
    gm.PEER_SM2_KEY_FILE = tmp_path / "missing.hex"
    register(sm2_public_key=sm2.public_key_of(REMOTE))
    body = payload(new_id(age=40))
    assert refusal(post(client, body, sm2_signed(body))) == (409, "peer_sm2_key_missing")
    assert not PeerNonce.objects.exists()


@pytest.mark.django_db
def test_registering_a_peer_under_gm_needs_its_sm2_public_key(gm, world, catalog):
    with pytest.raises(InvalidInput) as no_key:
        register(key=KEY)
    assert no_key.value.code == "sm2_key_required"
    with pytest.raises(InvalidInput) as bad:
        register(sm2_public_key="04" + "1" * 128)  # not a point of the curve
    assert bad.value.code == "invalid_sm2_public_key"
    assert not Peer.objects.exists()
    public = sm2.public_key_of(REMOTE)
    peer = register(sm2_public_key="04" + public.upper())  # as printed by another tool
    assert peer.sm2_public_key == public and not peer.key_enc and peers.scheme_for(peer) == "sm2-sm3"
    again = register(key=KEY)  # re-registering keeps the SM2 key and adds a shared key
    assert again.sm2_public_key == public and peers.peer_key(again) == KEY.encode()
    hmac_pair = register(code="370481", key=KEY, hmac_only=True)
    assert peers.scheme_for(hmac_pair) == "hmac-sm3"


@pytest.mark.django_db
def test_registering_a_peer_under_the_standard_profile_needs_a_shared_key(settings, world, catalog):
    settings.JIUZHU_CRYPTO_PROFILE = "standard"
    with pytest.raises(InvalidInput) as no_key:
        register(sm2_public_key=sm2.public_key_of(REMOTE))
    assert no_key.value.code == "key_required"


@pytest.mark.django_db
def test_the_two_commands_exchange_public_keys(gm, world, catalog, tmp_path, capsys):
    """manage.py peer_public_key makes this instance's key file (0600) and prints its public
    key; manage.py add_peer --sm2-public-key registers the other county's."""
    gm.PEER_SM2_KEY_FILE = tmp_path / "var" / "peer-sm2-key.hex"
    call_command("peer_public_key")
    printed = capsys.readouterr().out.strip()
    assert gm.PEER_SM2_KEY_FILE.stat().st_mode & 0o077 == 0
    assert printed == sm2.public_key_of(sm2.read_key_file(gm.PEER_SM2_KEY_FILE))
    call_command("peer_public_key")
    assert capsys.readouterr().out.strip() == printed  # never replaced
    call_command(
        "add_peer",
        "--code=370404",
        "--name=峄城区",
        "--url=https://jiuzhu.yicheng.example.gov.cn",
        "--our-code=370405",
        f"--sm2-public-key={printed}",
    )
    assert "sm2-sm3" in capsys.readouterr().out
    assert Peer.objects.get(code="370404").sm2_public_key == printed


@pytest.mark.django_db(transaction=True)
def test_query_peer_round_trip_over_http_with_sm2(live_server, gm, world, catalog, authorized, client_of):
    """One instance as both counties (loopback): the request is signed with this instance's
    SM2 key and checked against the public key registered for 台儿庄区, and the asking side
    checks the SM2-signed answer the same way."""
    from jiuzhu.verification.models import PeerQuery

    own_public = sm2.public_key_of(peers.own_sm2_key())
    peer = register(base_url=live_server.url, sm2_public_key=own_public)  # we ask "峄城区" …
    register(code="370405", name="台儿庄区", our_code="370404", sm2_public_key=own_public)  # … which is us
    household = authorized("张山子镇", size=1)
    person = household.current_members().first()
    query = peers.query_peer(by=world.user("tez_hecha"), person=person, peer=peer)
    assert query.status == "answered" and query.answer["registered"] is True
    assert PeerQuery.objects.get().error == ""
    assert PeerNonce.objects.filter(peer__code="370405").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("profile", ["standard", "gm"])
def test_the_admin_form_follows_the_same_rule(settings, catalog, profile):
    from jiuzhu.verification.admin import PeerForm

    settings.JIUZHU_CRYPTO_PROFILE = profile
    fields = {"code": "370404", "name": "峄城区", "base_url": "https://yc.example.gov.cn", "our_code": "370405"}
    public = sm2.public_key_of(REMOTE)
    assert not PeerForm(data=fields).is_valid()  # neither key
    assert not PeerForm(data={**fields, "sm2_public_key": "04" + "1" * 128}).is_valid()
    with_sm2 = PeerForm(data={**fields, "sm2_public_key": "04" + public.upper()})
    assert with_sm2.is_valid() is (profile == "gm")
    if profile == "gm":
        assert with_sm2.save().sm2_public_key == public
    assert PeerForm(data={**fields, "code": "370481", "key": KEY}).is_valid()


@pytest.mark.django_db(transaction=True)
def test_two_live_instances_exchange_public_keys_and_answer_each_other_over_sm2(
    live_server, gm, world, catalog, new_instance, authorized, client_of
):
    """台儿庄区 (this test's server) and 峄城区 (a second server under the 国密 profile, with its
    own database, PII key and SM2 key made by ``manage.py peer_public_key``) register each
    other's public key and ask each other about a member registered in both."""
    import datetime as dt
    import json

    from jiuzhu.core.idnumber import make_id_number
    from jiuzhu.verification.models import PeerQuery

    from .test_peers import B_SETUP

    person_id = make_id_number("370404", dt.date(1981, 3, 3), 17, "M")
    a = authorized("张山子镇", members=[{"name": "孙外迁", "id_number": person_id, "relation": "self"}])
    b = new_instance("yicheng_gm")
    b.env["JIUZHU_CRYPTO_PROFILE"] = "gm"
    b_public = b.manage("peer_public_key").strip()
    assert (b.dir / "peer-sm2-key.hex").exists() and b_public != sm2.public_key_of(peers.own_sm2_key())
    hmac = 'key="{key}", our_code="370404", hmac_only=True'
    setup = B_SETUP.replace(hmac, 'sm2_public_key="{key}", our_code="370404"')
    assert hmac in B_SETUP
    ours = sm2.public_key_of(peers.own_sm2_key())
    b_person = b.run(setup.format(person=person_id, a_url=live_server.url, key=ours))
    b_url = b.serve()
    register(base_url=b_url, sm2_public_key=b_public)

    # 台儿庄 → 峄城, from the household's verification page
    member = a.current_members().get(name="孙外迁")
    r = client_of("tez_hecha").post(
        "/verification/peer-queries/", {"person_id": member.pk, "peer": "370404"}, follow=True
    )
    assert "峄城区已答复：本地已登记（在册家庭成员）" in r.content.decode()
    query = PeerQuery.objects.get()
    assert query.status == "answered" and query.error == ""
    assert query.answer["facts"][0]["detail"].startswith("号牌号码：鲁D66666")

    # 峄城 → 台儿庄, from the other instance's command line
    out = json.loads(
        b.manage("peer_query", str(b_person["person"]), "370405", "--user", "yc_hecha").strip().splitlines()[-1]
    )
    assert out["status"] == "answered" and out["answer"]["registered"] is True
    assert PeerNonce.objects.filter(peer__code="370404").count() == 1  # its request, checked with its key
