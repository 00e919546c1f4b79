"""Ingest of department files (数据上报): spool, validate as a whole, load atomically.

A file is first spooled to disk (decompressed if gzip, hashed: the same content twice is
one batch). The background job then streams it once: every row is checked against the
data type's declared schema while valid rows are streamed into the facts table — COPY on
PostgreSQL, ``executemany`` on SQLite — inside one transaction. Any error (bad header,
bad cell, duplicate row, truncated file) rolls the whole batch back and the job keeps
reading to report every problem with row, column and a Chinese message. Memory stays
bounded: rows are never held, parsed values are cached per distinct raw value with a
cap, and duplicate detection keeps 12 bytes per row.

ID numbers are normalized (15→18 digits, full-width digits, lower-case x) and stored only
as the registry's blind index plus a masked copy; the plain number never reaches the
database.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, count, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jiuzhu.accounts.system import SystemActor
from jiuzhu.audit.log import record, record_job_death
from jiuzhu.core import bounded, jobs
from jiuzhu.core.errors import InvalidInput
from jiuzhu.registry.pii import blind_index

from . import parsing
from .catalog import attach_batch_table, batch_table, ensure_partition
from .models import Batch, SourceSchema, person_key

log = logging.getLogger("jiuzhu.verification")

# A department file may be large (a county's monthly social-insurance file has millions of
# rows); each HTTP request is still capped at settings.MAX_UPLOAD_BYTES (20 MB) by the
# middleware, so larger files arrive gzip-compressed or in parts (``Upload``).
MAX_SOURCE_FILE_BYTES = 4 * 1024**3  # decompressed size of one batch
MAX_STORED_ERRORS = 1000
CACHE_LIMIT = 100_000  # distinct raw values remembered per column (bounded memory)
TEXT_FLUSH_AT = 20_000  # new texts of a batch held before they are written
CHUNK = 1024 * 1024
FORMATS = {"csv": "CSV", "xlsx": "Excel（.xlsx）", "jsonl": "JSON Lines"}
ENCODING_CHOICES = [("auto", "自动识别"), ("utf-8", "UTF-8"), ("gbk", "GBK（GB18030）")]
FACT_COLUMNS = (
    "slot",
    "source_id",
    "batch_id",
    "county_code",
    "person",
    "row_number",
    "period_start",
    "period_end",
    "amount_fen",
    "active",
    "text_number",
)
TEXT_COLUMNS = ("batch_id", "number", "category", "record_key", "detail")


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


# ---- errors ----------------------------------------------------------------------------------


class Rejected(Exception):
    """The batch is refused as a whole; ``errors`` are the first problems found."""

    def __init__(self, code: str, message: str, errors: list[dict[str, Any]], count: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors
        self.count = count if count is not None else len(errors)


def _error(row: int, column: str, message: str, value: Any = "") -> dict[str, Any]:
    return {
        "row": row,
        "column": column,
        "value": str(value)[:60] if value not in (None, "") else "",
        "message": message,
    }


# ---- encoding ----------------------------------------------------------------------------------


def _line_of(path: Path, offset: int) -> int:
    line = 1
    with open(path, "rb") as fh:
        remaining = offset
        while remaining > 0:
            block = fh.read(min(CHUNK, remaining))
            if not block:
                break
            line += block.count(b"\n")
            remaining -= len(block)
    return line


def _first_bad_offset(path: Path, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(CHUNK)
            final = not block
            try:
                decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                return max(0, offset + exc.start)
            if final:
                return None
            offset += len(block)


def detect_encoding(path: Path, declared: str) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK, what Chinese Excel
    writes). A file declared UTF-8 that is not is refused with the line of the first bad
    byte, so a mislabelled GBK file never loads as mojibake."""
    with open(path, "rb") as fh:
        bom = fh.read(3) == b"\xef\xbb\xbf"
    declared = (declared or "auto").lower().replace("_", "-")
    if declared in ("utf8", "utf-8"):
        bad = _first_bad_offset(path, "utf-8")
        if bad is None:
            return "utf-8-sig" if bom else "utf-8"
        line = _line_of(path, bad)
        looks_gbk = _first_bad_offset(path, "gb18030") is None
        hint = (
            "该文件看起来是GBK编码，请在上报时选择“GBK”，或将文件另存为UTF-8后重新上传"
            if looks_gbk
            else ("请将文件另存为UTF-8编码后重新上传")
        )
        raise Rejected(
            "bad_encoding",
            f"文件声明为UTF-8编码，但第{line}行含有非UTF-8内容。{hint}",
            [_error(line, "", f"第{line}行不是有效的UTF-8文本。{hint}")],
        )
    if declared in ("gbk", "gb2312", "gb18030"):
        bad = _first_bad_offset(path, "gb18030")
        if bad is None:
            return "gb18030"
        line = _line_of(path, bad)
        raise Rejected(
            "bad_encoding",
            f"文件声明为GBK编码，但第{line}行无法按GBK解读，请确认文件编码后重新上传",
            [_error(line, "", "无法按GBK编码解读")],
        )
    if _first_bad_offset(path, "utf-8") is None:
        return "utf-8-sig" if bom else "utf-8"
    if _first_bad_offset(path, "gb18030") is None:
        return "gb18030"
    raise Rejected(
        "bad_encoding",
        "无法识别文件编码，请将文件另存为UTF-8或GBK编码的CSV后重新上传",
        [_error(0, "", "文件既不是UTF-8也不是GBK编码")],
    )


