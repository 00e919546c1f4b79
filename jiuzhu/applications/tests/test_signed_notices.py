"""Signed, verifiable notices (issue 19 item 9; DOC-1 … DOC-14, SUP-9): every notice and 核对报告
carries a verification code and QR code and a PAdES signature; the public page tells a genuine
copy from an altered or forged one, and a revoked document from a valid one."""

import io
import subprocess
import tempfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from jiuzhu.applications.models import Notice
from jiuzhu.audit.models import AuditEntry, SignedDocument
from jiuzhu.registry.storage import path_of
from jiuzhu.web import seal

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(content)
        fh.flush()
        return subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True, check=True).stdout


def _receipt(signed_intake):
    signed_intake()
    notice = Notice.objects.get(kind="receipt")
    return notice, open(path_of(notice.document.storage_name), "rb").read()


def test_every_notice_is_signed_and_carries_its_verification_code(signed_intake):
    notice, pdf = _receipt(signed_intake)
    record = SignedDocument.objects.get(kind="notice.receipt")
    assert record.number == notice.number and record.issuer == "台儿庄区民政局"
    text = _pdf_text(pdf)
    assert record.code in text and f"/public/verify/{record.code}/" in text
    assert seal.signature_valid(pdf)
    assert seal.check_copy(record, pdf).genuine


def test_the_printed_qr_code_is_the_verification_link_drawn_sharp(signed_intake, tmp_path):
    """DOC-1: the QR code in the PDF is the module matrix of the verification link, embedded as an
    image that viewers and printers must not smooth (``/Interpolate false``)."""
    import segno
    from PIL import Image

    _, pdf = _receipt(signed_intake)
    record = SignedDocument.objects.get(kind="notice.receipt")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdfimages", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "img")], check=True)
    [image] = [Image.open(p).convert("1") for p in tmp_path.glob("img-*.png")]
    url = next(w for w in _pdf_text(pdf).split() if f"/public/verify/{record.code}/" in w)
    expected = segno.make(url, error="m")
    modules = expected.symbol_size(scale=1, border=1)[0]
    assert image.size == (modules * 4, modules * 4)
    read = [[image.getpixel((4 * x + 2, 4 * y + 2)) == 0 for x in range(modules)] for y in range(modules)]
    blank = [False] * modules
    assert read == [blank, *([False, *map(bool, row), False] for row in expected.matrix), blank]
    assert b"/Interpolate false" in pdf


def test_an_altered_copy_fails(signed_intake):
    _, pdf = _receipt(signed_intake)
    record = SignedDocument.objects.get(kind="notice.receipt")
    appended = pdf + b"\n% edited\n"
    middle = len(pdf) // 3
    flipped = pdf[:middle] + bytes([pdf[middle] ^ 0x01]) + pdf[middle + 1 :]
    for altered in (appended, flipped):
        verdict = seal.check_copy(record, altered)
        assert not verdict.genuine and "不一致" in verdict.message
    assert not seal.signature_valid(flipped)


def _pdf_bytes_unsigned() -> bytes:
    from jiuzhu.web.pdf import render_pdf

    return render_pdf("pdf/base.html", {})


def test_a_pdf_signed_with_another_key_is_not_genuine(signed_intake, tmp_path, settings):
    _, pdf = _receipt(signed_intake)
    record = SignedDocument.objects.get(kind="notice.receipt")
    ours = (settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE)
    settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE = tmp_path / "k.pem", tmp_path / "c.pem"
    forged = seal.sign(_pdf_bytes_unsigned(), reason="伪造")
    settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE = ours
    assert not seal.signature_valid(forged)
    assert not seal.check_copy(record, forged).genuine
    assert seal.check_copy(record, pdf).genuine


def test_the_public_page_verifies_a_copy_and_shows_a_revocation(signed_intake):
    notice, pdf = _receipt(signed_intake)
    record = SignedDocument.objects.get(kind="notice.receipt")
    public = Client()
    page = public.get(f"/public/verify/{record.code}/").content.decode()
    assert notice.number in page and "有效" in page and record.sha256 in page
    household = notice.intake.household
    assert household.head_name not in page  # no personal data on the public page
    genuine = public.post(f"/public/verify/{record.code}/", {"file": SimpleUploadedFile("a.pdf", pdf)})
    assert "完全一致" in genuine.content.decode()
    altered = public.post(f"/public/verify/{record.code}/", {"file": SimpleUploadedFile("a.pdf", pdf + b"%x\n")})
    assert "不一致" in altered.content.decode()
    unknown = public.get("/public/verify/ABCDEFGHJKMN/")
    assert unknown.status_code == 404 and "未找到" in unknown.content.decode()
    assert public.get(f"/public/verify/?code={record.code.lower()}").status_code == 302

    call_command("revoke_document", record.code, "--reason", "决定已撤销，重新出具", stdout=io.StringIO())
    page = public.get(f"/public/verify/{record.code}/").content.decode()
    assert "已作废" in page and "决定已撤销" in page
    assert AuditEntry.objects.filter(action="audit.signed_document.revoke").count() == 1
