"""The fast path of the ingest (regular CSV chunks converted column by column) gives exactly
the facts, errors and duplicate reports of the row converter, for every data type of the
catalog, clean or messy files, whatever mix of fast and row chunks a file falls into
(VER-8, VER-12, REG-9)."""

import datetime as dt
import random
from typing import Any

import pytest

from jiuzhu.accounts.system import SystemActor
from jiuzhu.core.idnumber import make_id_number
from jiuzhu.verification import ingest
from jiuzhu.verification.actions import receive_batch
from jiuzhu.verification.models import Source

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


class Recorder:
    """A writer that keeps what it would write, in the order written."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.chunks = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(tuple(row))

    def add_columns(self, columns: tuple[Any, ...]) -> None:
        self.chunks += 1
        self.rows.extend(zip(*columns, strict=True))


def _id(rng: random.Random, persons: list[str]) -> str:
    if persons and rng.random() < 0.6:
        number = rng.choice(persons)  # the same person again (several rows each)
    else:
        day = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25000))
        number = make_id_number("370405", day, rng.randrange(999), rng.choice("MF"))
        persons.append(number)
    variant = rng.random()
    if variant < 0.05 and number[6:8] == "19":  # a 15-digit legacy number
        return number[:6] + number[8:17]
    if variant < 0.1:
        return number.lower().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if variant < 0.15:
        return f" {number} "
    return number


def _value(kind: str, rng: random.Random, persons: list[str], inactive: list[str]) -> str:
    if kind == "id_number":
        return _id(rng, persons)
    if kind == "date":
        d = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(900))
        return rng.choice([d.isoformat(), f"{d.year}/{d.month}/{d.day}", d.strftime("%Y%m%d"), f"{d:%Y年%-m月%-d日}"])
    if kind == "month":
        m = rng.randrange(1, 13)
        return rng.choice([f"2026-{m:02d}", f"2026{m:02d}", f"2026年{m}月"])
    if kind == "money":
        yuan = rng.randrange(0, 90000)
        return rng.choice([f"{yuan}.{rng.randrange(100):02d}", f"{yuan:,}", f"{yuan}元", f"{yuan / 10000:.2f}万元"])
    if kind == "int":
        return str(rng.randrange(0, 50))
    choices = ["台儿庄区人民医院", "某公司, 第二车间", '带"引号"的单位', "一\t二", "反斜杠\\", "两行\n文字", "甲", "乙"]
    return rng.choice(choices + inactive)


def _rows(schema: Any, n: int, rng: random.Random, messy: bool) -> list[list[str]]:
    persons: list[str] = []
    rows = []
    for _ in range(n):
        row = []
        for f in schema.fields:
            if not f.get("required") and f["type"] != "id_number" and rng.random() < 0.1:
                row.append(rng.choice(["", "  "]))  # an optional cell left blank
            else:
                row.append(_value(f["type"], rng, persons, schema.inactive_states or []))
        rows.append(row)
    if messy:
        for _ in range(3):
            row = rows[rng.randrange(n)]
            i = rng.randrange(len(row))
            row[i] = rng.choice(["", "2026-02-30", "约三千元", "370405199902301234", "x"])
        rows.insert(rng.randrange(n), list(rows[rng.randrange(n)]))  # a duplicate row
        rows.insert(rng.randrange(n), [""] * len(rows[0]))  # an empty line
        rows.insert(rng.randrange(n), rows[0][:2])  # a short row
    return rows


def _stream(batch: Any, fast: bool, monkeypatch: Any) -> tuple[list[tuple[Any, ...]], Any, int]:
    writer = Recorder()
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(ingest.ChunkConverter, "convert", lambda self, first, rows: None)
        encoding = ingest.detect_encoding(ingest.spool_path(batch), batch.encoding_declared)
        try:
            stats = ingest.job._stream(batch, batch.schema, encoding, writer, ingest.Progress(batch))
            outcome: Any = (stats.rows, stats.loaded, stats.error_count)
        except ingest.Rejected as exc:
            outcome = (exc.code, exc.count, exc.errors)
    return writer.rows, outcome, writer.chunks


@pytest.mark.parametrize("messy", [False, True], ids=["clean", "messy"])
def test_the_fast_path_gives_what_the_row_converter_gives_for_every_data_type(catalog, monkeypatch, messy):
    monkeypatch.setattr(ingest.read, "CHUNK_ROWS", 16)  # many chunks: fast and row chunks mixed
    rng = random.Random(f"fast-path-{messy}")
    fast_chunks = 0
    for source in Source.objects.filter(active=True).order_by("code"):
        schema = source.current_schema
        data = csv_bytes(schema.headers, _rows(schema, 150, rng, messy), encoding=rng.choice(["utf-8", "gb18030"]))
        batch, _ = receive_batch(
            source, [data], by=SystemActor(), filename=f"{source.code}.csv", county_code="370405", kind="increment"
        )
        rows_fast, outcome_fast, chunks = _stream(batch, True, monkeypatch)
        rows_slow, outcome_slow, no_chunks = _stream(batch, False, monkeypatch)
        assert no_chunks == 0
        assert outcome_fast == outcome_slow, source.code
        assert rows_fast == rows_slow, source.code
        assert rows_fast or messy, source.code
        fast_chunks += chunks
    assert fast_chunks > 0


def test_the_fast_path_writes_the_same_copy_lines_as_the_row_path(catalog, monkeypatch):
    """The PostgreSQL writer formats a chunk's columns exactly as it formats single rows."""
    rng = random.Random("copy-lines")
    source = Source.objects.get(code="renshe.contribution")
    schema = source.current_schema
    data = csv_bytes(schema.headers, _rows(schema, 200, rng, messy=False))
    batch, _ = receive_batch(source, [data], by=SystemActor(), filename="c.csv", county_code="370405", kind="increment")
    rows, _, _ = _stream(batch, True, monkeypatch)

    class Copy:
        def __init__(self) -> None:
            self.text: list[str] = []

        def write(self, text: str) -> None:
            self.text.append(text)

    def lines(feed: Any) -> tuple[str, list[Any]]:
        writer = object.__new__(ingest.write._PgWriter)
        writer.head = f"{batch.source_id}\t{batch.source_id}\t{batch.pk}\t{batch.county_code}"
        writer.buf, writer.caches, writer.copy = [], [{} for _ in range(3)], Copy()
        writer.texts = ingest.write._Texts()
        feed(writer)
        if writer.buf:
            writer.copy.write("".join(writer.buf))
        return "".join(writer.copy.text), writer.texts.pending

    by_row, texts = lines(lambda w: [w.add(r) for r in rows])
    by_columns, same_texts = lines(lambda w: w.add_columns(tuple(list(c) for c in zip(*rows, strict=True))))
    assert by_row == by_columns and by_row.count("\n") == len(rows)
    assert texts == same_texts and 0 < len(texts) < len(rows)


