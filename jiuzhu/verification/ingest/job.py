"""The ingest job: claim a batch, load it all or nothing (columnar fast path or row
converter), record the outcome."""

from __future__ import annotations

import logging
from itertools import chain
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jiuzhu.accounts.system import SystemActor
from jiuzhu.audit.log import record
from jiuzhu.core import jobs
from jiuzhu.core.errors import InvalidInput

from ..catalog import attach_batch_table, batch_table, ensure_partition
from ..models import Batch, SourceSchema
from .convert import ChunkConverter, Converter, Stats
from .progress import Progress
from .read import (
    MAX_STORED_ERRORS,
    Rejected,
    _CountingReader,
    _ends_with_newline,
    _error,
    _normalize_header,
    _rows_of,
    detect_encoding,
    header_lookup,
    plan_columns,
)
from .spool import (
    FINISHED,
    release_spool,
    spool_path,
)
from .write import (
    _PgWriter,
    _SqliteWriter,
)

log = logging.getLogger("jiuzhu.verification")


def _stream(batch: Batch, schema: SourceSchema, encoding: str, writer: Any, progress: Progress) -> Stats:
    """Read every row; feed valid rows to ``writer`` until the first error; raise
    ``Rejected`` at the end when anything was wrong."""
    conv = Converter(schema, batch, Stats())
    try:
        return _read(batch, conv, encoding, writer, progress)
    finally:
        conv.dups.close()


def _read(batch: Batch, conv: Converter, encoding: str, writer: Any, progress: Progress) -> Stats:
    stats, schema = conv.stats, conv.schema
    counter: list[_CountingReader] = []
    rows = _rows_of(batch, encoding, counter)
    width = len(schema.fields)
    writing = True
    last_number = 0
    last_short: int | None = None
    if batch.file_format == "jsonl":
        lookup = header_lookup(schema)
        for number, obj in rows:
            last_number = number
            if "__error__" in obj:
                stats.rows += 1
                stats.add_error(number, "", obj["__error__"])
                writing = False
                continue
            cells: list[Any] = [None] * width
            bad = False
            for key, value in obj.items():
                i = lookup.get(_normalize_header(key))
                if i is None:
                    stats.add_error(number, str(key)[:40], f"无法识别的字段“{key}”")
                    bad = True
                else:
                    cells[i] = value
            stats.rows += 1
            fact = conv.convert(number, cells)
            if fact is None or bad:
                writing = False
            elif writing:
                writer.add(fact)
                stats.loaded += 1
            if stats.rows & 4095 == 0:
                progress.update("reading", counter[0].count if counter else 0, stats.rows, stats.error_count)
    else:
        try:
            _, first_chunk = next(rows)
        except StopIteration:
            raise Rejected("empty_file", "文件为空", [_error(0, "", "文件中没有任何内容")]) from None
        plan = plan_columns(schema, first_chunk[0])
        positions = plan.positions
        order = [(i, p) for i, p in enumerate(positions) if p is not None]
        identity = positions == list(range(width)) and plan.width == width
        fast = ChunkConverter(conv) if identity else None

        def one(number: int, raw_cells: list[Any]) -> None:
            nonlocal writing, last_short
            n = len(raw_cells)
            first = raw_cells[0] if n else None
            if (first is None or (first.__class__ is str and not first.strip())) and not any(
                c is not None and (c.__class__ is not str or c.strip()) for c in raw_cells
            ):
                return  # an empty line
            stats.rows += 1
            if n > plan.width and any(
                c is not None and (c.__class__ is not str or c.strip()) for c in raw_cells[plan.width :]
            ):
                stats.add_error(number, "", f"该行有{n}列，多于表头的{plan.width}列（可能含有未加引号的逗号）")
                writing = False
                return
            if n < plan.width:
                last_short = number
            if identity and n == width:
                cells = raw_cells  # the common case: columns in schema order
            else:
                cells = [None] * width
                for i, p in order:
                    if p < n:
                        cells[i] = raw_cells[p]
            fact = conv.convert(number, cells)
            if fact is None:
                writing = False
            elif writing:
                writer.add(fact)
                stats.loaded += 1

        chunks = chain([(2, first_chunk[1:])], rows)
        for first_number, chunk in chunks:
            if not chunk:
                continue
            last_number = first_number + len(chunk) - 1
            columns = (
                fast.convert(first_number, chunk) if fast is not None and set(map(len, chunk)) == {width} else None
            )
            if columns is not None:
                stats.rows += len(chunk)
                if writing:
                    writer.add_columns(columns)
                    stats.loaded += len(chunk)
            else:
                for number, raw_cells in enumerate(chunk, start=first_number):
                    one(number, raw_cells)
            progress.update("reading", counter[0].count if counter else 0, stats.rows, stats.error_count)
        if (
            batch.file_format == "csv"
            and last_short is not None
            and last_short == last_number
            and not _ends_with_newline(spool_path(batch))
        ):
            stats.add_error(last_number, "", "最后一行列数不足且文件没有正常结尾，文件可能被截断（不完整），请重新导出")
    progress.update("checking", batch.size, stats.rows, stats.error_count, force=True)
    if stats.rows == 0 and stats.error_count == 0:
        raise Rejected("empty_file", "文件中没有数据行（只有表头）", [_error(0, "", "文件中没有数据行")])
    for first, dup in conv.dups.duplicates():
        stats.add_error(dup, "", f"与第{first}行重复（同一人、同一记录和期间）")
    if batch.expected_rows is not None and batch.expected_rows != stats.rows:
        stats.add_error(0, "", f"上报时声明{batch.expected_rows}行数据，实际读到{stats.rows}行，文件可能被截断或不完整")
    if stats.error_count:
        stats.errors.sort(key=lambda e: (e["row"], e["column"]))
        raise Rejected(
            "invalid_rows",
            f"文件中有{stats.error_count}处错误，整批未入库。请按错误报告修改后重新上报",
            stats.errors,
            stats.error_count,
        )
    return stats


