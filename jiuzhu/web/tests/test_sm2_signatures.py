"""国密 SM2 signatures on signed documents (issue 19 items 8 and 9; SUP-9, GOV-14): under
``JIUZHU_CRYPTO_PROFILE=gm`` every signed PDF's 存证 row also carries the SM3 fingerprint of
the file and the county's SM2 signature over it; the public page and the uploaded-copy check
verify it, and a forged, altered or other-key copy fails."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiuzhu.audit.models import SignedDocument
from jiuzhu.core import sm2
from jiuzhu.web import seal

pytestmark = pytest.mark.django_db


@pytest.fixture
def gm(settings, tmp_path):
    settings.JIUZHU_CRYPTO_PROFILE = "gm"
    settings.SM2_KEY_FILE = tmp_path / "sm2-key.hex"
    return settings


def _issue(number="TEZ-2026-0001"):
    return seal.render_signed(
        "pdf/base.html", {}, kind="notice.receipt", number=number, title="受理通知书", issuer="台儿庄区民政局"
    )


def test_the_sm2_primitives_sign_and_verify():
    key, other = sm2.new_private_key(), sm2.new_private_key()
    public = sm2.public_key_of(key)
    signature = sm2.sign(key, b"fingerprint")
    assert len(signature) == 128 and sm2.verify(public, b"fingerprint", signature)
    assert not sm2.verify(public, b"fingerprinT", signature)
    assert not sm2.verify(sm2.public_key_of(other), b"fingerprint", signature)
    r, s = int(signature[:64], 16), int(signature[64:], 16)
    n = int(sm2.sm2.default_ecc_table["n"], 16)
    assert not sm2.verify(public, b"fingerprint", f"{r:064x}{(s + n) % 2**256:064x}")  # s out of range
    assert not sm2.verify(public, b"fingerprint", "0" * 128)
    assert not sm2.verify("1" * 128, b"fingerprint", signature)  # not a point of the curve
    assert sm2.sign(key, b"fingerprint") != signature  # a fresh nonce every time
    assert sm2.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"  # GB/T 32905 A.1


def test_a_public_key_beginning_with_04_signs_and_verifies():
    """gmssl strips a leading "04" with ``lstrip``; key 0x133's public key begins "0404"."""
    key = f"{0x133:064x}"
    public = sm2.public_key_of(key)
    assert public.startswith("0404")
    for _ in range(3):
        assert sm2.verify(public, b"fingerprint", sm2.sign(key, b"fingerprint"))


def test_a_key_file_is_made_once_and_kept_private(gm):
    key = sm2.load_or_create(gm.SM2_KEY_FILE)
    assert sm2.load_or_create(gm.SM2_KEY_FILE) == key
    assert gm.SM2_KEY_FILE.stat().st_mode & 0o077 == 0
    gm.SM2_KEY_FILE.write_text("not-a-key\n")
    with pytest.raises(sm2.Sm2KeyError):
        sm2.load_or_create(gm.SM2_KEY_FILE)


def test_under_gm_every_signed_document_carries_a_valid_sm2_signature(gm):
    pdf, record = _issue()
    record.refresh_from_db()
    assert record.sm3 == sm2.sm3_hex(pdf) and len(record.sm2_signature) == 128
    assert sm2.verify(seal.sm2_public_key(), bytes.fromhex(record.sm3), record.sm2_signature)
    assert seal.sm2_valid(record) is True
    verdict = seal.check_copy(record, pdf)
    assert verdict.genuine and verdict.sm2_valid is True


def test_the_standard_profile_issues_no_sm2_signature(settings, tmp_path):
    settings.JIUZHU_CRYPTO_PROFILE = "standard"
    settings.SM2_KEY_FILE = tmp_path / "sm2-key.hex"
    pdf, record = _issue()
    assert record.sm2_signature == "" and record.sm3 == ""
    assert seal.sm2_valid(record) is None and seal.check_copy(record, pdf).genuine
    assert not settings.SM2_KEY_FILE.exists()


def test_an_altered_or_forged_pdf_fails_the_sm2_check(gm):
    pdf, record = _issue()
    middle = len(pdf) // 3
    flipped = pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1 :]
    for altered in (flipped, pdf + b"\n% edited\n"):
        verdict = seal.check_copy(record, altered)
        assert verdict.sm2_valid is False and not verdict.genuine
    forged, _ = _issue("TEZ-2026-0002")  # a genuine PDF of another document, under this code
    verdict = seal.check_copy(record, forged)
    assert verdict.sm2_valid is False and not verdict.genuine


def test_an_sm2_signature_by_another_key_fails(gm, tmp_path):
    pdf, record = _issue()
    other = sm2.new_private_key()
    # someone with database access re-signs the record's fingerprint with a key of their own
    SignedDocument.objects.filter(pk=record.pk).update(sm2_signature=sm2.sign(other, bytes.fromhex(record.sm3)))
    record.refresh_from_db()
    assert seal.sm2_valid(record) is False
    verdict = seal.check_copy(record, pdf)
    assert not verdict.genuine and "SM2签名无效" in verdict.message
    # and a record re-pointed at a forged file's fingerprint, signed by another key, fails too
    forged, _ = _issue("TEZ-2026-0003")
    SignedDocument.objects.filter(pk=record.pk).update(
        sm3=sm2.sm3_hex(forged), sm2_signature=sm2.sign(other, bytes.fromhex(sm2.sm3_hex(forged)))
    )
    record.refresh_from_db()
    assert seal.check_copy(record, forged).sm2_valid is False


def test_the_public_page_shows_the_sm2_verdict(gm):
    pdf, record = _issue()
    public = Client()
    page = public.get(f"/public/verify/{record.code}/").content.decode()
    assert "国密 SM2 签名有效" in page and record.sm3 in page
    upload = SimpleUploadedFile("n.pdf", pdf, content_type="application/pdf")
    page = public.post(f"/public/verify/{record.code}/", {"file": upload}).content.decode()
    assert 'data-testid="verify-copy-sm2"' in page and "国密 SM2 签名有效：" in page
    altered = SimpleUploadedFile("n.pdf", pdf + b"\n% x\n", content_type="application/pdf")
    page = public.post(f"/public/verify/{record.code}/", {"file": altered}).content.decode()
    assert "国密 SM2 签名无效：" in page
    SignedDocument.objects.filter(pk=record.pk).update(
        sm2_signature=sm2.sign(sm2.new_private_key(), bytes.fromhex(record.sm3))
    )
    page = public.get(f"/public/verify/{record.code}/").content.decode()
    assert "国密 SM2 签名无效" in page and "国密 SM2 签名有效" not in page
    assert "无法确认" in page and "目前有效" not in page
