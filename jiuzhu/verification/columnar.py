"""Columnar load of large, regular CSV files (数据入库快速通道).

The row loader in ``ingest`` converts one cell at a time in Python. Department files
repeat the same values over and over (a person in twelve monthly rows, the same dates,
amounts, insurance types and employers), so this path reads the file in blocks with
Apache Arrow's CSV reader, converts each *distinct* value of a column once with the row
loader's own parsers and caches (``Converter.value``), and builds the fact columns with
vectorized gathers. Values made from several cells (period, record key, display text) are
computed once per distinct combination of those cells.

It handles only what it can handle exactly as the row loader would: a CSV without any
quote character (no quoted separators or line breaks), every line as wide as the header
and not a single error. Anything else — a bad or empty required cell, an empty line, a
duplicate row, a short last line, a declared row count that differs — raises
``NeedsRowPath``: the caller rolls the partial load back to its savepoint and runs the
row loader, which writes the precise error report.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from . import parsing
from .ingest import CHUNK, FACT_COLUMNS, Converter, Dictionaries, Progress, Stats, plan_columns, spool_path
from .models import Batch, SourceSchema

BLOCK_BYTES = 4 * 1024 * 1024
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


class NeedsRowPath(Exception):
    """The file has to go through the row-by-row loader (irregular or with errors)."""


def eligible(batch: Batch, path: Path) -> bool:
    """A CSV file without quote characters (scanned at memory speed)."""
    if batch.file_format != "csv" or batch.expected_rows == 0:
        return False
    with open(path, "rb") as fh:
        while block := fh.read(8 * CHUNK):
            if b'"' in block:
                return False
    return True


def _arrow_encoding(encoding: str) -> str:
    return "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding


class _Block:
    """One block of rows: per schema field, the distinct raw values, their converted
    values and each row's code into them."""

    def __init__(self, conv: Converter, rb: pa.RecordBatch, positions: list[int | None]) -> None:
        self.n = rb.num_rows
        self.conv = conv
        self.codes: list[np.ndarray] = []
        self.arrow_codes: list[pa.Array] = []
        self.raw: list[list[Any]] = []
        self.values: list[list[Any]] = []
        for i, p in enumerate(positions):
            if p is None:  # an optional column the file does not have
                raw: list[Any] = [None]
                codes = pa.array(np.zeros(self.n, dtype=np.int32))
            else:
                encoded = pc.dictionary_encode(rb.column(p))
                raw = encoded.dictionary.to_pylist()
                codes = encoded.indices
            values = [conv.value(i, r) for r in raw]
            bad = next((v for v in values if v.__class__ is parsing.CellError), None)
            if bad is not None:
                raise NeedsRowPath(f"{conv.headers[i]}: {bad}")
            if i == conv.id_pos and None in values:
                raise NeedsRowPath("an empty line or an empty ID number")
            self.raw.append(raw)
            self.values.append(values)
            self.arrow_codes.append(codes)
            self.codes.append(codes.to_numpy())

    def combinations(self, fields: list[int]) -> tuple[pa.Array, np.ndarray]:
        """Each row's code into the distinct combinations of these fields' values, and
        one row of each combination."""
        if not fields:
            return pa.array(np.zeros(self.n, dtype=np.int32)), np.zeros(1, dtype=np.int64)
        code = self.codes[fields[0]].astype(np.int64)
        for f in fields[1:]:
            size = len(self.raw[f])
            if (int(code.max()) + 1) * size >= 2**62:
                code = np.unique(code, return_inverse=True)[1].astype(np.int64)
            code = code * size + self.codes[f]
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        return pa.array(inverse.astype(np.int32)), first

    def at(self, field: int, row: int, raw: bool = False) -> Any:
        return (self.raw if raw else self.values)[field][self.codes[field][row]]

    def gather(self, field: int | None, per_value: Any, default: Any, kind: pa.DataType) -> pa.Array:
        """A column made of ``per_value(converted value)`` of one field (``default`` when
        the schema has no such field)."""
        if field is None:
            return pa.array([default] * self.n, kind)
        return pa.array([per_value(v) for v in self.values[field]], kind).take(self.arrow_codes[field])


def _hashes(values: list[Any]) -> np.ndarray:
    return np.array([hash(v) for v in values], dtype=np.int64).view(np.uint64)


