"""Discovery benchmark (issue 17: 政策找人 — performance), PostgreSQL only.

A county of P persons (default 600,000, households of three) and F department facts
(default 20,000,000) over the verification catalog's sources. The county's monitoring
rules — 医保 out-of-pocket ≥ 50,000 元, new severe disability (残联), new unemployment
registration (人社), household income per head < 1.2 × 低保标准, 防返贫 monitoring — are
evaluated by the application (``monitoring.warnings.hits_of``, one SQL statement per rule)
and, in the same run, by ONE hand-written SQL query computing the same (rule, person) hits;
the two sets must be equal. Target: application time ≤ 2 × the hand-written query.

Then ``evaluate_warnings`` runs for real: the rules again, deduplication (REG-6: recipients,
open cases, unclosed warnings of the household) and the creation of every warning and its
核查任务 in one transaction. Target: deduplication + task creation for 50,000 warnings
≤ 30 s. The evaluation runs in its own process; its peak resident memory is printed
(target ≤ 500 MB).

Loading: registry rows by COPY (one real household imported through the pipeline is the
template: its ciphertexts are reused, each person gets its own blind index), synthetic facts
by set-based INSERT … SELECT generate_series, as bench/verification.py does.

Usage: python bench/discovery.py [--persons N] [--facts N] [--keep]
Database ``jiuzhu_bench_discovery`` on 127.0.0.1 (created and dropped here).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "jiuzhu_bench_discovery"
PG_BENCH_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
MASTER_KEY = "YmVuY2gta2V5LWZvci1qaXV6aHUtYmVuY2htYXJrMzI="
COUNTY = "370405"
SOURCE_DOC = "基准测试：预警规则"
RULES: list[dict[str, Any]] = [
    {
        "code": "medical",
        "name": "医疗自付费用过高",
        "level": "red",
        "program": "temporary",
        "condition": {"measure": "medical_expense_12m", "op": ">=", "value": 50000},
    },
    {
        "code": "severe_disability",
        "name": "新增重度残疾人",
        "level": "orange",
        "program": "dibao",
        "condition": {"status": "disability", "new_days": 365, "detail_any": ["一级", "二级"]},
    },
    {
        "code": "unemployed",
        "name": "新增失业登记人员",
        "level": "yellow",
        "program": "dibao",
        "condition": {"status": "unemployed", "new_days": 180},
    },
    {
        "code": "low_income",
        "name": "人均收入低于低保标准1.2倍",
        "level": "yellow",
        "program": "dibao_edge",
        "condition": {"measure": "income_per_capita", "op": "<", "value": 1.2},
    },
    {
        "code": "poverty",
        "name": "防返贫监测对象",
        "level": "orange",
        "program": "dibao",
        "condition": {"status": "poverty_monitoring"},
    },
]
# Sources whose facts only fill the table (assets and information: no rule reads them).
FILLER = [
    "gongan.vehicle",
    "renhang.deposit",
    "renhang.account",
    "ziran.property",
    "renhang.wealth",
    "yibao.medical_aid",
    "sifa.legal_aid",
    "shichang.individual_business",
]
TEXTS = 100  # texts (record keys) per batch


def person_hex(k: int) -> str:
    return hashlib.md5(f"bench-{k}".encode()).hexdigest()


# ---- orchestration -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=600_000)
    parser.add_argument("--facts", type=int, default=20_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--worker", choices=["load", "evaluate"])
    args = parser.parse_args()
    if args.worker == "load":
        load(args.persons, args.facts)
        return
    if args.worker == "evaluate":
        evaluate()
        return
    import psycopg

    env = dict(
        os.environ,
        JIUZHU_MASTER_KEY=MASTER_KEY,
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=PG_BENCH_URL,
    )
    tmp = tempfile.mkdtemp(prefix="jiuzhu-bench-discovery-")
    env["JIUZHU_VAR_DIR"] = tmp
    env["JIUZHU_MEDIA_ROOT"] = str(Path(tmp) / "media")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    print(f"######## postgresql: persons={args.persons:,} facts={args.facts:,}", flush=True)
    try:
        base = [sys.executable, __file__, "--persons", str(args.persons), "--facts", str(args.facts)]
        subprocess.run([*base, "--worker", "load"], env=env, check=True)
        subprocess.run([*base, "--worker", "evaluate"], env=env, check=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()


# ---- loading -----------------------------------------------------------------------------------


def load(persons: int, facts: int) -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.core.idnumber import make_id_number
    from jiuzhu.monitoring.actions.grid import save_rule
    from jiuzhu.registry.importer import import_rows
    from jiuzhu.registry.importer.columns import HOUSEHOLD_COLUMNS, PERSON_COLUMNS
    from jiuzhu.registry.models import Household, Person
    from jiuzhu.verification.catalog import ensure_partition, sync_catalog
    from jiuzhu.verification.models import Batch, Source
    from jiuzhu.web import demo

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo.load_areas()
    demo.load_departments()
    demo.load_users()
    sync_catalog()
    for source in Source.objects.all():  # facts are written straight into the county's partitions
        ensure_partition(source, COUNTY)
    actor = SystemActor("基准测试")
    for spec in RULES:
        save_rule(
            None,
            {
                **spec,
                "reason": spec["name"],
                "county_code": COUNTY,
                "valid_from": "2025-01-01",
                "source_document": SOURCE_DOC,
            },
            by=actor,  # type: ignore[arg-type]
        )
    print(f"schema, areas, catalog, rules: {time.perf_counter() - t0:.1f} s", flush=True)

    # one real household through the import pipeline: the template of every registry row
    rows = [
        (
            2,
            {
                "household_ref": "t",
                "area_code": "370405101201",
                "address": "模板",
                "name": "模板甲",
                "id_number": make_id_number(COUNTY, dt.date(1980, 1, 1), 1, "M"),
                "relation": "本人",
            },
        ),
    ]
    import_rows(rows, by=actor, source="bench")
    h_tpl = list(Household.objects.values_list(*HOUSEHOLD_COLUMNS).get())
    p_tpl = list(Person.objects.values_list(*PERSON_COLUMNS).get())
    villages = list(
        demo.Area.objects.filter(level="village", code__startswith=COUNTY)
        .order_by("code")
        .values_list("code", flat=True)
    )
    hcol = {c: i for i, c in enumerate(HOUSEHOLD_COLUMNS)}
    pcol = {c: i for i, c in enumerate(PERSON_COLUMNS)}
    h0 = h_tpl[0] + 1
    p0 = p_tpl[0] + 1
    households = (persons + 2) // 3
    t = time.perf_counter()
    relations = [("self", 1, 45), ("spouse", 2, 43), ("child", 3, 15)]
    with transaction.atomic(), connection.cursor() as cur:
        with cur.cursor.copy(f"COPY registry_household ({', '.join(HOUSEHOLD_COLUMNS)}) FROM STDIN") as copy:
            for i in range(households):
                row = list(h_tpl)
                row[hcol["id"]] = h0 + i
                row[hcol["area_id"]] = villages[i % len(villages)]
                row[hcol["address"]] = f"{i}号"
                row[hcol["member_count"]] = min(3, persons - 3 * i)
                row[hcol["urban_rural"]] = "urban" if i % 5 == 0 else "rural"
                copy.write_row(row)
        with cur.cursor.copy(f"COPY registry_person ({', '.join(PERSON_COLUMNS)}) FROM STDIN") as copy:
            for k in range(persons):
                i = k // 3
                relation, order, age = relations[k % 3]
                row = list(p_tpl)
                row[pcol["id"]] = p0 + k
                row[pcol["household_id"]] = h0 + i
                row[pcol["relation"]] = relation
                row[pcol["relation_order"]] = order
                row[pcol["area_code"]] = villages[i % len(villages)]
                row[pcol["birth_date"]] = dt.date(2026 - age, 1 + k % 12, 1 + k % 28)
                row[pcol["id_number_index"]] = person_hex(k) + person_hex(-k - 1)
                copy.write_row(row)
        cur.execute(f"SELECT setval(pg_get_serial_sequence('registry_household', 'id'), {h0 + households})")
        cur.execute(f"SELECT setval(pg_get_serial_sequence('registry_person', 'id'), {p0 + persons})")
    print(
        f"registry: {households:,} households, {persons:,} persons by COPY in {time.perf_counter() - t:.1f} s",
        flush=True,
    )

    # one batch per source, TEXTS texts each (category, record key, detail)
    now = timezone.now()
    sources = {s.code: s for s in Source.objects.all()}
    batch: dict[str, int] = {}
    for code, s in sources.items():
        batch[code] = Batch.objects.create(
            source=s,
            schema=s.current_schema,
            county_code=COUNTY,
            area_code=COUNTY.ljust(12, "0"),
            provider_code=s.provider.code,
            kind="increment",
            channel="api",
            file_format="csv",
            sha256=hashlib.sha256(code.encode()).hexdigest(),
            size=0,
            spool_name="bench",
            status="loaded",
            loaded_at=now,
        ).pk
    texts = {
        "yibao.expense": ("", "市立医院"),
        "canlian.disability": ("肢体残疾", None),  # detail: 二级 for the first half of the texts
        "renshe.unemployment": ("", "失业"),
        "renshe.employment": ("企业职工", "在岗"),
        "fupin.monitoring": ("突发严重困难户", "监测中"),
    }
    with connection.cursor() as cur:
        for code, b in batch.items():
            category, detail = texts.get(code, ("", "合成数据"))
            cur.executemany(
                "INSERT INTO verification_fact_text (batch_id, number, category, record_key, detail) "
                "VALUES (%s, %s, %s, %s, %s)",
                [
                    (b, n, category, f"r{n}", detail or ("肢体残疾 二级" if n <= TEXTS // 2 else "肢体残疾 四级"))
                    for n in range(1, TEXTS + 1)
                ],
            )
    on = timezone.localdate()
    cols = (
        "slot, source_id, batch_id, county_code, person, row_number, period_start, period_end, amount_fen, active, "
        "text_number"
    )

    def insert(code: str, where: str, rows_per: int, start: str, amount: str, text: str) -> int:
        """Facts of ``code`` for the persons k (0 ≤ k < P) matching ``where`` (m = k % 100),
        ``rows_per`` rows each (j = 0 …), with SQL for the start date, amount and text."""
        s, b = sources[code].pk, batch[code]
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO verification_fact ({cols}) "
                f"SELECT {s}, {s}, {b}, '{COUNTY}', md5('bench-' || k)::uuid, k * 8 + j, {start}, {start}, "
                f"{amount}, true, {text} "
                f"FROM generate_series(0, %s) k CROSS JOIN generate_series(0, {rows_per - 1}) j, "
                f"LATERAL (SELECT k %% 100 AS m) x WHERE {where}",
                [persons - 1],
            )
            return int(cur.rowcount)

    d = f"DATE '{on}'"
    t = time.perf_counter()
    signal = 0
    # 医保: 4 % spend 3 × 20,000 元 (hit), 6 % once 5,000 元 (no hit)
    signal += insert("yibao.expense", "m < 4", 3, f"{d} - 30 - j * 20", "2000000", "1 + j")
    signal += insert("yibao.expense", "m >= 4 AND m < 10", 1, f"{d} - 40", "500000", "10")
    # 残联: 2 % a new 二级 card (hit), 4 % a 四级 one (no hit)
    signal += insert("canlian.disability", "m >= 10 AND m < 12", 1, f"{d} - 100", "NULL", "1 + k %% 50")
    signal += insert("canlian.disability", "m >= 12 AND m < 16", 1, f"{d} - 100", "NULL", "51 + k %% 50")
    # 人社 失业登记: 2 % within 180 days (hit), 4 % older (no hit); 1,200 元 a month each
    signal += insert("renshe.unemployment", "m >= 16 AND m < 18", 1, f"{d} - 60", "120000", "1")
    signal += insert("renshe.unemployment", "m >= 18 AND m < 22", 1, f"{d} - 400", "120000", "1")
    # 人社 就业: heads' wages — most 5,000 元 a month, 3 % 300 元 (low income)
    signal += insert("renshe.employment", "k %% 3 = 0 AND m >= 22 AND m < 90", 1, f"{d} - 500", "500000", "1")
    signal += insert("renshe.employment", "k %% 3 = 0 AND m >= 90 AND m < 93", 1, f"{d} - 500", "30000", "1")
    # 乡村振兴 防返贫监测: 2 %
    signal += insert("fupin.monitoring", "m >= 93 AND m < 95", 1, f"{d} - 200", "NULL", "1")
    print(f"signal facts: {signal:,} rows in {time.perf_counter() - t:.1f} s", flush=True)

    filler = max(0, facts - signal)
    src = "ARRAY[" + ",".join(str(sources[c].pk) for c in FILLER) + "]"
    bat = "ARRAY[" + ",".join(str(batch[c]) for c in FILLER) + "]"
    n = len(FILLER)
    chunk = 2_000_000
    t = time.perf_counter()
    with connection.cursor() as cur:
        for start in range(0, filler, chunk):
            stop = min(filler, start + chunk)
            cur.execute(
                f"INSERT INTO verification_fact ({cols}) "
                f"SELECT ({src})[1 + g %% {n}], ({src})[1 + g %% {n}], ({bat})[1 + g %% {n}], '{COUNTY}', "
                f"md5('bench-' || ((g::bigint * 7919) %% %s))::uuid, g, {d} - (g %% 300), {d} - (g %% 300), "
                "g %% 500000, true, "
                f"1 + g %% {TEXTS} FROM generate_series(%s, %s) g",
                [persons, start + 1, stop],
            )
            print(f"   … {stop:,} filler facts ({time.perf_counter() - t:.0f} s)", flush=True)
        cur.execute("ANALYZE")
    print(f"facts: {signal + filler:,} in total ({filler:,} filler) in {time.perf_counter() - t:.1f} s", flush=True)


# ---- evaluation --------------------------------------------------------------------------------

HAND_SQL = """
WITH pers AS (
    SELECT p.id AS person_id, p.household_id, CAST(LEFT(p.id_number_index, 32) AS uuid) AS person
    FROM registry_person p JOIN registry_household h ON h.id = p.household_id
    WHERE h.county_code = %(county)s AND p.death_date IS NULL
),
cur AS (
    SELECT DISTINCT ON (f.source_id, f.person, t.record_key)
           pers.person_id, pers.household_id, f.source_id, f.active, f.amount_fen, f.period_start, f.period_end,
           t.detail
    FROM pers
    JOIN verification_fact f ON f.person = pers.person
    JOIN verification_fact_text t ON t.batch_id = f.batch_id AND t.number = f.text_number
    WHERE f.source_id IN (%(expense)s, %(disability)s, %(unemployment)s, %(employment)s, %(poverty)s)
    ORDER BY f.source_id, f.person, t.record_key, f.batch_id DESC, f.row_number DESC
),
c AS (SELECT * FROM cur WHERE active),
income AS (
    SELECT household_id, SUM(COALESCE(amount_fen, 0) * 12) AS yearly
    FROM c WHERE source_id IN (%(unemployment)s, %(employment)s) GROUP BY household_id
)
SELECT 'medical', person_id FROM c WHERE source_id = %(expense)s
GROUP BY person_id
HAVING SUM(CASE WHEN (period_end IS NULL OR period_end >= %(since)s)
                 AND (period_start IS NULL OR period_start <= %(on)s)
                THEN amount_fen ELSE 0 END) >= 5000000
