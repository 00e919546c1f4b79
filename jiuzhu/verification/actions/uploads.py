"""分段上传: a large department file announced, appended part by part, completed into a batch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound

from .. import ingest
from ..models import (
    Batch,
    Source,
    Upload,
)
from .batches import receive_batch
from .permissions import may_upload, require_perm

MAX_PART_BYTES = settings.MAX_UPLOAD_BYTES - 64 * 1024  # a part must pass the request-size middleware


def start_upload(source: Source, *, by: User, size: int, filename: str = "") -> Upload:
    """分段上传: announce a large file (up to ``ingest.MAX_SOURCE_FILE_BYTES``)."""
    if not may_upload(by, source):
        require_perm(by, "sources.upload")
        raise Forbidden("permission_denied", f"只能上报本部门的数据（{source.provider.name}）")
    if size <= 0:
        raise InvalidInput("invalid_size", "请声明文件大小（字节）", field="size")
    if size > ingest.MAX_SOURCE_FILE_BYTES:
        raise InvalidInput(
            "file_too_large",
            f"文件{size / 1024**3:.1f}GB，超过单批{ingest.MAX_SOURCE_FILE_BYTES // 1024**3}GB的上限，"
            "请按月份或区域拆分后分批上报",
            field="size",
        )
    with transaction.atomic():
        upload = Upload.objects.create(
            key=uuid.uuid4().hex, source=source, created_by=by, original_name=filename[:200], declared_size=size
        )
        record(
            by,
            "verification.upload.start",
            None,
            object_type="verification.upload",
            object_id=upload.key,
            changes={"source": source.code, "size": size},
        )
    return upload


def upload_part_path(upload: Upload) -> Any:
    return ingest.spool_dir() / f"upload-{upload.key}.part"


def append_part(upload: Upload, number: int, stream: Any, *, by: User) -> Upload:
    """Append part ``number`` (1, 2, … in order) of a 分段上传."""
    if upload.created_by_id != getattr(by, "pk", None):
        raise NotFound("not_found", "上传任务不存在")
    if upload.completed_batch_id:
        raise DomainError("upload_completed", "该上传任务已完成，不能再追加")
    if number != upload.parts + 1:
        raise DomainError("part_out_of_order", f"应上传第{upload.parts + 1}段，收到的是第{number}段")
    path = upload_part_path(upload)
    written = 0
    with open(path, "ab") as out:
        start = out.tell()
        try:
            while True:
                chunk = stream.read(ingest.CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                if start + written > upload.declared_size:
                    raise InvalidInput("file_too_large", "收到的内容超过了声明的文件大小", field="size")
                out.write(chunk)
        except BaseException:
            out.truncate(start)
            raise
    with transaction.atomic():
        Upload.objects.filter(pk=upload.pk).update(parts=number, received=start + written)
    upload.refresh_from_db()
    return upload


def complete_upload(upload: Upload, *, by: User, channel: str = "api", **kwargs: Any) -> tuple[Batch, bool]:
    if upload.created_by_id != getattr(by, "pk", None):
        raise NotFound("not_found", "上传任务不存在")
    if upload.completed_batch_id:
        return upload.completed_batch, False  # type: ignore[return-value]
    if upload.received != upload.declared_size:
        raise InvalidInput(
            "incomplete_upload",
            f"已收到{upload.received}字节，声明为{upload.declared_size}字节，文件不完整",
            field="size",
        )
    path = upload_part_path(upload)

    def chunks() -> Iterator[bytes]:
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(ingest.CHUNK)
                if not chunk:
                    return
                yield chunk

    batch, created = receive_batch(
        upload.source, chunks(), by=by, filename=upload.original_name, channel=channel, **kwargs
    )
    Upload.objects.filter(pk=upload.pk).update(completed_batch=batch)
    path.unlink(missing_ok=True)
    return batch, created
