"""The columnar load of large CSV files gives exactly the facts of the row-by-row load, and
hands every irregular file to the row loader for its precise report (VER-8, VER-12)."""

import datetime as dt
import random

import pytest
from django.db import connection

from jiuzhu.core.idnumber import make_id_number
from jiuzhu.verification import columnar, ingest
from jiuzhu.verification.models import Batch

from .conftest import csv_bytes, headers_of, row_for

pytestmark = pytest.mark.django_db

FACT_FIELDS = (
    "id_index, id_masked, row_number, period_start, period_end, amount_fen, category, record_key, active, detail"
)


def facts_of(batch: Batch) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {FACT_FIELDS} FROM verification_fact WHERE batch_id = %s ORDER BY row_number", [batch.pk])
        return [tuple(str(v) for v in row) for row in cur.fetchall()]


@pytest.fixture
def paths(monkeypatch):
    """Which loader each batch went through: 'columnar' or 'rows'."""
    seen: list[str] = []
    real = columnar.stream

    def spy(*args, **kwargs):
        try:
            stats = real(*args, **kwargs)
        except columnar.NeedsRowPath:
            seen.append("rows")
            raise
        seen.append("columnar")
        return stats

    monkeypatch.setattr(columnar, "stream", spy)
    return seen


def load_both_ways(upload, monkeypatch, code: str, data: bytes, **kwargs) -> tuple[Batch, Batch]:
    """The same rows through the columnar and the row loader (the second copy differs by a
    final line break, so it is a new batch)."""
    fast = upload(code, data, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(columnar, "eligible", lambda batch, path: False)
        slow = upload(code, data.rstrip(b"\r\n") if data.endswith(b"\n") else data + b"\r\n", **kwargs)
    return fast, slow


def some_ids(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        make_id_number(
            "370405",
            dt.date(1940 + rng.randrange(70), 1 + rng.randrange(12), 1 + rng.randrange(28)),
            2 * i,
            "MF"[i % 2],
        )
        for i in range(n)
    ]


def spelled(id_number: str, how: int) -> str:
    """The same ID number as departments write it: plain, lower-case x, with spaces, full-width."""
    if how == 1:
        return id_number.lower()
    if how == 2:
        return f" {id_number} "
    if how == 3:
        return id_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return id_number


def test_vehicle_files_give_the_same_facts_both_ways(world, catalog, upload, monkeypatch, paths):
    """Dates in every accepted format, inactive states, record keys and display texts."""
    rng = random.Random(7)
    dates = ["2024-05-01", "2024/5/1", "20240501", "2024年5月1日", "2024.5.1", ""]
    rows = [
        row_for(
            "gongan.vehicle",
            name=rng.choice(["车主甲", "", "车主乙"]),
            id_number=spelled(id_number, i % 4),
            plate=f"鲁D{10000 + i}",
            vehicle_type=rng.choice(["小型轿车", "普通二轮摩托车", "小型普通客车"]),
            registered_on=rng.choice(dates),
            state=rng.choice(["正常", "注销", "报废", "正常"]),
        )
        for i, id_number in enumerate(some_ids(300, 1))
    ]
    fast, slow = load_both_ways(upload, monkeypatch, "gongan.vehicle", csv_bytes(headers_of("gongan.vehicle"), rows))
    assert paths == ["columnar"]
    assert fast.status == slow.status == "loaded"
    assert fast.rows_loaded == slow.rows_loaded == 300
    assert facts_of(fast) == facts_of(slow)
    assert {f[8] for f in facts_of(fast)} == {"True", "False"}


def test_amounts_months_gbk_and_reordered_columns_give_the_same_facts(world, catalog, upload, monkeypatch, paths):
    """Amounts with 元/万元 units, months in three formats, a GBK file whose columns are in
    another order and lack the optional name column."""
    headers = headers_of("renshe.pension")
    months = ["2026-01", "202602", "2026年3月", "2026-04", "2026/5"]
    amounts = ["163.00", "163", "0.0163万元", "163元", "1630.5"]
    rows = []
    for i, id_number in enumerate(some_ids(120, 2)):
        for k in range(3):
            row = row_for(
                "renshe.pension",
                id_number=id_number,
                benefit=["城乡居民基础养老金", "企业职工基本养老金"][k % 2],
                month=months[(i + k) % len(months)],
                amount=amounts[(i * 3 + k) % len(amounts)],
            )
            rows.append(row)
    order = [1, 4, 3, 2]  # 身份证号码, 金额, 月份, 待遇类型 — no 姓名
    data = csv_bytes([headers[i] for i in order], [[r[i] for i in order] for r in rows], "gb18030")
    fast, slow = load_both_ways(upload, monkeypatch, "renshe.pension", data, declared_encoding="gbk")
    assert paths == ["columnar"]
    assert fast.status == slow.status == "loaded", (fast.errors, slow.errors)
    assert facts_of(fast) == facts_of(slow)
    assert len(facts_of(fast)) == len(rows)


def test_a_file_with_quotes_or_an_empty_line_goes_row_by_row(world, catalog, upload, paths):
    ids = some_ids(3, 3)
    headers = headers_of("renhang.deposit")
    rows = [
        row_for(
            "renhang.deposit",
            id_number=ids[i],
            bank="农商银行",
            last4=f"000{i}",
            deposit_type="活期",
            balance="1,200.00",
            as_of="2026-10-31",
        )
        for i in range(3)
    ]
    quoted = upload("renhang.deposit", csv_bytes(headers, rows))  # "1,200.00" is quoted
    assert quoted.status == "loaded" and quoted.rows_loaded == 3
    assert paths == []  # not eligible: the row loader only
    plain = csv_bytes(headers, [[c.replace(",", "") for c in r] for r in rows])
    with_gap = plain.replace(b"\r\n", b"\r\n\r\n", 2)
    batch = upload("renhang.deposit", with_gap)
    assert paths == ["rows"]
    assert batch.status == "loaded" and batch.rows_loaded == 3


@pytest.mark.parametrize(
    "defect, code",
    [
        ("bad_date", "invalid_rows"),
        ("bad_id", "invalid_rows"),
        ("duplicate", "invalid_rows"),
        ("wide_row", "invalid_rows"),
        ("truncated", "invalid_rows"),
    ],
)
def test_a_defect_found_on_the_columnar_path_gives_the_row_loaders_report(
    world, catalog, upload, monkeypatch, paths, defect, code
):
    """The columnar load gives up at the first defect and leaves nothing behind; the row
    loader then reports every error with its row and column."""
    headers = headers_of("yibao.expense")
    ids = some_ids(50, 4)
    rows = [
        row_for(
            "yibao.expense",
            id_number=ids[i],
            hospital="台儿庄区人民医院",
            settled_on=f"2026-0{1 + i % 9}-15",
            total="900",
            own="300",
        )
        for i in range(50)
    ]
    if defect == "bad_date":
        rows[30][3] = "2026-02-30"
    elif defect == "bad_id":
        rows[10][1] = ids[10][:-1] + ("0" if ids[10][-1] != "0" else "1")
    elif defect == "duplicate":
        rows[40] = list(rows[5])
    data = csv_bytes(headers, rows)
    if defect == "wide_row":
        data = data.replace(b"\r\n", b",extra\r\n", 3).replace(b",extra\r\n", b"\r\n", 2)
    elif defect == "truncated":
        data = data.rstrip(b"\r\n").rsplit(b",", 3)[0]
    batch = upload("yibao.expense", data)
    assert paths == ["rows"]
    assert batch.status == "rejected"
    assert batch.errors and batch.errors[0]["row"] > 1
    assert Batch.objects.filter(pk=batch.pk, rows_loaded=0).exists()
    assert facts_of(batch) == []
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM verification_fact")
        assert cur.fetchone()[0] == 0


def test_the_columnar_path_reads_a_file_in_many_blocks(world, catalog, upload, monkeypatch, paths):
    """Row numbers, duplicates and progress run across block boundaries."""
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 4096)
    headers = headers_of("renshe.contribution")
    rows = [
        row_for(
            "renshe.contribution",
            name="职工",
            id_number=id_number,
            insurance="企业职工基本养老保险",
            month=f"2026-{m:02d}",
            base="4000",
            employer="某公司",
        )
        for id_number in some_ids(60, 5)
        for m in range(1, 13)
    ]
    fast, slow = load_both_ways(upload, monkeypatch, "renshe.contribution", csv_bytes(headers, rows))
    assert paths == ["columnar"]
    assert facts_of(fast) == facts_of(slow)
    assert [f[2] for f in facts_of(fast)] == [str(n) for n in range(2, 2 + len(rows))]
    dup = [*rows, rows[3]]  # the duplicate is many blocks after the first
    rejected = upload("renshe.contribution", csv_bytes(headers, dup))
    assert paths[-1] == "rows" and rejected.status == "rejected"
    assert "与第5行重复" in rejected.errors[0]["message"]
    assert ingest.read_progress(rejected)["percent"] == 100


