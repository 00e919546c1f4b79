"""Writers of fact rows: COPY on PostgreSQL, executemany on SQLite, texts once per batch."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from itertools import repeat
from typing import Any

from django.db import connection

from ..models import Batch
from .convert import CACHE_LIMIT, _map

TEXT_FLUSH_AT = 20_000  # new texts of a batch held before they are written


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
