"""Signed, verifiable documents (issue 19 item 9): every notice and 核对报告 PDF carries a QR code
with a short verification link and is signed (PAdES, pyHanko) with the county's key; the
public page ``/public/verify/<code>/`` says whether a copy is genuine and still valid.

The key and certificate are PEM files (``SIGNING_KEY_FILE``, ``SIGNING_CERT_FILE``). Where
they are missing (demo, tests) a self-signed pair is made on first use; a county in
production installs the certificate its CA issued (see docs/decisions.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import hashlib
import io
import re
import secrets
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jiuzhu.audit.models import SignedDocument

T = TypeVar("T")
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over the phone


@dataclass(frozen=True)
class Seal:
    """What the PDF prints: the verification code, its link and the QR code of the link."""

    code: str
    url: str
    qr: str  # PNG data URI, four pixels a module, drawn unsmoothed (``image-rendering: pixelated``)


def new_seal() -> Seal:
    import segno

    code = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("public_verify", args=[code])
    # A PNG, not an SVG: WeasyPrint parses an SVG path of a thousand segments per notice (issue 20
    # item 3: 6.8 ms of a receipt against 2.3 ms for the image).
    return Seal(code=code, url=url, qr=segno.make(url, error="m").png_data_uri(scale=4, border=1))


def ensure_signing_files() -> None:
    """A self-signed EC P-256 key and certificate when none is installed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key_file, cert_file = settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE
    if key_file.exists() and cert_file.exists():
        return
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.SIGNING_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, settings.SIGNING_SUBJECT),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


@functools.lru_cache(maxsize=4)
def _signer(key_file: str, cert_file: str, mtime: float) -> Any:
    from pyhanko.sign import signers

    loaded = signers.SimpleSigner.load(key_file, cert_file)  # type: ignore[no-untyped-call]
    return _templated_signer_class()(
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
        signature_mechanism=loaded.signature_mechanism,
    )


@functools.cache
def _templated_signer_class() -> type:
    """pyHanko's signer, with the CMS container of a signature assembled from a template
    (issue 20 item 3). pyHanko builds the container anew for every PDF through asn1crypto's
    generic objects: 7.5 of the 9 ms a notice's signature took, for a container in which only
    the signing time, the document's digest and the signature value change from one notice to the
    next. The first signature of a signer is pyHanko's own; its parts (certificates, signer
    identifier, algorithms, the fixed signed attributes) are kept as DER, and every later
    signature puts the three new values between them, signs the signed attributes with pyHanko's
    own raw signing and hands pyHanko the container to embed. Anything but that plain case (a
    dry run, PAdES attributes, a timestamp, another digest) is pyHanko's own throughout."""
    from asn1crypto import cms  # type: ignore[import-untyped]
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    class TemplatedSigner(signers.SimpleSigner):
        _template: _CmsTemplate | None = None

        async def async_sign(
            self,
            data_digest: bytes,
            digest_algorithm: str,
            dry_run: bool = False,
            use_pades: bool = False,
            timestamper: Any = None,
            signed_attr_settings: Any = None,
            is_pdf_sig: bool = True,
            encap_content_info: Any = None,
        ) -> Any:
            settings_ = signed_attr_settings or PdfCMSSignedAttributes()
            plain = (
                digest_algorithm == "sha256"
                and not dry_run
                and not use_pades
                and timestamper is None
                and is_pdf_sig
                and encap_content_info is None
                and settings_.signing_time is not None
                and settings_ == PdfCMSSignedAttributes(signing_time=settings_.signing_time)
            )
            if plain and self._template is not None:
                signing_time = cms.CMSAttribute(
                    {"type": "signing_time", "values": [cms.Time({"utc_time": settings_.signing_time})]}
                ).dump()
                attributes = self._template.signed_attributes(signing_time, data_digest)
                signature = await self.async_sign_raw(_der(0x31, attributes), digest_algorithm)
                return cms.ContentInfo.load(self._template.container(attributes, signature))
            made = await super().async_sign(
                data_digest,
                digest_algorithm,
                dry_run=dry_run,
                use_pades=use_pades,
                timestamper=timestamper,
                signed_attr_settings=signed_attr_settings,
                is_pdf_sig=is_pdf_sig,
                encap_content_info=encap_content_info,
            )
            if plain and self._template is None:
                self._template = _CmsTemplate.of(made)
            return made

    return TemplatedSigner