def test_subjects_and_texts_are_stored_once_and_looked_up_again_after_the_cache_is_full(
    world, catalog, upload, monkeypatch, paths
):
    """Each person and each text is stored once however many rows name it; a load larger
    than the loader's id cache still finds every id (bounded memory)."""
    monkeypatch.setattr(ingest.Dictionaries, "LIMIT", 10)
    headers = headers_of("renshe.contribution")
    rows = [
        row_for(
            "renshe.contribution",
            id_number=id_number,
            insurance="企业职工基本养老保险",
            month=f"2026-{m:02d}",
            base="4000",
            employer=f"单位{m % 3}",
        )
        for id_number in some_ids(40, 6)
        for m in range(1, 7)
    ]
    fast, slow = load_both_ways(upload, monkeypatch, "renshe.contribution", csv_bytes(headers, rows))
    assert paths == ["columnar"]
    assert facts_of(fast) == facts_of(slow) and len(facts_of(fast)) == 240
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM verification_subject")
        assert cur.fetchone()[0] == 40
        cur.execute("SELECT COUNT(*), COUNT(DISTINCT value) FROM verification_text")
        texts, distinct = cur.fetchone()
    assert texts == distinct  # 1 category + 6 record keys + 3 display texts
    assert texts == 10


def test_old_facts_survive_the_move_to_compact_storage(transactional_db):
    """Migration 0006 moves facts loaded before it into subjects, texts and compact rows
    and leaves the same rows readable through ``verification_fact``."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("verification", "0004_peer_our_code")])
    try:
        with connection.cursor() as cur:
            for i, (index, key) in enumerate([("a" * 64, "鲁D1"), ("a" * 64, "鲁D2"), ("b" * 64, "鲁D1")]):
                cur.execute(
                    "INSERT INTO verification_fact (source_id, batch_id, county_code, id_index, id_masked, row_number, "
                    "period_start, period_end, amount_fen, category, record_key, active, detail) VALUES "
                    "(1, 1, '370405', %s, '370405********0011', %s, '2024-05-01', NULL, NULL, '小型轿车', %s, %s, %s)",
                    [index, i + 2, key, i != 1, f"号牌号码：{key}"],
                )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id_index, row_number, period_start, category, record_key, active, detail FROM verification_fact "
            "ORDER BY row_number"
        )
        rows = [tuple(str(v) for v in r) for r in cur.fetchall()]
        cur.execute("SELECT COUNT(*) FROM verification_subject")
        subjects = cur.fetchone()[0]
    assert rows == [
        ("a" * 64, "2", "2024-05-01", "小型轿车", "鲁D1", "True", "号牌号码：鲁D1"),
        ("a" * 64, "3", "2024-05-01", "小型轿车", "鲁D2", "False", "号牌号码：鲁D2"),
        ("b" * 64, "4", "2024-05-01", "小型轿车", "鲁D1", "True", "号牌号码：鲁D1"),
    ]
    assert subjects == 2
