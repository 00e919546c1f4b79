"""The row converter: every cell checked and parsed by the schema, duplicates found in
bounded memory, and the fast path that converts a chunk of rows at once."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.utils import timezone

from jiuzhu.registry.pii import blind_index

from .. import parsing
from ..models import Batch, SourceSchema, person_key
from .read import (
    MAX_STORED_ERRORS,
    _error,
)
from .spool import (
    spool_dir,
)

CACHE_LIMIT = 100_000  # distinct raw values remembered per column (bounded memory)


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
        # an ID number named as a detail is kept masked (a list's report shows unknown IDs so)
        self.detail_masked = [self.fields[p]["type"] == "id_number" for p, _ in self.detail_pos]
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

        parsers: dict[str, Callable[[Any], Any]] = {
            "date": date,
            "month": month,
            "money": parsing.parse_amount_fen,
            "int": parsing.parse_int,
            "id_number": parsing.parse_id,
        }
        return parsers.get(kind)

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
                f"{h}：{parsing.masked_raw_id(v) if masked else parsing.text(v)}"
                for (_, h), masked, v in zip(self.detail_pos, self.detail_masked, detail_raw, strict=True)
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