# ---- reading -------------------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """A raw file that counts the bytes read (for the progress bar)."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.fh.readinto(b)
        self.count += n or 0
        return n or 0


def _normalize_header(value: Any) -> str:
    text = "" if value is None else str(value)
    return "".join(text.replace("\ufeff", "").split()).replace("(", "（").replace(")", "）")


@dataclass
class Plan:
    """Where each schema field sits in the file's rows."""

    schema: SourceSchema
    positions: list[int | None]
    headers: list[str]
    width: int


def header_lookup(schema: SourceSchema) -> dict[str, int]:
    lookup: dict[str, int] = {}
    for i, f in enumerate(schema.fields):
        for name in (f["header"], f["key"], *(f.get("aliases") or [])):
            lookup[_normalize_header(name)] = i
    return lookup


def plan_columns(schema: SourceSchema, header: list[Any]) -> Plan:
    """Map the header row onto the schema: missing required columns (the ID column first),
    unknown and duplicated columns are errors of the whole file."""
    lookup = header_lookup(schema)
    cells = [_normalize_header(c) for c in header]
    while cells and not cells[-1]:
        cells.pop()
    positions: list[int | None] = [None] * len(schema.fields)
    unknown, duplicated = [], []
    for col, name in enumerate(cells):
        if not name:
            continue
        i = lookup.get(name)
        if i is None:
            unknown.append(name)
        elif positions[i] is not None:
            duplicated.append(name)
        else:
            positions[i] = col
    errors = []
    id_pos = next(i for i, f in enumerate(schema.fields) if f["key"] == schema.id_field)
    if positions[id_pos] is None:
        header_text = schema.fields[id_pos]["header"]
        errors.append(_error(1, header_text, f"缺少身份证号码列（表头应为“{header_text}”），无法与在册人员比对"))
    missing = [
        f["header"] for i, f in enumerate(schema.fields) if f.get("required") and positions[i] is None and i != id_pos
    ]
    if missing:
        errors.append(_error(1, "", "缺少必填列：" + "、".join(missing)))
    if unknown:
        errors.append(
            _error(1, "", "无法识别的列：" + "、".join(unknown) + "（如需增加字段，请联系核对中心更新数据格式）")
        )
    if duplicated:
        errors.append(_error(1, "", "重复的列：" + "、".join(duplicated)))
    if errors:
        code = "missing_id_column" if positions[id_pos] is None else "invalid_header"
        expected = "、".join(schema.headers)
        raise Rejected(code, f"表头不正确：{errors[0]['message']}。应有的表头为：{expected}", errors)
    return Plan(schema, positions, [f["header"] for f in schema.fields], len(cells))


def _refuse_too_large(check: Callable[[], Any]) -> Any:
    """Run a bounded-reading check; a limit exceeded rejects the whole batch."""
    try:
        return check()
    except bounded.TooLarge as exc:
        raise Rejected(exc.code, exc.message, [_error(0, "", exc.message)]) from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    lim = bounded.limits("verification")
    _refuse_too_large(lambda: bounded.check_xlsx(path, lim))
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError):
        raise Rejected(
            "unreadable_file",
            "无法读取该Excel文件：文件不完整（可能被截断）或不是有效的 .xlsx 文件",
            [_error(0, "", "Excel文件已损坏或不完整")],
        ) from None
    try:
        sheet = book.worksheets[0]
        try:
            yield from bounded.xlsx_rows(sheet, lim)
        except bounded.TooLarge as exc:
            raise Rejected(exc.code, exc.message, [_error(0, "", exc.message)]) from None
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise Rejected(
                "unreadable_file",
                "Excel文件内容不完整（可能被截断），请重新导出",
                [_error(0, "", f"读取中断：{exc.__class__.__name__}")],
            ) from None
    finally:
        book.close()