def _fact_table(
    block: _Block, batch: Batch, first_number: int, hashes: list[np.ndarray], dictionaries: Dictionaries
) -> pa.Table:
    """The block's stored rows (``FACT_COLUMNS``), subjects and texts by id."""
    conv = block.conv
    n = block.n
    id_codes = block.arrow_codes[conv.id_pos]
    ids = block.values[conv.id_pos]
    subjects = dictionaries.subject_ids(dict(ids))

    period_fields = [f for f in (conv.period_field, conv.period_start, conv.period_end) if f is not None]
    period_codes, period_rows = block.combinations(period_fields)
    periods = []
    for row in period_rows:
        values: list[Any] = [None] * len(conv.fields)
        for f in period_fields:
            values[f] = block.at(f, int(row))
        periods.append(conv._period(values))

    key_codes, key_rows = block.combinations(conv.key_pos)
    keys = [conv.record_key(tuple(block.at(f, int(row)) for f in conv.key_pos)) for row in key_rows]
    detail_fields = [p for p, _ in conv.detail_pos]
    detail_codes, detail_rows = block.combinations(detail_fields)
    details = [conv.detail_text(tuple(block.at(f, int(row), raw=True) for f in detail_fields)) for row in detail_rows]

    # duplicates (same person, record key and period) are found over the whole file
    row_hash = _hashes([v[0] for v in ids])[block.codes[conv.id_pos]] * _MIX[0]
    row_hash ^= _hashes(keys)[key_codes.to_numpy()] * _MIX[1]
    row_hash ^= _hashes(periods)[period_codes.to_numpy()] * _MIX[2]
    hashes.append(row_hash)

    inactive = conv.inactive
    categories = [(v or "")[:40] for v in block.values[conv.category_pos]] if conv.category_pos is not None else [""]
    texts = dictionaries.text_ids([*categories, *keys, *details])
    if conv.category_pos is None:
        category = pa.array(np.full(n, texts[""], dtype=np.int64))
    else:
        category = pa.array([texts[c] for c in categories], pa.int64()).take(block.arrow_codes[conv.category_pos])
    columns = [
        pa.array(np.full(n, batch.source_id, dtype=np.int64)),
        pa.array(np.full(n, batch.pk, dtype=np.int64)),
        pa.array([batch.county_code] * n, pa.string()),
        pa.array([subjects[v[0]] for v in ids], pa.int64()).take(id_codes),
        pa.array(np.arange(first_number, first_number + n, dtype=np.int64)),
        pa.array([p[0] for p in periods], pa.string()).take(period_codes),
        pa.array([p[1] for p in periods], pa.string()).take(period_codes),
        block.gather(conv.amount_pos, lambda v: v, None, pa.int64()),
        category,
        pa.array([texts[k] for k in keys], pa.int64()).take(key_codes),
        block.gather(conv.state_pos, lambda v: v not in inactive, True, pa.bool_()),
        pa.array([texts[d] for d in details], pa.int64()).take(detail_codes),
    ]
    return pa.Table.from_arrays(columns, names=list(FACT_COLUMNS))


def stream(batch: Batch, schema: SourceSchema, encoding: str, writer: Any, progress: Progress) -> Stats:
    """Load a regular CSV file block by block; ``NeedsRowPath`` at the first irregularity."""
    path = spool_path(batch)
    with open(path, encoding=encoding, newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise NeedsRowPath("no header")
    plan = plan_columns(schema, header)  # a wrong header is refused here as by the row loader
    names = [f"c{i}" for i in range(len(header))]
    stats = Stats()
    conv = Converter(schema, batch, stats)
    hashes: list[np.ndarray] = []
    number = 2  # the header is row 1
    with open(path, "rb") as raw:
        try:
            reader = pa_csv.open_csv(
                raw,
                read_options=pa_csv.ReadOptions(
                    column_names=names, skip_rows=1, block_size=BLOCK_BYTES, encoding=_arrow_encoding(encoding)
                ),
                parse_options=pa_csv.ParseOptions(quote_char=False, ignore_empty_lines=False),
                convert_options=pa_csv.ConvertOptions(
                    column_types={name: pa.string() for name in names}, strings_can_be_null=False
                ),
            )
            for rb in reader:
                if rb.num_rows == 0:
                    continue
                for extra in range(plan.width, len(names)):  # cells beyond the named columns
                    if pc.any(pc.not_equal(pc.utf8_trim_whitespace(rb.column(extra)), "")).as_py():
                        raise NeedsRowPath("cells beyond the header")
                block = _Block(conv, rb, plan.positions)
                writer.add_table(_fact_table(block, batch, number, hashes, writer.dictionaries))
                number += block.n
                stats.rows += block.n
                progress.update("reading", raw.tell(), stats.rows, 0)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:  # a line wider or narrower than the header
            raise NeedsRowPath(str(exc)[:200]) from None
    if stats.rows == 0 or (batch.expected_rows is not None and batch.expected_rows != stats.rows):
        raise NeedsRowPath("no rows or a different row count than declared")
    if len(hashes) > 0:
        ordered = np.sort(np.concatenate(hashes))
        hashes.clear()
        if (ordered[1:] == ordered[:-1]).any():
            raise NeedsRowPath("duplicate rows")
    stats.loaded = stats.rows
    progress.update("checking", batch.size, stats.rows, 0, force=True)
    return stats
