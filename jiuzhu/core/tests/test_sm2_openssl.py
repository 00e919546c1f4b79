"""Our SM2 (gmssl through ``core.sm2``) against a second implementation, the OpenSSL 3 command
line (issue 19 item 8; SUP-9, GOV-14): a signature made here verifies with ``openssl pkeyutl``
and one made by OpenSSL verifies here, both SM2 with SM3 and the GM/T 0009 default user id
``1234567812345678``. OpenSSL's own default id is empty (ENTL 0), so it must be told the id
(``-pkeyopt distid:…``); without it the Z values differ and neither side accepts the other's
signature (docs/decisions.md, "SM2 peer signatures")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from jiuzhu.core import sm2

DEFAULT_ID = "distid:1234567812345678"
# SubjectPublicKeyInfo of an SM2 key up to the point: id-ecPublicKey with the SM2 curve
# (1.2.156.10197.1.301), a BIT STRING of 66 bytes, then 04 ‖ x ‖ y.
SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")
MESSAGE = "\n".join(["POST", "/api/v1/verifications/peer/query", "1700000000", "req-0001", "0" * 64]).encode()


def _openssl_has_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    out = subprocess.run(["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True)
    return out.returncode == 0 and "sm2" in out.stdout.lower()


pytestmark = pytest.mark.skipif(not _openssl_has_sm2(), reason="the openssl command line (3.x with SM2) is missing")


def _der_signature(signature: str) -> bytes:
    def integer(value: int) -> bytes:
        raw = value.to_bytes(32, "big").lstrip(b"\0") or b"\0"
        if raw[0] & 0x80:
            raw = b"\0" + raw
        return bytes([0x02, len(raw)]) + raw

    body = integer(int(signature[:64], 16)) + integer(int(signature[64:], 16))
    return bytes([0x30, len(body)]) + body


def _raw_signature(der: bytes) -> str:
    assert der[0] == 0x30 and der[1] == len(der) - 2
    r_len = der[3]
    r = int.from_bytes(der[4 : 4 + r_len], "big")
    s = int.from_bytes(der[6 + r_len :], "big")
    return f"{r:064x}{s:064x}"


def _pkeyutl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", "pkeyutl", "-rawin", "-digest", "sm3", *args], capture_output=True, text=True)


def _openssl_verifies(tmp: Path, public_key: str, signature: str, *options: str) -> bool:
    (tmp / "pub.der").write_bytes(SPKI_PREFIX + bytes.fromhex(public_key))
    (tmp / "msg").write_bytes(MESSAGE)
    (tmp / "sig.der").write_bytes(_der_signature(signature))
    done = _pkeyutl(
        "-verify", "-pubin", "-keyform", "DER", "-inkey", str(tmp / "pub.der"), "-in", str(tmp / "msg"),
        "-sigfile", str(tmp / "sig.der"), *options,
    )  # fmt: skip
    return done.returncode == 0 and "Verified Successfully" in done.stdout


def _openssl_key(tmp: Path) -> tuple[Path, str]:
    key = tmp / "openssl-key.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "SM2", "-out", str(key)], check=True, capture_output=True)
    der = subprocess.run(
        ["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    assert der[: len(SPKI_PREFIX)] == SPKI_PREFIX
    return key, der[len(SPKI_PREFIX) :].hex()


def _openssl_signs(tmp: Path, key: Path, *options: str) -> str:
    (tmp / "msg").write_bytes(MESSAGE)
    done = _pkeyutl("-sign", "-inkey", str(key), "-in", str(tmp / "msg"), "-out", str(tmp / "osig.der"), *options)
    assert done.returncode == 0, done.stderr
    return _raw_signature((tmp / "osig.der").read_bytes())


def test_openssl_verifies_our_sm2_signature_with_the_default_user_id(tmp_path):
    key = sm2.new_private_key()
    public = sm2.public_key_of(key)
    for _ in range(3):  # fresh nonces, and r or s with a high bit or a leading zero byte now and then
        signature = sm2.sign(key, MESSAGE)
        assert _openssl_verifies(tmp_path, public, signature, "-pkeyopt", DEFAULT_ID)
    # OpenSSL's default id is empty: the Z value differs and so the signature does not verify
    assert not _openssl_verifies(tmp_path, public, signature)
    # and a signature by another key fails there too
    assert not _openssl_verifies(tmp_path, sm2.public_key_of(sm2.new_private_key()), signature, "-pkeyopt", DEFAULT_ID)


def test_we_verify_openssls_sm2_signature_with_the_default_user_id(tmp_path):
    key, public = _openssl_key(tmp_path)
    assert sm2.normalized_public_key("04" + public) == public
    signature = _openssl_signs(tmp_path, key, "-pkeyopt", DEFAULT_ID)
    assert sm2.verify(public, MESSAGE, signature)
    assert not sm2.verify(public, MESSAGE + b"x", signature)
    # signed with OpenSSL's default (empty) id: another Z value, refused here
    assert not sm2.verify(public, MESSAGE, _openssl_signs(tmp_path, key))
