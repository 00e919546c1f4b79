"""Columnar load of large regular CSV files on PostgreSQL (数据入库快速通道).

Department files repeat the same values over and over (a person in twelve monthly rows,
the same months, amounts, insurance types and employers). This path reads the file in
blocks with Apache Arrow's CSV reader (C++, no Python object per cell), converts each
*distinct* value of a column once with the row converter's own parsers
(``ChunkConverter``), computes what depends on several cells (period, record key, texts,
state) once per distinct combination, and writes the fact rows as PostgreSQL binary COPY
built by numpy gathers: no Python work per row at all.

It handles only what it can handle exactly as the row converter would: a UTF-8 CSV
without quote characters or NUL bytes, columns in schema order, every line as wide as the
header, and not a single bad value, duplicate row or surprise. Anything else raises
``NeedsRowPath``: the caller rolls the partial load back to its savepoint and runs the row
converter, which writes the precise error report.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

import numpy as np
from django.db import connection

from jiuzhu.core.idnumber import valid_normalized
from jiuzhu.registry.pii import blind_indexes

from ..models import Batch, person_key
from .convert import ChunkConverter, Converter, Stats, _map
from .progress import Progress
from .read import (
    plan_columns,
)
from .spool import (
    CHUNK,
    spool_path,
)
from .write import (
    FACT_COLUMNS,
    _PgWriter,
    _Texts,
)

MIN_BYTES = 8 * 1024 * 1024  # below this the chunk path is as quick (and Arrow is not loaded)
BLOCK_BYTES = 1024 * 1024
BLOCK_CACHE_LIMIT = 20_000  # distinct values remembered per column across blocks (a block has ~10,000 rows)
SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # binary COPY header: flags and extension length 0
TRAILER = b"\xff\xff"
PG_EPOCH = dt.date(2000, 1, 1).toordinal()
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


class NeedsRowPath(Exception):
    """The file has to go through the row converter (irregular, or with errors)."""


def eligible(batch: Batch) -> bool:
    """PostgreSQL, a large CSV declared UTF-8 (or not declared) without quote characters
    or NUL bytes (scanned at memory speed). Arrow checks that it is UTF-8."""
    if connection.vendor != "postgresql" or batch.file_format != "csv" or batch.size < MIN_BYTES:
        return False
    if (batch.encoding_declared or "auto").lower().replace("_", "-") not in ("auto", "utf-8", "utf8"):
        return False
    with open(spool_path(batch), "rb") as fh:
        while block := fh.read(8 * CHUNK):
            if b'"' in block or b"\x00" in block:
                return False
    return True


def encoding_of(batch: Batch) -> str:
    with open(spool_path(batch), "rb") as fh:
        return "utf-8-sig" if fh.read(3) == b"\xef\xbb\xbf" else "utf-8"


def _days(iso: str | None) -> tuple[int, bool]:
    """A date as PostgreSQL's binary value (days since 2000-01-01) and whether it is NULL."""
    if not iso:
        return 0, True
    return dt.date.fromisoformat(iso).toordinal() - PG_EPOCH, False


# ``FACT_COLUMNS`` in PostgreSQL's binary format ("S" is the county code, as long as it is)
_BINARY = {
    "slot": ">i8",
    "source_id": ">i8",
    "batch_id": ">i8",
    "county_code": "S",
    "person": "V16",
    "row_number": ">i4",
    "period_start": ">i4",
    "period_end": ">i4",
    "amount_fen": ">i8",
    "active": "u1",
    "text_number": ">i4",
}
assert tuple(_BINARY) == FACT_COLUMNS
NULLABLE = ("period_start", "period_end", "amount_fen")


def _dtype(county: int, nulls: tuple[bool, ...]) -> np.dtype:
    """One binary COPY row with the given NULL pattern (of ``NULLABLE``): a field is its
    length then its bytes; a NULL field is its length -1 alone."""
    null = {name for name, is_null in zip(NULLABLE, nulls, strict=True) if is_null}
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for name, kind in _BINARY.items():
        fields.append((f"{name}_length", ">i4"))
        if name not in null:
            fields.append((name, f"S{county}" if kind == "S" else kind))
    return np.dtype(fields)


