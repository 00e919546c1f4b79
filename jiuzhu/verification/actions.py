"""State changes of verification (家庭经济状况核对)."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record, record_job_death
from jiuzhu.core import jobs
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.core.masking import mask_name
from jiuzhu.registry.models import Household, Person

from . import ingest
from . import report as report_content
from .models import (
    BATCH_KIND_CHOICES,
    Authorization,
    Batch,
    Finding,
    Report,
    ReportSequence,
    ReverificationRun,
    Snapshot,
    Source,
    Upload,
    VerificationRequest,
)

ADULT_AGE = 18


def adults_without_authorization(household: Household, on: Any = None) -> list[Person]:
    """Adult members (18+, living) who have not signed a valid 授权书 (先授权、后核对)."""
    today = on or timezone.localdate()
    members = [p for p in household.members.all() if p.death_date is None and p.age_on(today) >= ADULT_AGE]
    signed = set(
        Authorization.objects.valid()
        .filter(household=household, person__in=members)
        .values_list("person_id", flat=True)
    )
    return [p for p in members if p.pk not in signed]


def check_authorized(household: Household) -> None:
    missing = adults_without_authorization(household)
    if missing:
        names = "、".join(mask_name(p.name) for p in missing)
        raise DomainError(
            "authorization_missing",
            f"以下成年家庭成员尚未签署家庭经济状况核对授权书，不能核对：{names}（先授权、后核对）",
        )


def request_verification(
    by: Any, *, household: Household, program: str, application: Any = None
) -> VerificationRequest:
    """委托核对: ask the verification centre for a 核对报告 on a household (VER-*).

    Refused with ``authorization_missing`` unless every adult member has authorized it.
    """
    check_authorized(household)
    with transaction.atomic():
        request = VerificationRequest.objects.create(
            application=application,
            household=household,
            program=program,
            area_code=household.area_id,
            county_code=household.county_code,
            requested_by=by if getattr(by, "pk", None) else None,
        )
        record(
            by,
            "verification.request",
            household,
            changes={
                "request": request.pk,
                "program": program,
                "application": getattr(application, "pk", None),
            },
        )
    return request


# ---- permissions ----------------------------------------------------------------------------------

_PERMISSION_NAMES = {
    "verification.run": "开展家庭经济状况核对",
    "verification.view": "查看核对报告和核对预警",
    "sources.upload": "上报部门核对数据",
    "sources.manage": "管理核对数据目录",
}


def require_perm(user: Any, code: str) -> None:
    if getattr(user, "is_superuser", False):
        return
    if not getattr(user, "is_authenticated", False) or not user.has_perm_code(code):
        role = getattr(getattr(user, "role_info", None), "name", "当前角色")
        raise Forbidden("permission_denied", f"{role}无权{_PERMISSION_NAMES.get(code, '执行此操作')}")


def can(user: Any, code: str) -> bool:
    return bool(
        getattr(user, "is_superuser", False) or (getattr(user, "is_authenticated", False) and user.has_perm_code(code))
    )


def may_upload(user: Any, source: Source) -> bool:
    if getattr(user, "is_superuser", False) or can(user, "sources.manage"):
        return True
    department = getattr(user, "department", None)
    return can(user, "sources.upload") and department is not None and department.code == source.provider.code


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
    by: Any,
    source: Source,
    chunks: Iterable[bytes],
    *,
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
    from .tasks import process_batch_task

    process_batch_task.enqueue(batch_id)


STALE_AFTER_SECONDS = 120


def rerun_batch(by: Any, batch: Batch, *, force: bool = False) -> Batch:
    """重新处理: queue a batch again after its worker died (or an unexpected error).

    Allowed for batches not finished (queued, processing, failed). A batch that is being
    processed right now (progress within the last two minutes) needs ``force``."""
    if not (may_upload(by, batch.source) or can(by, "verification.run")):
        require_perm(by, "sources.manage")
    ingest.recover_batches(Batch.objects.filter(pk=batch.pk))  # a dead worker's batch needs no force
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status in ("loaded", "rejected"):
            raise DomainError(
                "batch_finished",
                f"批次#{locked.pk}已{locked.get_status_display()}，无需重新处理；数据有误请上报更正批次",
            )
        progress = ingest.read_progress(locked)
        at = progress.get("at")
        if locked.status == "processing" and at and time.time() - at < STALE_AFTER_SECONDS and not force:
            raise DomainError(
                "batch_in_progress",
                "该批次正在处理中（两分钟内仍有进度），如确认处理进程已中断，请选择“强制重新处理”",
            )
        locked.status = "queued"
        locked.save(update_fields=["status"])
        record(
            by,
            "verification.batch.rerun",
            locked,
            area_code=locked.area_code,
            changes={"batch": locked.pk, "force": force},
        )
        transaction.on_commit(lambda: _enqueue_batch(locked.pk))
    return locked


MAX_PART_BYTES = settings.MAX_UPLOAD_BYTES - 64 * 1024  # a part must pass the request-size middleware


def start_upload(by: Any, source: Source, *, size: int, filename: str = "") -> Upload:
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


def append_part(by: Any, upload: Upload, number: int, stream: Any) -> Upload:
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


def complete_upload(by: Any, upload: Upload, *, channel: str = "api", **kwargs: Any) -> tuple[Batch, bool]:
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
        by, upload.source, chunks(), filename=upload.original_name, channel=channel, **kwargs
    )
    Upload.objects.filter(pk=upload.pk).update(completed_batch=batch)
    path.unlink(missing_ok=True)
    return batch, created


# ---- 一键核对 -----------------------------------------------------------------------------------


def _next_number(county: str) -> str:
    year = timezone.localdate().year
    ReportSequence.objects.get_or_create(county_code=county, year=year)
    seq = ReportSequence.objects.select_for_update().get(county_code=county, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"HD{county}-{year}-{seq.last:06d}"


def run_verification(
    by: Any,
    *,
    household: Household,
    program: str,
    application: Any = None,
    request: VerificationRequest | None = None,
) -> Report:
    """一键核对 (VER-4): every fact of every member from every source, compared with the
    program's thresholds, in an immutable 核对报告. Answers the pending request of the
    application (or of the household and program) if there is one.

    先授权、后核对: refused with ``authorization_missing`` unless every adult member has a
    valid 授权书. Reading the facts is audited with the request it served."""
    require_perm(by, "verification.run")
    if application is not None:
        household = application.household
        program = application.program
    check_authorized(household)
    built = report_content.build(household, program, temporary_kind=getattr(application, "temporary_kind", "") or "")
    with transaction.atomic():
        if request is None:
            pending = VerificationRequest.objects.filter(household=household, status="pending")
            pending = (
                pending.filter(application=application) if application is not None else pending.filter(program=program)
            )
            request = pending.order_by("requested_at", "id").first()
        if request is not None:
            request = VerificationRequest.objects.select_for_update().get(pk=request.pk)
            if request.status != "pending":
                request = None
        number = _next_number(household.county_code)
        content = dict(built["content"], number=number, request=request.pk if request else None)
        if application is None and request is not None and request.application_id:
            application = request.application
        if application is not None:
            content["application"] = {"id": application.pk, "number": application.number}
        report = Report.objects.create(
            number=number,
            household=household,
            application=application,
            program=program,
            area_code=household.area_id,
            county_code=household.county_code,
            content=content,
            content_sha256=report_content.content_digest(content),
            created_by=user_or_none(by),
        )
        Snapshot.objects.create(
            household=household, county_code=household.county_code, report=report, program=program, **built["snapshot"]
        )
        if request is not None:
            request.status = "done"
            request.completed_at = timezone.now()
            request.report = report
            request.save(update_fields=["status", "completed_at", "report"])
        record(
            by,
            "verification.report.create",
            household,
            changes={
                "report": number,
                "request": request.pk if request else None,
                "application": getattr(application, "pk", None),
                "program": program,
                "facts_read": built["facts_read"],
                "persons": built["persons"],
                "sha256": report.content_sha256,
            },
        )
    return report


def log_report_read(by: Any, report: Report, how: str) -> None:
    """Reading a report reads department facts: audited with the request it served."""
    with transaction.atomic():
        record(
            by,
            f"verification.report.{how}",
            report.household,
            changes={
                "report": report.number,
                "request": report.content.get("request"),
                "facts": len(report.content.get("facts", [])),
            },
        )


def refuse_request(by: Any, request: VerificationRequest, *, reason: str) -> VerificationRequest:
    """不予核对: close a pending request with a reason (e.g. authorization revoked)."""
    require_perm(by, "verification.run")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("required", "请填写不予核对的理由", field="reason")
    with transaction.atomic():
        locked: VerificationRequest = VerificationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != "pending":
            raise DomainError("request_closed", f"该核对申请已{locked.get_status_display()}")
        locked.status = "refused"
        locked.refusal_code = "refused"
        locked.refusal_message = reason[:200]
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "refusal_code", "refusal_message", "completed_at"])
        record(by, "verification.request.refuse", locked.household, changes={"request": locked.pk, "reason": reason})
    return locked


# ---- batch re-verification and findings ---------------------------------------------------------


def start_reverification(
    by: Any, *, area_code: str, trigger: str = "manual", batch: Batch | None = None
) -> ReverificationRun:
    """批量复核: re-verify every active case (approved application) in an area, as a job."""
    if trigger == "manual":
        require_perm(by, "verification.run")
    code = (area_code or "").strip()
    from jiuzhu.areas.models import Area, full_code

    area = Area.objects.filter(code=full_code(code)).first() if code.isdigit() else None
    if area is None:
        raise InvalidInput("unknown_area", f"区划代码“{code}”不存在", field="area_code")
    require_in_scope(by=by, area_code=area.code, what="该区域", field="area_code")
    with transaction.atomic():
        run = ReverificationRun.objects.create(
            area_code=area.code,
            county_code=area.code[:6],
            trigger=trigger,
            batch=batch,
            started_by=user_or_none(by),
        )
        record(
            by,
            "verification.reverify.start",
            run,
            changes={"run": run.pk, "area": area.code, "trigger": trigger, "batch": getattr(batch, "pk", None)},
        )
        transaction.on_commit(lambda: _enqueue_run(run.pk))
    return run


def _enqueue_run(run_id: int) -> None:
    from .tasks import reverify_task

    reverify_task.enqueue(run_id)


def recover_reverification_runs(scope: Any = None) -> list[int]:
    """Runs whose worker died are marked failed with the reason (issue 19 item 3)."""
    return jobs.reap(
        ReverificationRun,
        running=("running",),
        failed="failed",
        message_field="message",
        scope=scope,
        audit=record_job_death,
    )


def retry_reverification(by: Any, run: ReverificationRun) -> ReverificationRun:
    """重试: a failed run continues after the last household it finished (each chunk commits
    its snapshots, findings and position together, so nothing is done twice)."""
    require_perm(by, "verification.run")
    recover_reverification_runs(ReverificationRun.objects.filter(pk=run.pk))
    with transaction.atomic():
        locked: ReverificationRun = ReverificationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != "failed":
            raise DomainError("run_not_failed", f"该任务当前为“{locked.get_status_display()}”，只有出错的任务可以重试")
        locked.status, locked.message, locked.finished_at = "queued", "", None
        locked.save(update_fields=["status", "message", "finished_at"])
        record(
            by,
            "verification.reverify.retry",
            locked,
            changes={"run": locked.pk, "done": locked.done, "attempts": locked.attempts},
        )
        transaction.on_commit(lambda: _enqueue_run(locked.pk))
    return locked


def handle_finding(by: Any, finding: Finding, *, note: str) -> Finding:
    """核查处理: a case worker records what was done about a finding."""
    if not (can(by, "verification.view") or can(by, "verification.run")):
        require_perm(by, "verification.view")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("required", "请填写处理说明", field="note")
    with transaction.atomic():
        locked: Finding = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.status == "handled":
            raise DomainError("finding_handled", "该预警已处理")
        locked.status = "handled"
        locked.handled_by = user_or_none(by)
        locked.handled_at = timezone.now()
        locked.handling_note = note[:300]
        locked.save(update_fields=["status", "handled_by", "handled_at", "handling_note"])
        record(by, "verification.finding.handle", locked.household, changes={"finding": locked.pk, "note": note})
    return locked
