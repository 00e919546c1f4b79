"""The spool: department files on disk (received, decompressed, hashed; released once
loaded) and where a batch's file and progress live."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from jiuzhu.core.errors import InvalidInput

from ..models import Batch

# A department file may be large (a county's monthly social-insurance file has millions of
# rows); each HTTP request is still capped at settings.MAX_UPLOAD_BYTES (20 MB) by the
# middleware, so larger files arrive gzip-compressed or in parts (``Upload``).
MAX_SOURCE_FILE_BYTES = 4 * 1024**3  # decompressed size of one batch
CHUNK = 1024 * 1024
FORMATS = {"csv": "CSV", "xlsx": "Excel（.xlsx）", "jsonl": "JSON Lines"}


def spool_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "verification" / "spool"
    path.mkdir(parents=True, exist_ok=True)
    return path


def progress_path(batch_id: int) -> Path:
    return spool_dir() / f"batch-{batch_id}.progress.json"


# ---- receiving: stream to disk, decompress, hash ---------------------------------------------


@dataclass
class Spooled:
    path: Path
    sha256: str
    size: int
    received: int
    gzipped: bool


def spool_stream(chunks: Iterable[bytes], *, limit: int | None = None) -> Spooled:
    """Write an upload to a temporary spool file, gunzipping when it starts with the gzip
    magic bytes; return its SHA-256 over the decompressed content."""
    limit = MAX_SOURCE_FILE_BYTES if limit is None else limit
    tmp = spool_dir() / f"incoming-{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = received = 0
    gunzip: _Gunzip | None = None
    gzipped = False
    first = True
    try:
        with open(tmp, "wb") as out:
            for chunk in chunks:
                if not chunk:
                    continue
                received += len(chunk)
                if first:
                    first = False
                    gzipped = chunk[:2] == b"\x1f\x8b"
                    if gzipped:
                        gunzip = _Gunzip()
                pieces = gunzip.feed(chunk) if gunzip is not None else [chunk]
                for piece in pieces:
                    size += len(piece)
                    if size > limit:
                        raise InvalidInput(
                            "file_too_large",
                            f"文件解压后超过{limit // 1024 // 1024}MB的单批上限，请按月份或区域拆分后分批上报",
                            field="file",
                        )
                    digest.update(piece)
                    out.write(piece)
            if gunzip is not None:
                tail = gunzip.finish()
                if tail:
                    size += len(tail)
                    digest.update(tail)
                    out.write(tail)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if size == 0:
        tmp.unlink(missing_ok=True)
        raise InvalidInput("empty_file", "文件为空，请选择要上报的数据文件", field="file")
    return Spooled(tmp, digest.hexdigest(), size, received, gzipped)


class _Gunzip:
    """Incremental gunzip that follows concatenated gzip members (``cat a.gz b.gz``)."""

    def __init__(self) -> None:
        self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> list[bytes]:
        out = []
        while data:
            try:
                out.append(self.d.decompress(data))
            except zlib.error:
                raise InvalidInput("unreadable_file", "压缩文件已损坏，无法解压，请重新导出", field="file") from None
            data = self.d.unused_data
            if data:
                self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return out

    def finish(self) -> bytes:
        tail = self.d.flush()
        if not self.d.eof:
            raise InvalidInput(
                "truncated_file", "压缩文件不完整（gzip数据被截断），请重新导出并上传完整文件", field="file"
            )
        return tail


def detect_format(name: str, path: Path) -> str:
    lower = (name or "").lower().removesuffix(".gz")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if lower.endswith(".xlsx") or head[:2] == b"PK":
        return "xlsx"
    if lower.endswith((".jsonl", ".ndjson", ".json")) or head.lstrip(b"\xef\xbb\xbf \r\n")[:1] == b"{":
        return "jsonl"
    if lower.endswith(".xls"):
        raise InvalidInput(
            "unsupported_file", "不支持旧版 .xls 文件，请在Excel中另存为 .xlsx 或 CSV 后上报", field="file"
        )
    return "csv"


def spool_path(batch: Batch) -> Path:
    return spool_dir() / batch.spool_name


# ---- the spool: department files hold plain ID numbers -----------------------------------------

FINISHED = ("loaded", "rejected")


def release_spool(batch: Batch) -> None:
    """Delete a finished batch's file at once (``SPOOL_RETENTION_DAYS`` 0) unless another
    unfinished batch still reads the same content; with N days ``sweep_spool`` does it later."""
    if settings.SPOOL_RETENTION_DAYS:
        return
    if Batch.objects.filter(spool_name=batch.spool_name).exclude(status__in=FINISHED).exists():
        return
    spool_path(batch).unlink(missing_ok=True)


def sweep_spool() -> int:
    """Remove files of batches finished more than ``SPOOL_RETENTION_DAYS`` ago and uploads
    abandoned for a day; return how many files were removed."""
    now = timezone.now()
    cutoff = now - dt.timedelta(days=settings.SPOOL_RETENTION_DAYS)
    unfinished = set(Batch.objects.exclude(status__in=FINISHED).values_list("spool_name", flat=True))
    old = set(Batch.objects.filter(status__in=FINISHED, finished_at__lt=cutoff).values_list("spool_name", flat=True))
    removed = 0
    for entry in os.scandir(spool_dir()):
        stale_part = entry.name.endswith(".part") and entry.stat().st_mtime < (now - dt.timedelta(days=1)).timestamp()
        if (entry.name in old and entry.name not in unfinished) or stale_part:
            Path(entry.path).unlink(missing_ok=True)
            removed += 1
    return removed


def spool_bytes() -> int:
    return sum(e.stat().st_size for e in os.scandir(spool_dir()) if e.is_file())


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)