# ---- the row converter -------------------------------------------------------------------------


@dataclass
class Stats:
    rows: int = 0
    loaded: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add_error(self, row: int, column: str, message: str, value: Any = "") -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(_error(row, column, message, value))


class Converter:
    """Turns one row of cells (schema order) into a fact tuple, or records its errors."""

    def __init__(self, schema: SourceSchema, batch: Batch, stats: Stats) -> None:
        self.schema = schema
        self.stats = stats
        self.fields = schema.fields
        self.keys = [f["key"] for f in self.fields]
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.id_pos = self.index[schema.id_field]
        self.default_period = (
            batch.period_start.isoformat() if batch.period_start else None,
            batch.period_end.isoformat() if batch.period_end else None,
        )
        period = schema.period or {}
        self.period_field = self.index.get(period.get("field", ""))
        self.period_start = self.index.get(period.get("start", ""))
        self.period_end = self.index.get(period.get("end", ""))
        self.amount_pos = self.index.get(schema.amount_field) if schema.amount_field else None
        self.category_pos = self.index.get(schema.category_field) if schema.category_field else None
        self.state_pos = self.index.get(schema.state_field) if schema.state_field else None
        self.inactive = set(schema.inactive_states or [])
        self.key_pos = [self.index[k] for k in schema.record_key]
        self.detail_pos = [(self.index[k], self.fields[self.index[k]]["header"]) for k in schema.detail_fields]
        self.id_cache: dict[Any, str | parsing.CellError] = {}
        self.today = timezone.localdate()
        self.caches: list[dict[Any, Any]] = [{} for _ in self.fields]
        self.kinds = [f["type"] for f in self.fields]
        self.parsers: list[Callable[[Any], Any] | None] = [self._parser(k) for k in self.kinds]
        self.required = [bool(f.get("required")) for f in self.fields]
        self.headers = [f["header"] for f in self.fields]
        self.key_cache: dict[Any, str] = {}
        self.detail_cache: dict[Any, str] = {}
        self.dups = DuplicateCheck()

    @staticmethod
    def _parser(kind: str) -> Callable[[Any], Any] | None:
        """Parsers to the canonical value: a date as its ISO text, a month as (first day,
        last day, "YYYY-MM"), money and integers as int, ID numbers handled apart."""

        def date(raw: Any) -> str:
            return parsing.parse_date(raw).isoformat()

        def month(raw: Any) -> tuple[str, str, str]:
            first, last = parsing.parse_month(raw)
            return first.isoformat(), last.isoformat(), first.strftime("%Y-%m")

        return {
            "date": date,
            "month": month,
            "money": parsing.parse_amount_fen,
            "int": parsing.parse_int,
            "id_number": parsing.parse_id,
        }.get(kind)

    def person_of(self, raw: Any) -> str | parsing.CellError:
        """The person key (blind index) of a raw ID cell, or its error."""
        try:
            return person_key(blind_index("id_number", parsing.parse_id(raw, self.today)))
        except parsing.CellError as exc:
            return exc

    def _id(self, raw: Any) -> str | parsing.CellError:
        hit = self.id_cache.get(raw)
        if hit is not None:
            return hit
        out = self.person_of(raw)
        if len(self.id_cache) >= CACHE_LIMIT:
            self.id_cache.clear()
        self.id_cache[raw] = out
        return out

    def convert(self, number: int, cells: list[Any]) -> tuple[Any, ...] | None:
        """``cells`` in schema order (same length as the schema); converted in place."""
        ok = True
        stats = self.stats
        parsers = self.parsers
        caches = self.caches
        raw_cells = list(cells)
        for i, raw in enumerate(cells):
            if raw is None or (raw.__class__ is str and not raw.strip()):
                cells[i] = None
                if self.required[i]:
                    ok = False
                    stats.add_error(number, self.headers[i], f"{self.headers[i]}不能为空")
                continue
            if i == self.id_pos:
                ident = self._id(raw)
                if ident.__class__ is not str:
                    ok = False
                    stats.add_error(number, self.headers[i], ident.message, parsing.masked_raw_id(raw))  # type: ignore[union-attr]
                else:
                    cells[i] = ident
                continue
            parser = parsers[i]
            if parser is None:
                if raw.__class__ is str:
                    cells[i] = raw.strip()
                else:
                    cells[i] = parsing.text(raw)
                continue
            cache = caches[i]
            hit = cache.get(raw)
            if hit is None:
                try:
                    hit = parser(raw)
                except parsing.CellError as exc:
                    hit = exc
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()
                cache[raw] = hit
            if hit.__class__ is parsing.CellError:
                ok = False
                value = parsing.masked_raw_id(raw) if self.kinds[i] == "id_number" else raw
                stats.add_error(number, self.headers[i], hit.message, value)
            else:
                cells[i] = hit
        if not ok:
            return None
        person = cells[self.id_pos]
        amount = cells[self.amount_pos] if self.amount_pos is not None else None
        start, end, category, key, active, detail = self.parts(cells, raw_cells)
        self.dups.add(hash((person, key, start, end)), number)
        return (person, number, start, end, amount, category, key, active, detail)

    def parts(self, cells: list[Any], raw_cells: list[Any]) -> tuple[Any, ...]:
        """(period start, period end, category, record key, active, detail) of a row's
        converted and raw cells: what a fact is made of besides person and amount."""
        start, end = self._period(cells)
        category = self.category_of(cells[self.category_pos]) if self.category_pos is not None else ""
        key = self.key(tuple([cells[p] for p in self.key_pos]))
        active = self.state_pos is None or self.is_active(cells[self.state_pos])
        detail = self.detail(tuple([raw_cells[p] for p, _ in self.detail_pos]))
        return start, end, category, key, active, detail

    @staticmethod
    def category_of(value: Any) -> str:
        return (value or "")[:40]

    def is_active(self, state: Any) -> bool:
        return state not in self.inactive

    def key(self, key_values: tuple[Any, ...]) -> str:
        """The record key (记录标识) of converted key cells."""
        key = self.key_cache.get(key_values)
        if key is None:
            key = "|".join(_as_text(v) for v in key_values)
            if len(key) > 100:
                key = hashlib.sha256(key.encode()).hexdigest()
            if len(self.key_cache) >= CACHE_LIMIT:
                self.key_cache.clear()
            self.key_cache[key_values] = key
        return key

    def detail(self, detail_raw: tuple[Any, ...]) -> str:
        """The shown detail (明细) of the raw detail cells."""
        detail = self.detail_cache.get(detail_raw)
        if detail is None:
            detail = "；".join(
                f"{h}：{parsing.text(v)}"
                for (_, h), v in zip(self.detail_pos, detail_raw, strict=True)
                if parsing.text(v)
            )[:300]
            if len(self.detail_cache) >= CACHE_LIMIT:
                self.detail_cache.clear()
            self.detail_cache[detail_raw] = detail
        return detail

    def _period(self, values: list[Any]) -> tuple[str | None, str | None]:
        if self.period_field is not None:
            v = values[self.period_field]
            if v is not None:
                if v.__class__ is tuple:
                    return v[0], v[1]
                return v, v
        if self.period_start is not None:
            s = values[self.period_start]
            e = values[self.period_end] if self.period_end is not None else None
            start = (s[0] if s.__class__ is tuple else s) if s is not None else self.default_period[0]
            end = (e[1] if e.__class__ is tuple else e) if e is not None else None
            return start, end
        return self.default_period


