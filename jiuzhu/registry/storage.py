"""Document files on disk under MEDIA_ROOT, named by content hash (write once)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

_SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]


def sniff_content_type(upload: UploadedFile) -> str:
    """The type from the file's first bytes, not from its name or the browser's claim."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def path_of(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def save(name: str, upload: UploadedFile) -> None:
    target = path_of(name)
    if target.exists():
        return  # same content already stored (content-addressed)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    with open(tmp, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    os.replace(tmp, target)


def save_bytes(name: str, data: bytes) -> None:
    target = path_of(name)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def read_bytes(name: str) -> bytes:
    return path_of(name).read_bytes()