class _BinaryWriter(_PgWriter):
    """Binary COPY of blocks of fact rows; the texts in between, as for the text COPY."""

    options = " (FORMAT binary)"

    def _open(self) -> None:
        super()._open()
        self.copy.write(SIGNATURE)

    def _close(self) -> None:
        self.copy.write(TRAILER)
        super()._close()

    def write(self, data: bytes) -> None:
        self.copy.write(data)
        self._flush()


class _Block:
    """One Arrow record batch: per field, the distinct raw values, their converted values
    and each row's code into them."""

    def __init__(self, fast: ChunkConverter, record_batch: Any) -> None:
        import pyarrow.compute as pc  # type: ignore[import-untyped]

        self.n = record_batch.num_rows
        self.raw: list[list[Any]] = []
        self.values: list[list[Any]] = []
        self.codes: list[np.ndarray] = []
        for i in range(record_batch.num_columns):
            encoded = pc.dictionary_encode(record_batch.column(i))
            raw = encoded.dictionary.to_pylist()
            if i == fast.conv.id_pos:
                _person_keys(fast, raw)
            values = _map(raw, fast.value_of[i], fast.values[i], BLOCK_CACHE_LIMIT)
            if values is None:
                raise NeedsRowPath(f"column {i}: a blank required cell or a bad value")
            self.raw.append(raw)
            self.values.append(values)
            self.codes.append(encoded.indices.to_numpy(zero_copy_only=False))

    def combinations(self, fields: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Each row's code into the distinct combinations of these fields, and one row of
        each combination."""
        if not fields:
            return np.zeros(self.n, dtype=np.intp), np.zeros(1, dtype=np.intp)
        code = self.codes[fields[0]].astype(np.int64)
        for f in fields[1:]:
            size = len(self.raw[f])
            if (int(code.max()) + 1) * size >= 2**62:
                code = np.unique(code, return_inverse=True)[1].astype(np.int64)
            code = code * size + self.codes[f]
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        return inverse.reshape(-1), first


def _person_keys(fast: ChunkConverter, raw: list[str]) -> None:
    """Cache the person keys of a block's new, already normal ID numbers in bulk (a
    vectorized check, then the blind indexes); the rest go one by one through ``_map``."""
    cache = fast.values[fast.conv.id_pos]
    new = [v for v in raw if v not in cache]
    if len(cache) + len(new) > BLOCK_CACHE_LIMIT:
        cache.clear()
    good = [v for v, ok in zip(new, valid_normalized(new, fast.conv.today), strict=True) if ok]
    for value, index in zip(good, blind_indexes("id_number", good), strict=True):
        cache[value] = person_key(index)


def load(batch: Batch, table: str, slot: int, progress: Progress) -> Stats:
    """Load the batch's file into ``table``; ``NeedsRowPath`` at the first irregularity."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv  # type: ignore[import-untyped]

    pa.jemalloc_set_decay_ms(0)  # give freed blocks back at once: memory stays bounded

    conv = Converter(batch.schema, batch, Stats())
    path = spool_path(batch)
    encoding = "utf-8-sig"
    try:
        with open(path, encoding=encoding, newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError:
        raise NeedsRowPath("not UTF-8") from None
    if header is None:
        raise NeedsRowPath("empty file")
    width = len(conv.fields)
    plan = plan_columns(conv.schema, header)  # a wrong header is refused just as by the row path
    if plan.positions != list(range(width)) or plan.width != width or len(header) != width:
        raise NeedsRowPath("columns not in schema order")
    names = [f"c{i}" for i in range(width)]
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(
                skip_rows=1,
                column_names=names,
                block_size=BLOCK_BYTES,
                use_threads=False,  # one core is PostgreSQL's
                encoding="utf8",
            ),
            parse_options=pa_csv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:  # the first block is read at once
        raise NeedsRowPath(f"irregular row: {exc}") from None
    fast = ChunkConverter(conv)
    writer = _BinaryWriter(table, batch, slot)
    texts = writer.texts
    stats = conv.stats
    county = batch.county_code.encode()
    head = (batch.source_id, batch.pk, county)
    number = 2  # the first data row (row 1 is the header)
    done_bytes = 0
    try:
        while True:
            try:
                record_batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise NeedsRowPath(f"irregular row: {exc}") from None
            if record_batch.num_rows == 0:
                continue
            block = _Block(fast, record_batch)
            writer.write(_rows(block, fast, texts, slot, head, number))
            number += block.n
            stats.rows += block.n
            done_bytes += record_batch.nbytes
            progress.update("reading", min(done_bytes, batch.size), stats.rows, 0)
        if stats.rows == 0:
            raise NeedsRowPath("no data rows")
        if batch.expected_rows is not None and batch.expected_rows != stats.rows:
            raise NeedsRowPath("declared row count differs")
        if conv.dups.duplicates():
            raise NeedsRowPath("duplicate rows")
        progress.update("writing", batch.size, stats.rows, 0, force=True)
        writer.finish()
    except BaseException as exc:
        writer.abort(exc)
        raise
    finally:
        conv.dups.close()
    stats.loaded = stats.rows
    return stats


def _rows(
    block: _Block,
    fast: ChunkConverter,
    texts: _Texts,
    slot: int,
    head: tuple[int, int, bytes],
    first_number: int,
) -> bytes:
    """The block's fact rows as binary COPY data; their duplicate-check hashes noted."""
    conv = fast.conv
    n = block.n
    persons = block.values[conv.id_pos]
    person = np.frombuffer(bytes.fromhex("".join(persons)), dtype="V16")[block.codes[conv.id_pos]]
    person_hash = np.array([hash(p) for p in persons], dtype=np.int64).view(np.uint64)[block.codes[conv.id_pos]]

    # everything made of several cells, once per distinct combination of those cells
    fields = sorted(
        {
            *fast.period_pos,
            *conv.key_pos,
            *(p for p, _ in conv.detail_pos),
            *(p for p in (conv.category_pos, conv.state_pos) if p is not None),
        }
    )
    codes, rows = block.combinations(fields)
    per = []
    for row in rows.tolist():
        values: list[Any] = [None] * len(conv.fields)
        raw: list[Any] = [None] * len(conv.fields)
        for f in fields:
            values[f] = block.values[f][block.codes[f][row]]
            raw[f] = block.raw[f][block.codes[f][row]]
        start, end, category, key, active, detail = conv.parts(values, raw)
        per.append((*_days(start), *_days(end), active, texts.number((category, key, detail)), hash((key, start, end))))
    table = np.array(per, dtype=np.int64)
    start_days, start_null, end_days, end_null, active, text_number, kp_hash = (table[:, c][codes] for c in range(7))
    row_hash = person_hash * _MIX[0] ^ kp_hash.view(np.uint64) * _MIX[1]

    if conv.amount_pos is not None:
        amounts = block.values[conv.amount_pos]
        amount_codes = block.codes[conv.amount_pos]
        amount = np.array([0 if a is None else a for a in amounts], dtype=np.int64)[amount_codes]
        amount_null = np.array([a is None for a in amounts], dtype=bool)[amount_codes]
    else:
        amount = np.zeros(n, dtype=np.int64)
        amount_null = np.ones(n, dtype=bool)
    numbers = np.arange(first_number, first_number + n, dtype=np.int32)
    conv.dups.extend_arrays(row_hash.view(np.int64), numbers)

    pattern = start_null.astype(np.int8) | (end_null.astype(np.int8) << 1) | (amount_null.astype(np.int8) << 2)
    out = []
    for p in np.unique(pattern).tolist():
        nulls = (bool(p & 1), bool(p & 2), bool(p & 4))
        take = slice(None) if (pattern == p).all() else np.flatnonzero(pattern == p)
        kind = _dtype(len(head[2]), nulls)
        kind_fields = kind.fields
        assert kind_fields is not None  # a structured dtype has fields
        rows_p = np.empty(len(numbers[take]), dtype=kind)
        rows_p["count"] = len(FACT_COLUMNS)
        for name in _BINARY:
            rows_p[f"{name}_length"] = kind_fields[name][0].itemsize if name in kind_fields else -1
        rows_p["slot"], rows_p["source_id"], rows_p["batch_id"], rows_p["county_code"] = slot, *head
        columns = {
            "person": person,
            "row_number": numbers,
            "period_start": start_days,
            "period_end": end_days,
            "amount_fen": amount,
            "active": active,
            "text_number": text_number,
        }
        for name, values in columns.items():
            if name in kind_fields:
                rows_p[name] = values[take]
        out.append(rows_p.tobytes())
    return b"".join(out)