class DuplicateCheck:
    """Rows with the same person, record key and period, found in bounded memory for a file
    of any size: each row's 8-byte hash and 4-byte row number are kept up to ``SPILL_AT``
    rows, then spilled to one of ``BUCKETS`` files chosen by the hash's top bits; at the
    end each bucket is sorted on its own. Equal hashes count as duplicates (a 64-bit
    collision: probability ~10⁻⁶ for 5 M rows)."""

    BUCKETS = 64
    SPILL_AT = 1_000_000

    def __init__(self) -> None:
        self.hashes = array("q")
        self.rows = array("I")
        self.dir: Path | None = None

    def add(self, value: int, row: int) -> None:
        self.hashes.append(value)
        self.rows.append(row)
        if len(self.rows) >= self.SPILL_AT:
            self._spill()

    def extend(self, values: Iterable[int], rows: Iterable[int]) -> None:
        self.hashes.extend(values)
        self.rows.extend(rows)
        if len(self.rows) >= self.SPILL_AT:
            self._spill()

    def extend_arrays(self, values: Any, rows: Any) -> None:
        """numpy int64 hashes and their row numbers."""
        self.hashes.frombytes(values.astype("int64").tobytes())
        self.rows.frombytes(rows.astype("uint32").tobytes())
        if len(self.rows) >= self.SPILL_AT:
            self._spill()

    def _spill(self) -> None:
        import numpy as np

        if not self.rows:
            return
        if self.dir is None:
            self.dir = Path(tempfile.mkdtemp(prefix="duplicates-", dir=spool_dir()))
        hashes = np.frombuffer(self.hashes, dtype=np.int64)
        rows = np.frombuffer(self.rows, dtype=np.uint32)
        bucket = (hashes.view(np.uint64) >> np.uint64(64 - 6)).astype(np.intp)  # 6 bits: 64 buckets
        order = np.argsort(bucket, kind="stable")  # file order kept within a bucket
        counts = np.bincount(bucket, minlength=self.BUCKETS)
        hashes, rows = hashes[order], rows[order]
        start = 0
        for b, n in enumerate(counts.tolist()):
            if n:
                with open(self.dir / f"{b}.hash", "ab") as fh:
                    hashes[start : start + n].tofile(fh)
                with open(self.dir / f"{b}.row", "ab") as fh:
                    rows[start : start + n].tofile(fh)
            start += n
        del hashes, rows, bucket, order
        self.hashes, self.rows = array("q"), array("I")

    def duplicates(self) -> list[tuple[int, int]]:
        """(first row, duplicate row) pairs, at most ``MAX_STORED_ERRORS * 2`` of them."""
        import numpy as np

        if self.dir is None:
            return _duplicates_of(np.frombuffer(self.hashes, dtype=np.int64), np.frombuffer(self.rows, dtype=np.uint32))
        self._spill()
        out: list[tuple[int, int]] = []
        for b in range(self.BUCKETS):
            path = self.dir / f"{b}.hash"
            if path.exists() and len(out) < MAX_STORED_ERRORS * 2:
                rows = np.fromfile(self.dir / f"{b}.row", dtype=np.uint32)
                out += _duplicates_of(np.fromfile(path, dtype=np.int64), rows)
        return sorted(out, key=lambda pair: pair[1])[: MAX_STORED_ERRORS * 2]

    def close(self) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def _duplicates_of(hashes: Any, rows: Any) -> list[tuple[int, int]]:
    """(first row, duplicate row) for equal hashes, the first in file order."""
    import numpy as np

    if len(hashes) < 2:
        return []
    ordered = np.sort(hashes)  # the common case (no duplicates) needs no permutation
    if not (ordered[1:] == ordered[:-1]).any():
        return []
    del ordered
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    out = []
    first_of: dict[int, int] = {}
    for j in same[: MAX_STORED_ERRORS * 2]:
        h = int(ordered[j])
        first = first_of.setdefault(h, int(rows[order[j]]))
        out.append((first, int(rows[order[j + 1]])))
    return out