def _der(tag: int, content: bytes) -> bytes:
    """One DER element: its tag, its length (short or long form), its content."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


@dataclass(frozen=True)
class _CmsTemplate:
    """The fixed parts of a signer's CMS container (RFC 5652 SignedData), as DER."""

    head: bytes  # SignedData's version, digest algorithms, content info and certificates
    signer_head: bytes  # SignerInfo's version, signer identifier and digest algorithm
    signature_algorithm: bytes
    fixed_attributes: tuple[bytes, ...]  # the signed attributes that are the same every time
    digest_prefix: bytes  # the message-digest attribute up to the digest itself
    content_type: bytes  # ContentInfo's content type (signedData)

    @classmethod
    def of(cls, made: Any) -> _CmsTemplate | None:
        """The template of pyHanko's container ``made``; None if it carries anything the
        template would leave out (then every signature stays pyHanko's)."""
        signed_data = made["content"]
        info = signed_data["signer_infos"][0]
        if len(signed_data["signer_infos"]) != 1 or signed_data["crls"] or info["unsigned_attrs"]:
            return None
        fixed, digest_prefix = [], b""
        for attribute in info["signed_attrs"]:
            name, der = attribute["type"].native, attribute.dump()
            if name == "message_digest":
                digest_prefix = der[: -len(attribute["values"][0].native)]
            elif name != "signing_time":
                fixed.append(der)
        return cls(
            head=b"".join(
                signed_data[field].dump()
                for field in ("version", "digest_algorithms", "encap_content_info", "certificates")
            ),
            signer_head=b"".join(info[field].dump() for field in ("version", "sid", "digest_algorithm")),
            signature_algorithm=info["signature_algorithm"].dump(),
            fixed_attributes=tuple(fixed),
            digest_prefix=digest_prefix,
            content_type=made["content_type"].dump(),
        )

    def signed_attributes(self, signing_time: bytes, digest: bytes) -> bytes:
        """The signed attributes' content, in DER's order for a SET OF (sorted by encoding)."""
        return b"".join(sorted((*self.fixed_attributes, signing_time, self.digest_prefix + digest)))

    def container(self, attributes: bytes, signature: bytes) -> bytes:
        signer_info = _der(
            0x30,
            self.signer_head + _der(0xA0, attributes) + self.signature_algorithm + _der(0x04, signature),
        )
        signed_data = _der(0x30, self.head + _der(0x31, signer_info))
        return _der(0x30, self.content_type + _der(0xA0, signed_data))


def signer() -> Any:
    ensure_signing_files()
    key_file, cert_file = settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE
    return _signer(str(key_file), str(cert_file), cert_file.stat().st_mtime)


def _outside_event_loop(work: Callable[[], T]) -> T:
    """pyHanko's synchronous calls run their own event loop (``asyncio.run``), which fails in
    a thread that already runs one (an async view, Playwright in a test): there, a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def sign(pdf: bytes, *, reason: str) -> bytes:
    """A PAdES signature over the whole PDF (incremental update)."""
    return _outside_event_loop(lambda: _sign(pdf, reason))


def _sign(pdf: bytes, reason: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.general import SigningError

    key = signer()
    reserved = _reserved.get(key)
    meta = signers.PdfSignatureMetadata(field_name="Signature1", reason=reason, location=settings.SIGNING_ORGANIZATION)
    try:
        out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=key, bytes_reserved=reserved)
    except SigningError:
        if reserved is None:
            raise
        reserved = None  # the remembered space was too small after all: estimate it again
        out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=key)
    signed = bytes(out.getvalue())
    if reserved is None:
        found = _CONTENTS.findall(signed[len(pdf) :])
        if len(found) == 1:
            _reserved[key] = len(found[0])
    return signed


# The space a signature takes in the PDF, per signer (issue 20 item 3). Without it pyHanko makes
# a whole dry-run signature before every real one to estimate the size (a sixth of the signing
# time); the first signature's reserved space — pyHanko's estimate with its 50 % margin — is
# reused for the same key and certificate (a new certificate is a new signer, estimated anew).
_reserved: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_CONTENTS = re.compile(rb"/Contents <([0-9a-fA-F]+)>")


def render_signed(
    template: str,
    context: dict[str, Any],
    *,
    kind: str,
    number: str,
    title: str,
    issuer: str,
    area_code: str = "",
    obj: Any = None,
) -> tuple[bytes, SignedDocument]:
    """Render a PDF with its verification code and QR code, sign it and record it."""
    signed, seal = render_and_sign(template, context, number=number, title=title)
    return signed, record_signed(
        signed, seal, kind=kind, number=number, title=title, issuer=issuer, area_code=area_code, obj=obj
    )


def render_and_sign(template: str, context: dict[str, Any], *, number: str, title: str) -> tuple[bytes, Seal]:
    """The signed PDF and its seal, without touching the database (render it outside a
    transaction: it takes a good part of a second)."""
    from jiuzhu.web.pdf import render_pdf

    seal = new_seal()
    return sign(render_pdf(template, {**context, "seal": seal}), reason=f"{title} {number}"), seal


def record_signed(
    signed: bytes,
    seal: Seal,
    *,
    kind: str,
    number: str,
    title: str,
    issuer: str,
    area_code: str = "",
    obj: Any = None,
) -> SignedDocument:
    """The 存证 row of a signed PDF: its code and its SHA-256 fingerprint — and, under the 国密
    profile, its SM3 fingerprint with the county's SM2 signature over it."""
    sm3, sm2_signature = sm2_seal(signed) if gm_profile() else ("", "")
    return SignedDocument.objects.create(
        code=seal.code,
        kind=kind,
        number=number,
        title=title[:100],
        issuer=issuer[:100],
        area_code=area_code,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        sha256=hashlib.sha256(signed).hexdigest(),
        sm3=sm3,
        sm2_signature=sm2_signature,
    )


