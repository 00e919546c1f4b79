"""Department batches: receive a file (validated as a whole, idempotent), re-run a batch."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core import jobs
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput

from .. import ingest
from ..models import (
    BATCH_KIND_CHOICES,
    Batch,
    Source,
)
from .permissions import can, may_upload, require_perm

# ---- ingest ---------------------------------------------------------------------------------------


def _county_of(by: Any, county_code: str | None) -> tuple[str, str]:
    """(6-digit county, 12-digit area) a batch belongs to: the uploader's county."""
    area = getattr(by, "area", None)
    if area is not None:
        return area.code[:6], area.code
    if county_code and getattr(by, "is_superuser", False):
        return county_code[:6], county_code[:6].ljust(12, "0")
    raise InvalidInput("no_county", "上报账号未设置所属区划，无法确定数据所属县（区）", field="county_code")


def receive_batch(
    source: Source,
    chunks: Iterable[bytes],
    *,
    by: User,
    filename: str = "",
    declared_encoding: str = "auto",
    kind: str = "",
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    expected_rows: int | None = None,
    channel: str = "ui",
    county_code: str | None = None,
) -> tuple[Batch, bool]:
    """数据上报: spool a department file and queue it for validation and loading.

    The same content for the same data type is one batch: the second upload answers with
    the first batch (``created`` False) and nothing new is loaded (idempotent by SHA-256).
    """
    if not may_upload(by, source):
        if not can(by, "sources.upload"):
            require_perm(by, "sources.upload")
        raise Forbidden("permission_denied", f"只能上报本部门的数据（{source.provider.name}）")
    if not source.active:
        raise DomainError("source_inactive", f"数据类型“{source.name}”已停用，不再接收数据")
    schema = source.current_schema
    if schema is None:
        raise DomainError("schema_missing", f"数据类型“{source.name}”尚未声明数据格式")
    if kind and kind not in dict(BATCH_KIND_CHOICES):
        raise InvalidInput("invalid_choice", "批次类型应为 full（全量）或 increment（增量或更正）", field="kind")
    if declared_encoding not in ("auto", "utf-8", "utf8", "gbk", "gb18030", "gb2312"):
        raise InvalidInput("invalid_choice", "文件编码应为 auto、utf-8 或 gbk", field="encoding")
    if period_start and period_end and period_end < period_start:
        raise InvalidInput("invalid_period", "数据期间的结束日期早于开始日期", field="period_end")
    county, area_code = _county_of(by, county_code)
    if settings.SPOOL_RETENTION_DAYS:
        ingest.sweep_spool()
    spooled = ingest.spool_stream(chunks)
    if ingest.spool_bytes() > settings.SPOOL_MAX_BYTES:
        spooled.path.unlink(missing_ok=True)
        raise InvalidInput(
            "spool_full",
            "数据暂存区已满（待处理的部门数据文件过多），本次上报未被接收，请稍后再报或联系系统管理员",
            field="file",
        )
    existing = Batch.objects.filter(source=source, sha256=spooled.sha256).first()
    if existing is not None:
        spooled.path.unlink(missing_ok=True)
        return existing, False
    try:
        fmt = ingest.detect_format(filename, spooled.path)
    except InvalidInput:
        spooled.path.unlink(missing_ok=True)
        raise
    spool_name = f"{spooled.sha256}.{fmt}"
    target = ingest.spool_dir() / spool_name
    os.replace(spooled.path, target)
    today = timezone.localdate()
    try:
        with transaction.atomic():
            batch = Batch.objects.create(
                source=source,
                schema=schema,
                county_code=county,
                area_code=area_code,
                provider_code=source.provider.code,
                kind=kind or ("full" if source.mode == "snapshot" else "increment"),
                channel=channel,
                original_name=(filename or "")[:200],
                file_format=fmt,
                sha256=spooled.sha256,
                size=spooled.size,
                spool_name=spool_name,
                encoding_declared="gbk"
                if declared_encoding in ("gb18030", "gb2312")
                else declared_encoding.replace("utf8", "utf-8"),
                period_start=period_start or (None if schema.period else today),
                period_end=period_end or (None if schema.period else today),
                expected_rows=expected_rows,
                received_by=user_or_none(by),
            )
            record(
                by,
                "verification.batch.receive",
                batch,
                area_code=area_code,
                changes={
                    "batch": batch.pk,
                    "source": source.code,
                    "file": filename,
                    "sha256": spooled.sha256,
                    "size": spooled.size,
                    "channel": channel,
                },
            )
            transaction.on_commit(lambda: _enqueue_batch(batch.pk))
    except IntegrityError:
        # The same file arrived twice at the same moment: the other request created it.
        existing = Batch.objects.get(source=source, sha256=spooled.sha256)
        return existing, False
    return batch, True


def _enqueue_batch(batch_id: int) -> None:
    from ..tasks import process_batch_task

    process_batch_task.enqueue(batch_id)


STALE_AFTER_SECONDS = 120


def rerun_batch(batch: Batch, *, by: User, force: bool = False) -> Batch:
    """重新处理: queue a batch again after its worker died (or an unexpected error).

    Allowed for batches not finished (queued, processing, failed). A batch that is being
    processed right now (progress within the last two minutes) needs ``force``."""
    if not (may_upload(by, batch.source) or can(by, "verification.run")):
        require_perm(by, "sources.manage")

    def check(locked: Batch) -> None:
        """Not only a failed batch: any unfinished one, a fresh one with ``force``."""
        if locked.status in ("loaded", "rejected"):
            raise DomainError(
                "batch_finished",
                f"批次#{locked.pk}已{locked.get_status_display()}，无需重新处理；数据有误请上报更正批次",
            )
        at = ingest.read_progress(locked).get("at")
        if locked.status == "processing" and at and time.time() - at < STALE_AFTER_SECONDS and not force:
            raise DomainError(
                "batch_in_progress",
                "该批次正在处理中（两分钟内仍有进度），如确认处理进程已中断，请选择“强制重新处理”",
            )

    return jobs.retry(
        batch,
        recover=ingest.recover_batches,  # a dead worker's batch needs no force
        check=check,
        reset={"status": "queued"},
        audit=lambda locked: record(
            by,
            "verification.batch.rerun",
            locked,
            area_code=locked.area_code,
            changes={"batch": locked.pk, "force": force},
        ),
        enqueue=_enqueue_batch,
    )