_BAD = object()  # a value the fast path leaves to the row converter


def _map(
    values: Sequence[Any], convert: Callable[[Any], Any], cache: dict[Any, Any], limit: int = CACHE_LIMIT
) -> list[Any] | None:
    """``[convert(v) for v in values]`` with each distinct value converted once and the loop
    run in C; ``None`` when any value converts to ``_BAD`` (which is never cached)."""
    try:
        return list(map(cache.__getitem__, values))
    except KeyError:
        pass
    distinct = dict.fromkeys(values)  # in order of first appearance: the same numbering as row by row
    new = [v for v in distinct if v not in cache]
    if len(cache) + len(new) > limit:
        cache.clear()
        new = list(distinct)
    for v in new:
        out = convert(v)
        if out is _BAD:
            return None
        cache[v] = out
    return list(map(cache.__getitem__, values))


class ChunkConverter:
    """The fast path for regular CSV files: a chunk of rows of the schema's width is
    converted column by column, each distinct raw value once, with the loops in C. It gives
    the same facts as ``Converter.convert`` row by row (tested), and gives up (``None``) at
    the first blank required cell or bad value, leaving the chunk to the row converter,
    which reports the errors."""

    def __init__(self, conv: Converter) -> None:
        self.conv = conv
        width = len(conv.fields)
        self.value_of = [self._value_function(i) for i in range(width)]
        self.values: list[dict[Any, Any]] = [{} for _ in range(width)]
        self.period_pos = [p for p in (conv.period_field, conv.period_start, conv.period_end) if p is not None]
        self.width = width
        self.caches: dict[str, dict[Any, Any]] = {
            name: {} for name in ("period", "category", "key", "active", "detail")
        }

    def _value_function(self, i: int) -> Callable[[Any], Any]:
        conv = self.conv
        required = conv.required[i] or i == conv.id_pos
        parser = conv.parsers[i]

        def value(raw: Any) -> Any:
            if raw is None or (raw.__class__ is str and not raw.strip()):
                return _BAD if required else None
            if i == conv.id_pos:
                ident = conv.person_of(raw)  # no second cache: the caller caches
                return ident if ident.__class__ is str else _BAD
            if parser is None:
                return raw.strip() if raw.__class__ is str else parsing.text(raw)
            try:
                return parser(raw)
            except parsing.CellError:
                return _BAD

        return value

    def _period(self, values: tuple[Any, ...]) -> tuple[str | None, str | None]:
        cells: list[Any] = [None] * self.width
        for p, v in zip(self.period_pos, values, strict=True):
            cells[p] = v
        return self.conv._period(cells)

    def convert(self, first: int, rows: list[list[str]]) -> tuple[Sequence[Any], ...] | None:
        """The fact columns of rows numbered from ``first`` (in ``Converter.convert``'s
        order), or ``None`` to leave the chunk to the row converter."""
        conv, caches, n = self.conv, self.caches, len(rows)
        raw = list(zip(*rows, strict=True))
        cols = []
        for i, col in enumerate(raw):
            mapped = _map(col, self.value_of[i], self.values[i])
            if mapped is None:
                return None
            cols.append(mapped)
        person = cols[conv.id_pos]
        if self.period_pos:
            periods = _map(list(zip(*(cols[p] for p in self.period_pos), strict=True)), self._period, caches["period"])
            assert periods is not None
            start: Sequence[Any] = list(map(itemgetter(0), periods))
            end: Sequence[Any] = list(map(itemgetter(1), periods))
        else:
            start, end = [conv.default_period[0]] * n, [conv.default_period[1]] * n
        amount = cols[conv.amount_pos] if conv.amount_pos is not None else [None] * n
        category = (
            _map(cols[conv.category_pos], conv.category_of, caches["category"])
            if conv.category_pos is not None
            else [""] * n
        )
        key = (
            _map(list(zip(*(cols[p] for p in conv.key_pos), strict=True)), conv.key, caches["key"])
            if conv.key_pos
            else [conv.key(())] * n
        )
        active = (
            _map(cols[conv.state_pos], conv.is_active, caches["active"]) if conv.state_pos is not None else [True] * n
        )
        detail = (
            _map(list(zip(*(raw[p] for p, _ in conv.detail_pos), strict=True)), conv.detail, caches["detail"])
            if conv.detail_pos
            else [conv.detail(())] * n
        )
        assert category is not None and key is not None and active is not None and detail is not None
        numbers = range(first, first + n)
        conv.dups.extend(map(hash, zip(person, key, start, end, strict=True)), numbers)
        return (person, numbers, start, end, amount, category, key, active, detail)


