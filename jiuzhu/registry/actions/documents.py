"""档案材料: uploads by a clerk and files the system produced."""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput

from .. import storage
from ..models import Document, Household, Person
from ._common import ALLOWED_DOCUMENT_TYPES, MAX_DOCUMENT_BYTES


def attach_document(
    household: Household, upload: UploadedFile, *, by: User, kind: str, title: str = "", person: Person | None = None
) -> Document:
    """上传档案材料: stored on disk by content hash; the same file twice is refused."""
    require(by, "registry.documents")
    if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
        raise InvalidInput("file_too_large", f"单个材料不得超过{MAX_DOCUMENT_BYTES // 1024 // 1024}MB", field="file")
    if upload.size == 0:
        raise InvalidInput("empty_file", "文件为空，请重新选择", field="file")
    content_type = storage.sniff_content_type(upload)
    if content_type not in ALLOWED_DOCUMENT_TYPES:
        raise InvalidInput("unsupported_file", "仅支持PDF、JPG、PNG、WEBP格式的扫描件或照片", field="file")
    if kind not in dict(Document._meta.get_field("kind").choices or []):
        raise InvalidInput("invalid_choice", "请选择材料类型", field="kind")
    if person is not None and person.household_id != household.pk:
        raise InvalidInput("invalid_person", "所选成员不属于本家庭", field="person")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    sha = digest.hexdigest()
    existing = Document.objects.filter(household=household, sha256=sha).first()
    if existing:
        raise DomainError(
            "duplicate_document", f"该文件已上传过（“{existing.title}”，{existing.uploaded_at:%Y-%m-%d}），无需重复上传"
        )
    try:
        with transaction.atomic():
            doc = Document.objects.create(
                household=household,
                person=person,
                area_code=household.area_id,
                kind=kind,
                title=(title or "").strip()[:100] or (upload.name or "材料")[:100],
                original_name=(upload.name or "")[:200],
                content_type=content_type,
                size=upload.size or 0,
                sha256=sha,
                uploaded_by=user_or_none(by),
            )
            storage.save(doc.storage_name, upload)
            record(
                by,
                "registry.document.attach",
                household,
                changes={
                    "document": doc.pk,
                    "title": doc.title,
                    "kind": kind,
                    "sha256": sha,
                    "person": person.pk if person else None,
                },
            )
    except IntegrityError:
        raise DomainError("duplicate_document", "该文件已上传过，无需重复上传") from None
    return doc


def store_generated(
    household: Household,
    data: bytes,
    *,
    by: User,
    kind: str,
    title: str,
    filename: str,
    content_type: str,
    person: Person | None = None,
) -> Document:
    """Keep a file the system produced (a notice PDF, a signature image) in the household's
    archive. Runs inside the caller's transaction; the caller's action writes the audit row."""
    sha = hashlib.sha256(data).hexdigest()
    existing: Document | None = Document.objects.filter(household=household, sha256=sha).first()
    if existing is not None:
        return existing
    doc = Document.objects.create(
        household=household,
        person=person,
        area_code=household.area_id,
        kind=kind,
        title=title[:100],
        original_name=filename[:200],
        content_type=content_type,
        size=len(data),
        sha256=sha,
        uploaded_by=user_or_none(by),
    )
    storage.save_bytes(doc.storage_name, data)
    return doc