def _actor(batch: Batch) -> Any:
    return batch.received_by or SystemActor("系统（数据入库）")


def claim(batch_id: int) -> Batch | None:
    """Mark a batch as being processed; ``None`` when it is already finished."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().select_related("source", "schema").get(pk=batch_id)
        if batch.status in ("loaded", "rejected"):
            return None
        batch.status = "processing"
        batch.started_at = timezone.now()
        batch.attempts += 1
        batch.worker = jobs.this_worker()
        batch.save(update_fields=["status", "started_at", "attempts", "worker"])
    return batch


def process_batch(batch_id: int) -> Batch:
    """The ingest job: validate and load one batch, all or nothing. Safe to run again after
    a crash (a killed worker leaves no facts: the load is one transaction)."""
    batch = claim(batch_id)
    if batch is None:
        return Batch.objects.get(pk=batch_id)
    progress = Progress(batch)
    progress.update("reading", 0, 0, 0, force=True)
    encoding = ""
    try:
        ensure_partition(batch.source, batch.county_code)
        with transaction.atomic():
            locked = Batch.objects.select_for_update().get(pk=batch.pk)
            if locked.status == "loaded":
                return locked
            table, slot = batch_table(batch)
            stats, encoding = _load_columnar(batch, table, slot, progress)
            if stats is None:
                if batch.file_format in ("csv", "jsonl"):
                    encoding = detect_encoding(spool_path(batch), batch.encoding_declared)
                writer = (_PgWriter if connection.vendor == "postgresql" else _SqliteWriter)(table, batch, slot)
                try:
                    stats = _stream(batch, batch.schema, encoding, writer, progress)
                    progress.update("writing", batch.size, stats.rows, 0, force=True)
                    writer.finish()
                except BaseException as exc:
                    writer.abort(exc)
                    raise
            attach_batch_table(table, slot, batch.county_code)
            now = timezone.now()
            Batch.objects.filter(pk=batch.pk).update(
                status="loaded",
                encoding=encoding,
                rows_total=stats.rows,
                rows_loaded=stats.loaded,
                error_count=0,
                errors=[],
                message=f"已入库{stats.loaded}行",
                loaded_at=now,
                finished_at=now,
            )
            record(
                _actor(batch),
                "verification.batch.load",
                batch,
                area_code=batch.area_code,
                changes={
                    "batch": batch.pk,
                    "source": batch.source.code,
                    "sha256": batch.sha256,
                    "rows": stats.loaded,
                    "kind": batch.kind,
                    "schema_version": batch.schema.version,
                },
            )
            transaction.on_commit(lambda: _after_load(batch.pk))
    except Rejected as exc:
        _finish(batch, "rejected", exc.message, errors=exc.errors, count=exc.count, encoding=encoding, code=exc.code)
    except InvalidInput as exc:
        _finish(batch, "rejected", exc.message, errors=[_error(0, "", exc.message)], count=1, encoding=encoding)
    except Exception as exc:
        log.exception("batch %s failed", batch.pk)
        _finish(
            batch, "failed", f"处理出错：{exc.__class__.__name__}，可重新处理", errors=[], count=0, encoding=encoding
        )
    progress.update("done", batch.size, 0, 0, force=True)
    finished = Batch.objects.get(pk=batch.pk)
    if finished.status in FINISHED:
        release_spool(finished)
    return finished


def _load_columnar(batch: Batch, table: str, slot: int, progress: Progress) -> tuple[Stats | None, str]:
    """(stats, encoding) of the columnar fast path when the file suits it; ``(None, "")``
    otherwise, or when it gives up (its partial load is rolled back to a savepoint) and the
    row converter is to run."""
    from . import columnar  # numpy and Arrow are loaded only for a file that suits them

    if not columnar.eligible(batch):
        return None, ""
    try:
        with transaction.atomic():
            return columnar.load(batch, table, slot, progress), columnar.encoding_of(batch)
    except columnar.NeedsRowPath as exc:
        log.info("batch %s: columnar load gave way to the row converter (%s)", batch.pk, exc)
        return None, ""


def _finish(
    batch: Batch, status: str, message: str, *, errors: list[dict[str, Any]], count: int, encoding: str, code: str = ""
) -> None:
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(
            status=status,
            message=message[:300],
            errors=errors[:MAX_STORED_ERRORS],
            error_count=count,
            encoding=encoding,
            finished_at=timezone.now(),
        )
        record(
            _actor(batch),
            f"verification.batch.{'reject' if status == 'rejected' else 'fail'}",
            batch,
            area_code=batch.area_code,
            changes={"batch": batch.pk, "source": batch.source.code, "code": code, "errors": count},
        )


def _after_load(batch_id: int) -> None:
    from ..tasks import after_batch_loaded

    after_batch_loaded.enqueue(batch_id)


# ---- error report ------------------------------------------------------------------------------


def error_report_bytes(batch: Batch) -> bytes:
    from jiuzhu.registry.importer import xlsx_bytes

    rows = [[e.get("row") or "", e.get("column", ""), e.get("value", ""), e.get("message", "")] for e in batch.errors]
    if batch.error_count > len(batch.errors):
        rows.append(["", "", "", f"共{batch.error_count}处错误，此处列出前{len(batch.errors)}处"])
    return xlsx_bytes(["行号", "列", "内容", "错误说明"], rows, widths=[8, 20, 24, 80])
