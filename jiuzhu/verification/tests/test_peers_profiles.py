"""跨县核对 under both crypto profiles (issue 19 item 8; VER-15, SUP-9): peer requests and answers
are signed with HMAC-SHA256 in the standard profile and HMAC-SM3 (SM3 of the body) under
国密; both sides check, and a request signed in the other profile is refused by name."""

import hashlib
import hmac
import time
import uuid

import pytest

from jiuzhu.verification import peers
from jiuzhu.verification.models import PeerNonce

from .test_peers import KEY, payload, signed

PROFILES = [("standard", "sha256"), ("gm", "sm3")]


@pytest.fixture
def yicheng(db, catalog):
    from jiuzhu.accounts.system import SystemActor

    return peers.add_peer(
        by=SystemActor(),
        code="370404",
        name="峄城区",
        base_url="http://127.0.0.1:9",
        key=KEY,
        our_code="370405",
        hmac_only=True,
    )


@pytest.mark.parametrize(("profile", "digest"), PROFILES)
def test_the_signature_is_the_profiles_hmac(settings, profile, digest):
    settings.JIUZHU_CRYPTO_PROFILE = profile
    body = b'{"id_number": "x"}'
    message = "\n".join(["POST", peers.PATH, "1700000000", "req-0001", hashlib.new(digest, body).hexdigest()])
    expected = hmac.new(KEY.encode(), message.encode(), digest).hexdigest()
    assert peers.sign(KEY.encode(), "post", peers.PATH, "1700000000", "req-0001", body) == expected
    assert peers.signature_algorithm() == f"hmac-{digest}"
    other = "sm3" if digest == "sha256" else "sha256"
    wrong = hmac.new(KEY.encode(), message.encode(), other).hexdigest()
    assert wrong != expected


@pytest.mark.django_db
@pytest.mark.parametrize(("profile", "digest"), PROFILES)
def test_both_sides_sign_and_check_in_the_profile(settings, profile, digest, world, yicheng, client, new_id):
    settings.JIUZHU_CRYPTO_PROFILE = profile
    body = payload(new_id(age=40))
    headers = signed(body)
    assert headers["HTTP_X_JIUZHU_SIGNATURE_ALGORITHM"] == f"hmac-{digest}"
    r = client.post(peers.PATH, body, content_type="application/json", **headers)
    assert r.status_code == 200, r.content
    request_id = headers["HTTP_X_JIUZHU_REQUEST_ID"]
    # the answer is signed the same way, and the asking side's check accepts it
    assert r["X-Jiuzhu-Signature"] == peers.response_signature(yicheng, request_id, r.content)
    message = "\n".join(["RESPONSE", peers.PATH, "", request_id, hashlib.new(digest, r.content).hexdigest()])
    assert r["X-Jiuzhu-Signature"] == hmac.new(KEY.encode(), message.encode(), digest).hexdigest()
    tampered = client.post(
        peers.PATH, body.replace(b"370404-SQ", b"370404-XX"), content_type="application/json", **signed(body)
    )
    assert (tampered.status_code, tampered.json()["code"]) == (401, "bad_signature")


@pytest.mark.django_db
@pytest.mark.parametrize(("profile", "other"), [("standard", "gm"), ("gm", "standard")])
def test_a_request_signed_in_the_other_profile_is_refused(settings, profile, other, world, yicheng, client, new_id):
    body = payload(new_id(age=40))
    settings.JIUZHU_CRYPTO_PROFILE = other
    headers = signed(body)
    settings.JIUZHU_CRYPTO_PROFILE = profile
    r = client.post(peers.PATH, body, content_type="application/json", **headers)
    assert (r.status_code, r.json()["code"]) == (401, "signature_algorithm_mismatch")
    assert "相同的密码配置" in r.json()["message"]
    # the same request signed with the receiver's algorithm but claiming the other one fails too
    request_id, timestamp = uuid.uuid4().hex, str(int(time.time()))
    forged = {**signed(body, request_id=request_id, timestamp=timestamp)}
    forged["HTTP_X_JIUZHU_SIGNATURE"] = headers["HTTP_X_JIUZHU_SIGNATURE"]
    again = client.post(peers.PATH, body, content_type="application/json", **forged)
    assert (again.status_code, again.json()["code"]) == (401, "bad_signature")
    assert not PeerNonce.objects.exists()