UNION ALL
SELECT DISTINCT 'severe_disability', person_id FROM c
WHERE source_id = %(disability)s AND period_start >= %(new365)s AND (detail LIKE '%%一级%%' OR detail LIKE '%%二级%%')
UNION ALL
SELECT DISTINCT 'unemployed', person_id FROM c WHERE source_id = %(unemployment)s AND period_start >= %(new180)s
UNION ALL
SELECT DISTINCT 'poverty', person_id FROM c WHERE source_id = %(poverty)s
UNION ALL
SELECT 'low_income', head.id FROM income
JOIN registry_household h ON h.id = income.household_id
JOIN LATERAL (
    SELECT COUNT(*) AS size FROM registry_person m WHERE m.household_id = h.id AND m.death_date IS NULL
) s ON true
JOIN LATERAL (
    SELECT m.id FROM registry_person m WHERE m.household_id = h.id AND m.death_date IS NULL
    ORDER BY (m.relation = 'self') DESC, m.id LIMIT 1
) head ON true
WHERE s.size > 0
  AND income.yearly * 1000 < 1200 * (CASE WHEN h.urban_rural = 'urban' THEN %(urban)s ELSE %(rural)s END) * s.size * 12
"""


def evaluate() -> None:
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.monitoring import warnings as w
    from jiuzhu.monitoring.models import GridTask, MonitoringRule, Warning
    from jiuzhu.verification.effects import WINDOW_DAYS, Catalog
    from jiuzhu.verification.models import Source

    on = timezone.localdate()
    catalog = Catalog()
    rules = list(MonitoringRule.objects.filter(county_code=COUNTY).in_force(on).order_by("code"))

    # 1. the application's rule evaluation (one statement per rule) vs one hand-written query
    def app_run() -> tuple[float, set[tuple[str, int]]]:
        t = time.perf_counter()
        out = {(r.code, h.person_id) for r in rules for h in w.hits_of(r, on, catalog)}
        return time.perf_counter() - t, out

    ids = dict(Source.objects.values_list("code", "id"))
    urban, rural = w._standards(COUNTY, on)
    params = {
        "county": COUNTY,
        "expense": ids["yibao.expense"],
        "disability": ids["canlian.disability"],
        "unemployment": ids["renshe.unemployment"],
        "employment": ids["renshe.employment"],
        "poverty": ids["fupin.monitoring"],
        "since": on - dt.timedelta(days=WINDOW_DAYS),
        "on": on,
        "new365": on - dt.timedelta(days=365),
        "new180": on - dt.timedelta(days=180),
        "urban": urban,
        "rural": rural,
    }

    def hand_run() -> tuple[float, set[tuple[str, int]]]:
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(HAND_SQL, params)
            out = {(code, pid) for code, pid in cur.fetchall()}
        return time.perf_counter() - t, out

    hand_run()  # warm the cache once for both
    runs = []
    for _ in range(2):
        a, app_hits = app_run()
        h, hand_hits = hand_run()
        runs.append((a, h))
    if app_hits != hand_hits:
        only_app, only_hand = app_hits - hand_hits, hand_hits - app_hits
        raise SystemExit(f"MISMATCH: {len(only_app)} only in the application, {len(only_hand)} only by hand")
    a, h = min(r[0] for r in runs), min(r[1] for r in runs)
    by_rule: dict[str, int] = {}
    for code, _ in app_hits:
        by_rule[code] = by_rule.get(code, 0) + 1
    print(f"\n== 1. rule evaluation: {len(rules)} rules, {len(app_hits):,} hits {by_rule}")
    print(f"application (hits_of, one statement per rule): {a:.2f} s (best of 2)")
    print(f"one hand-written SQL query, same hits          : {h:.2f} s (best of 2)")
    print(f"RATIO application / hand-written = {a / h:.2f}   (target <= 2)")

    # 2. the real evaluation: rules, deduplication, warnings and tasks in one transaction
    timed = {"rules": 0.0}
    hits_of = w.hits_of

    def timed_hits_of(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return hits_of(*args, **kwargs)
        finally:
            timed["rules"] += time.perf_counter() - t

    w.hits_of = timed_hits_of  # type: ignore[assignment]  # measures, changes nothing
    t = time.perf_counter()
    result = w.evaluate_warnings(COUNTY, by=SystemActor("基准测试"), on=on)  # type: ignore[arg-type]
    total = time.perf_counter() - t
    w.hits_of = hits_of  # type: ignore[assignment]
    assert Warning.objects.count() == GridTask.objects.count() == result.created
    t = time.perf_counter()
    again = w.evaluate_warnings(COUNTY, by=SystemActor("基准测试"), on=on)  # type: ignore[arg-type]
    rerun = time.perf_counter() - t
    dedup = total - timed["rules"]
    print(
        f"\n== 2. evaluate_warnings: {result.hits:,} hits → {result.created:,} warnings and 核查任务, "
        f"skipped {result.skipped}"
    )
    print(f"total {total:.2f} s = rules {timed['rules']:.2f} s + deduplication and creation {dedup:.2f} s")
    print(
        f"deduplication + task creation: {result.created / dedup:,.0f} warnings/s; "
        f"for 50,000 warnings ≈ {50_000 / result.created * dedup:.1f} s (target <= 30 s)"
    )
    print(f"re-run (idempotent): {again.created} created in {rerun:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPEAK RSS of the evaluating process: {peak:.0f} MB (target <= 500 MB)")
    print(
        json.dumps(
            {
                "hits": len(app_hits),
                "app_s": a,
                "hand_s": h,
                "created": result.created,
                "dedup_s": dedup,
                "peak_mb": peak,
            }
        )
    )


if __name__ == "__main__":
    main()
