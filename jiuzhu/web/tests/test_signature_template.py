"""A notice's signature container assembled from its signer's template (issue 20 item 3) is
pyHanko's own container but for the signature value, and the signed PDF is valid (DOC-1): for
the self-signed EC key of the demo and for an RSA key as a county's CA may issue."""

import asyncio
import datetime as dt
import hashlib

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes


def _rsa_pair(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "枣庄市台儿庄区民政局")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = tmp_path / "rsa-key.pem", tmp_path / "rsa-cert.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@pytest.fixture(params=["ec", "rsa"])
def county_key(request, settings, tmp_path):
    if request.param == "rsa":
        settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE = _rsa_pair(tmp_path)
    else:
        settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE = tmp_path / "k.pem", tmp_path / "c.pem"
    return request.param


def _run(coroutine_of):
    """A coroutine run to its end, outside the event loop a browser test may have left running."""
    from jiuzhu.web.seal import _outside_event_loop

    return _outside_event_loop(lambda: asyncio.run(coroutine_of()))


def _without_signature(container):
    copy = cms.ContentInfo.load(container.dump())
    copy["content"]["signer_infos"][0]["signature"] = b""
    return copy.dump(force=True)


def test_the_templated_container_is_pyhankos_but_for_the_signature_value(county_key):
    from jiuzhu.web import seal

    key = seal.signer()
    at = PdfCMSSignedAttributes(signing_time=dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC))
    _run(lambda: key.async_sign(hashlib.sha256(b"first").digest(), "sha256", signed_attr_settings=at))  # the template
    digest = hashlib.sha256("受理通知书".encode()).digest()
    mine = cms.ContentInfo.load(_run(lambda: key.async_sign(digest, "sha256", signed_attr_settings=at)).dump())
    theirs = _run(lambda: signers.SimpleSigner.async_sign(key, digest, "sha256", signed_attr_settings=at))

    info = mine["content"]["signer_infos"][0]
    assert info["signed_attrs"].dump() == theirs["content"]["signer_infos"][0]["signed_attrs"].dump()
    assert _without_signature(mine) == _without_signature(theirs)
    assert dict((a["type"].native, a["values"][0].native) for a in info["signed_attrs"])["message_digest"] == digest

    # The signature value is a valid signature of the signed attributes by the county's key.
    signed = info["signed_attrs"].untag().dump()
    verifier = load_der_public_key(key.signing_cert.public_key.dump())
    if county_key == "rsa":
        verifier.verify(info["signature"].native, signed, padding.PKCS1v15(), hashes.SHA256())
    else:
        verifier.verify(info["signature"].native, signed, ec.ECDSA(hashes.SHA256()))


def test_every_signed_pdf_after_the_first_is_valid_and_a_changed_byte_is_caught(county_key):
    from jiuzhu.web import seal
    from jiuzhu.web.pdf import render_pdf

    pdf = render_pdf("pdf/base.html", {"seal": seal.new_seal()})
    copies = [seal.sign(pdf, reason=f"受理通知书 第{n}号") for n in range(3)]
    assert all(seal.signature_valid(copy) for copy in copies)
    assert len({copy[len(pdf) :] for copy in copies}) == 3  # each its own time, reason and signature
    changed = bytearray(copies[-1])
    at = changed.index(b"/MediaBox [ 0 0 ") + len(b"/MediaBox [ 0 0 ")
    changed[at] = ord("4") if changed[at] != ord("4") else ord("5")
    assert not seal.signature_valid(bytes(changed))