def _as_text(value: Any) -> str:
    """The canonical text of a converted value (for record keys)."""
    if value is None:
        return ""
    if value.__class__ is tuple:  # a month: (first day, last day, "YYYY-MM")
        return str(value[2])
    return str(value)


# ---- writers -----------------------------------------------------------------------------------


def _esc(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


_TRUE_FALSE = {True: "t", False: "f"}
_NULL = "\\N"


def _or_null(value: Any) -> str:
    return value or _NULL


def _none_null(value: Any) -> str:
    return _NULL if value is None else str(value)


class _Texts:
    """Numbers of a batch's distinct (category, record key, detail); new ones wait in
    ``pending`` to be written to ``verification_fact_text``."""

    def __init__(self) -> None:
        self.numbers: dict[tuple[str, str, str], int] = {}
        self.next = 1
        self.pending: list[tuple[int, str, str, str]] = []

    def assign(self, text: tuple[str, str, str]) -> int:
        number = self.next
        self.next += 1
        self.pending.append((number, *text))
        return number

    def number(self, text: tuple[str, str, str]) -> int:
        number = self.numbers.get(text)
        if number is None:
            if len(self.numbers) >= CACHE_LIMIT:
                self.numbers.clear()  # a text seen again later gets a second number: still right
            number = self.numbers[text] = self.assign(text)
        return number

    def numbers_of(self, category: Sequence[str], key: Sequence[str], detail: Sequence[str]) -> list[int]:
        numbers = _map(list(zip(category, key, detail, strict=True)), self.assign, self.numbers)
        assert numbers is not None
        return numbers


class _PgWriter:
    """Streams rows into COPY (text format) while the file is still being read; the texts
    go in between, in COPYs of their own (one connection runs one COPY at a time)."""

    options = ""

    def __init__(self, table: str, batch: Batch, slot: int) -> None:
        self.cursor = connection.cursor()
        self.sql = f'COPY "{table}" ({", ".join(FACT_COLUMNS)}) FROM STDIN{self.options}'
        self.head = f"{slot}\t{batch.source_id}\t{batch.pk}\t{batch.county_code}"
        self.batch_id = batch.pk
        self.texts = _Texts()
        self.buf: list[str] = []
        self.caches: list[dict[Any, str]] = [{} for _ in range(3)]
        self._open()

    def _open(self) -> None:
        self._cm = self.cursor.cursor.copy(self.sql)
        self.copy = self._cm.__enter__()

    def _close(self) -> None:
        self._cm.__exit__(None, None, None)

    def _flush(self, *, texts_at: int | None = None) -> None:
        if self.buf:
            self.copy.write("".join(self.buf))
            self.buf.clear()
        if len(self.texts.pending) >= (TEXT_FLUSH_AT if texts_at is None else texts_at):
            self._close()
            self._copy_texts()
            self._open()

    def _copy_texts(self) -> None:
        with self.cursor.cursor.copy(f"COPY verification_fact_text ({', '.join(TEXT_COLUMNS)}) FROM STDIN") as copy:
            copy.write(
                "".join(f"{self.batch_id}\t{n}\t{_esc(c)}\t{_esc(k)}\t{_esc(d)}\n" for n, c, k, d in self.texts.pending)
            )
        self.texts.pending.clear()

    def add(self, row: tuple[Any, ...]) -> None:
        person, number, start, end, amount, category, key, active, detail = row
        text = self.texts.number((category, key, detail))
        self.buf.append(
            f"{self.head}\t{person}\t{number}\t{start or _NULL}\t{end or _NULL}\t"
            f"{_NULL if amount is None else amount}\t{'t' if active else 'f'}\t{text}\n"
        )
        if len(self.buf) >= 4000:
            self._flush()

    def add_columns(self, columns: tuple[Sequence[Any], ...]) -> None:
        """The rows of ``ChunkConverter.convert``, written as ``add`` would write them."""
        person, numbers, start, end, amount, category, key, active, detail = columns
        caches = self.caches
        lines = zip(
            repeat(self.head),
            person,
            map(str, numbers),
            _map(start, _or_null, caches[0]),  # type: ignore[arg-type]
            _map(end, _or_null, caches[1]),  # type: ignore[arg-type]
            _map(amount, _none_null, caches[2]),  # type: ignore[arg-type]
            map(_TRUE_FALSE.__getitem__, active),
            map(str, self.texts.numbers_of(category, key, detail)),
        )
        self._flush()
        self.copy.write("\n".join(map("\t".join, lines)) + "\n")
        self._flush()

    def finish(self) -> None:
        self._flush()
        self._close()
        if self.texts.pending:
            self._copy_texts()
        self.cursor.close()

    def abort(self, exc: BaseException) -> None:
        with contextlib.suppress(Exception):  # the transaction is being rolled back anyway
            self._cm.__exit__(type(exc), exc, None)
        self.cursor.close()


class _SqliteWriter:
    def __init__(self, table: str, batch: Batch, slot: int) -> None:
        self.cursor = connection.cursor()
        marks = ", ".join(["%s"] * len(FACT_COLUMNS))
        self.sql = f'INSERT INTO "{table}" ({", ".join(FACT_COLUMNS)}) VALUES ({marks})'
        self.text_sql = f"INSERT INTO verification_fact_text ({', '.join(TEXT_COLUMNS)}) VALUES (%s, %s, %s, %s, %s)"
        self.const = (slot, batch.source_id, batch.pk, batch.county_code)
        self.batch_id = batch.pk
        self.texts = _Texts()
        self.buf: list[tuple[Any, ...]] = []

    def add(self, row: tuple[Any, ...]) -> None:
        person, number, start, end, amount, category, key, active, detail = row
        text = self.texts.number((category, key, detail))
        self.buf.append((*self.const, person, number, start, end, amount, active, text))
        if len(self.buf) >= 20000:
            self._flush()

    def add_columns(self, columns: tuple[Sequence[Any], ...]) -> None:
        person, numbers, start, end, amount, category, key, active, detail = columns
        texts = self.texts.numbers_of(category, key, detail)
        self.buf.extend(
            (*self.const, *row) for row in zip(person, numbers, start, end, amount, active, texts, strict=True)
        )
        if len(self.buf) >= 20000:
            self._flush()

    def _flush(self) -> None:
        self.cursor.executemany(self.sql, self.buf)
        self.buf.clear()
        self.cursor.executemany(self.text_sql, [(self.batch_id, *t) for t in self.texts.pending])
        self.texts.pending.clear()

    def finish(self) -> None:
        self._flush()
        self.cursor.close()

    def abort(self, exc: BaseException) -> None:
        self.buf.clear()
        self.cursor.close()


# ---- progress ----------------------------------------------------------------------------------


class Progress:
    """Progress of a running batch, in a small JSON file next to the spool (the load runs
    inside one transaction, so the database cannot show it meanwhile)."""

    def __init__(self, batch: Batch) -> None:
        self.path = progress_path(batch.pk)
        self.size = batch.size
        self.last = 0.0

    def update(self, phase: str, done_bytes: int, rows: int, errors: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.5:
            return
        self.last = now
        data = {
            "phase": phase,
            "bytes": done_bytes,
            "size": self.size,
            "rows": rows,
            "errors": errors,
            "at": time.time(),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)


def last_sign_of_life(batch: Batch) -> dt.datetime | None:
    """The batch's heartbeat: the time of its last progress write (the load runs in one
    transaction, so the row itself cannot carry one)."""
    at = read_progress(batch).get("at")
    return dt.datetime.fromtimestamp(at, tz=dt.UTC) if at else None


def recover_batches(scope: Any = None) -> list[int]:
    """Batches whose worker died are marked failed with the reason (issue 19 item 3)."""
    return jobs.reap(
        Batch,
        running=("processing",),
        failed="failed",
        message_field="message",
        scope=scope,
        heartbeats=last_sign_of_life,
        audit=record_job_death,
    )


def read_progress(batch: Batch) -> dict[str, Any]:
    try:
        data = json.loads(progress_path(batch.pk).read_text())
    except (OSError, ValueError):
        return {"phase": "queued", "bytes": 0, "size": batch.size, "rows": 0, "errors": 0, "at": None}
    size = data.get("size") or batch.size or 1
    data["percent"] = min(99, int(data.get("bytes", 0) * 100 / size)) if batch.is_processing else 100
    return data


# ---- the job -----------------------------------------------------------------------------------


def spool_path(batch: Batch) -> Path:
    return spool_dir() / batch.spool_name


CHUNK_ROWS = 4096  # rows converted together by the fast path


def _rows_of(batch: Batch, encoding: str, counter: list[_CountingReader]) -> Iterator[tuple[int, Any]]:
    """JSON lines: ``(line number, object)``; CSV and Excel: ``(number of the first row,
    chunk of up to CHUNK_ROWS rows)``, rows numbered from 1 (the header)."""
    path = spool_path(batch)
    if batch.file_format == "xlsx":
        rows = _xlsx_rows(path)
        while chunk := list(islice(rows, CHUNK_ROWS)):
            yield chunk[0][0], [row for _, row in chunk]
        return
    raw = open(path, "rb")  # noqa: SIM115 - closed below
    counting = _CountingReader(raw)
    counter.append(counting)
    stream = io.TextIOWrapper(io.BufferedReader(counting, CHUNK), encoding=encoding, newline="")
    try:
        if batch.file_format == "jsonl":
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    yield number, {"__error__": "该行不是合法的JSON（文件可能被截断或格式错误）"}
                    continue
                yield number, obj if isinstance(obj, dict) else {"__error__": "每行应为一个JSON对象"}
            return
        lim = bounded.limits("verification")
        numbers = count(1)
        # the reader comes first, so a row it cannot read takes no number
        numbered = zip(csv.reader(stream, strict=True), numbers, strict=False)
        first = 1
        try:
            while chunk := list(islice(numbered, CHUNK_ROWS)):
                rows = list(map(itemgetter(0), chunk))
                _refuse_too_large(lambda: bounded.check_chunk(first, rows, lim))  # noqa: B023 - called at once
                yield first, rows
                first += len(chunk)
        except csv.Error as exc:
            number = next(numbers)
            raise Rejected(
                "unreadable_file",
                f"第{number}行CSV格式错误（{exc}），文件可能被截断或引号未闭合",
                [_error(number, "", f"CSV格式错误：{exc}（文件可能不完整）")],
            ) from None
    finally:
        stream.close()


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) in (b"\n", b"\r")


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
        ensure_partition(batch.source)
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
            attach_batch_table(table, slot)
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


def _load_columnar(batch: Batch, table: str, slot: int, progress: Progress) -> tuple[Stats | None, str]:
    """(stats, encoding) of the columnar fast path when the file suits it; ``(None, "")``
    otherwise, or when it gives up (its partial load is rolled back to a savepoint) and the
    row converter is to run."""
    from . import columnar  # it builds on this module

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
    from .tasks import after_batch_loaded

    after_batch_loaded.enqueue(batch_id)


# ---- error report ------------------------------------------------------------------------------


def error_report_bytes(batch: Batch) -> bytes:
    from jiuzhu.registry.importer import xlsx_bytes

    rows = [[e.get("row") or "", e.get("column", ""), e.get("value", ""), e.get("message", "")] for e in batch.errors]
    if batch.error_count > len(batch.errors):
        rows.append(["", "", "", f"共{batch.error_count}处错误，此处列出前{len(batch.errors)}处"])
    return xlsx_bytes(["行号", "列", "内容", "错误说明"], rows, widths=[8, 20, 24, 80])


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)