def _stored(batch: Any) -> list[tuple[Any, ...]]:
    """A batch's facts as the converters' tuples, in row order."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT f.person, f.row_number, f.period_start, f.period_end, f.amount_fen, t.category, t.record_key, "
            "f.active, t.detail FROM verification_fact f JOIN verification_fact_text t "
            "ON t.batch_id = f.batch_id AND t.number = f.text_number WHERE f.batch_id = %s ORDER BY f.row_number",
            [batch.pk],
        )
        return [
            (p.hex, n, s and s.isoformat(), e and e.isoformat(), a, c, k, bool(act), d)
            for p, n, s, e, a, c, k, act, d in cur.fetchall()
        ]


@pytest.mark.parametrize("messy", [False, True], ids=["clean", "messy"])
def test_the_columnar_load_gives_what_the_row_converter_gives(catalog, monkeypatch, messy):
    """PostgreSQL: the binary columnar load stores exactly the row converter's facts, and
    gives way to it (same report) on any irregularity."""
    from django.db import connection

    from jiuzhu.verification.ingest import columnar, process_batch

    if connection.vendor != "postgresql":
        pytest.skip("the columnar load is PostgreSQL's")
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    monkeypatch.setattr(ingest.write, "TEXT_FLUSH_AT", 7)  # texts written between parts of the COPY
    outcomes = []
    real_load = columnar.load

    def spy(*args: Any) -> Any:
        try:
            stats = real_load(*args)
        except columnar.NeedsRowPath:
            outcomes.append("row path")
            raise
        outcomes.append("columnar")
        return stats

    monkeypatch.setattr(columnar, "load", spy)
    rng = random.Random(f"columnar-{messy}")
    for source in Source.objects.filter(active=True).order_by("code"):
        schema = source.current_schema
        rows = [
            [c.replace('"', "").replace("\n", "").replace(",", "，") for c in r] for r in _rows(schema, 120, rng, messy)
        ]
        data = csv_bytes(schema.headers, rows)
        batch, _ = receive_batch(
            source, [data], by=SystemActor(), filename=f"{source.code}.csv", county_code="370405", kind="increment"
        )
        expected_rows, expected_outcome, _ = _stream(batch, False, monkeypatch)
        calls = len(outcomes)
        batch = process_batch(batch.pk)
        assert len(outcomes) == calls + 1, source.code  # every file here suits the columnar load
        if expected_outcome[0] == "invalid_rows":
            assert batch.status == "rejected" and outcomes[-1] == "row path", source.code
            assert (batch.error_count, batch.errors) == (expected_outcome[1], expected_outcome[2]), source.code
        else:
            assert batch.status == "loaded" and outcomes[-1] == "columnar", (source.code, batch.errors[:3])
            assert _stored(batch) == sorted(expected_rows, key=lambda r: r[1]), source.code
    assert outcomes.count("columnar") >= (0 if messy else 20)
    assert outcomes.count("row path") >= (20 if messy else 0)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_a_file_the_columnar_load_cannot_read_goes_to_the_row_converter(catalog, monkeypatch, encoding):
    """PostgreSQL: a GBK file sent as 自动识别 and a file with an empty line both load through
    the row converter, as they would without the columnar path (VER-12)."""
    from django.db import connection

    from jiuzhu.verification.ingest import columnar, process_batch

    if connection.vendor != "postgresql":
        pytest.skip("the columnar load is PostgreSQL's")
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    source = Source.objects.get(code="renshe.contribution")
    rows = [r for r in _rows(source.current_schema, 40, random.Random(encoding), messy=False)]
    rows = [[c.replace('"', "").replace("\n", "").replace(",", "，") for c in r] for r in rows]
    data = csv_bytes(source.current_schema.headers, rows, encoding=encoding)
    if encoding == "utf-8":
        data = data.replace(b"\r\n", b"\r\n\r\n", 1)  # an empty line after the header
    batch, _ = receive_batch(source, [data], by=SystemActor(), filename="c.csv", county_code="370405", kind="increment")
    assert columnar.eligible(batch)
    # what the row converter alone makes of the file (read before the load releases the spool)
    expected_rows, expected_outcome, _ = _stream(batch, False, monkeypatch)
    batch = process_batch(batch.pk)
    assert batch.status in ("loaded", "rejected") and batch.status != "failed", batch.message
    if batch.status == "loaded":
        assert batch.rows_loaded == len(expected_rows) == expected_outcome[1]
        assert _stored(batch) == sorted(expected_rows, key=lambda r: r[1])
    assert batch.encoding == ("gb18030" if encoding == "gb18030" else "utf-8")