def gm_profile() -> bool:
    return bool(settings.JIUZHU_CRYPTO_PROFILE == "gm")


def sm2_private_key() -> str:
    from jiuzhu.core import sm2

    return sm2.load_or_create(settings.SM2_KEY_FILE)


def sm2_public_key() -> str:
    from jiuzhu.core import sm2

    return sm2.public_key_of(sm2_private_key())


def sm2_seal(data: bytes) -> tuple[str, str]:
    """(SM3 fingerprint, SM2 signature over it) of a signed file, with the county's SM2 key.
    PAdES (pyHanko) cannot carry SM2, so this second signature lives in the 存证 row."""
    from jiuzhu.core import sm2

    fingerprint = sm2.sm3_hex(data)
    return fingerprint, sm2.sign(sm2_private_key(), bytes.fromhex(fingerprint))


def sm2_valid(record: SignedDocument, data: bytes | None = None) -> bool | None:
    """Whether the record's SM2 signature, checked with the county's SM2 public key, covers
    ``data`` (an uploaded copy) or, without data, the record's own SM3 fingerprint. None for
    a record without an SM2 signature (issued under the standard profile)."""
    from jiuzhu.core import sm2

    if not record.sm2_signature:
        return None
    fingerprint = sm2.sm3_hex(data) if data is not None else record.sm3
    if data is not None and fingerprint != record.sm3:
        return False
    try:
        message = bytes.fromhex(fingerprint)
    except ValueError:
        return False
    return sm2.verify(sm2_public_key(), message, record.sm2_signature)


def stored_copy(record: SignedDocument) -> Any:
    return settings.MEDIA_ROOT / "signed" / f"{record.code}.pdf"


def signed_once(obj: Any, make: Any) -> bytes:
    """The signed PDF of a frozen object (a 核对报告): made and kept the first time, the same
    file (and verification code) every time after. ``make()`` returns ``render_signed(...)``."""
    existing = (
        SignedDocument.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("id").first()
    )
    if existing is not None and stored_copy(existing).exists():
        return bytes(stored_copy(existing).read_bytes())
    try:
        with transaction.atomic():
            data, record = make()
            path = stored_copy(record)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except IntegrityError:  # pragma: no cover - two first renders at once: the other one won
        return signed_once(obj, make)
    return bytes(data)


@dataclass(frozen=True)
class CopyCheck:
    """The verdict on an uploaded copy."""

    same_file: bool  # byte for byte the file that was issued
    signature_valid: bool  # signed with this platform's key, not changed since
    message: str
    sm2_valid: bool | None = None  # 国密 SM2 signature over the copy's SM3 fingerprint (None: none issued)

    @property
    def genuine(self) -> bool:
        return self.same_file and self.signature_valid and self.sm2_valid is not False


def signature_valid(data: bytes) -> bool:
    """The PDF carries a signature by our certificate that covers the whole file, intact."""
    return _outside_event_loop(lambda: _signature_valid(data))


def _signature_valid(data: bytes) -> bool:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data))
        signatures = reader.embedded_signatures
        if len(signatures) != 1:
            return False
        cert = signer().signing_cert
        status = validate_pdf_signature(signatures[0], ValidationContext(trust_roots=[cert]))
    except Exception:  # a damaged or forged file: not genuine, whatever broke
        return False
    return bool(
        status.intact
        and status.valid
        and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        and status.signing_cert.sha256 == cert.sha256
    )


def check_copy(record: SignedDocument, data: bytes) -> CopyCheck:
    same = hashlib.sha256(data).hexdigest() == record.sha256
    valid = signature_valid(data)
    if same and valid:
        message = "文件与存档完全一致，电子签章有效"
    elif valid:
        message = "电子签章有效，但该文件不是此验证码对应的文书"
    else:
        message = "文件与存档不一致或电子签章无效：可能被篡改或伪造，请以出具机关存档为准"
    sm2_ok = sm2_valid(record, data)
    if sm2_ok is False and same and valid:
        message = "国密SM2签名无效：存证记录的签名不是本县密钥所签，请向出具机关核实"
    return CopyCheck(same_file=same, signature_valid=valid, message=message, sm2_valid=sm2_ok)


def revoke(by: Any, record: SignedDocument, *, reason: str) -> SignedDocument:
    """作废: the public page then says the document is no longer valid (audited)."""
    from jiuzhu.audit.log import record as audit
    from jiuzhu.core.errors import DomainError, InvalidInput

    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("required", "请填写作废原因", field="reason")
    with transaction.atomic():
        locked = SignedDocument.objects.select_for_update().get(pk=record.pk)
        if locked.revoked_at is not None:
            raise DomainError("already_revoked", "该文书已作废")
        locked.revoked_at, locked.revoked_reason = timezone.now(), reason[:200]
        locked.save(update_fields=["revoked_at", "revoked_reason"])
        audit(
            by,
            "audit.signed_document.revoke",
            locked,
            area_code=locked.area_code,
            changes={"code": locked.code, "number": locked.number, "reason": locked.revoked_reason},
        )
    return locked
