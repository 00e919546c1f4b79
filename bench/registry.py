"""Registry benchmark (issue: Foundation — performance).

Creates N households (default 200,000, ~3 persons each) on SQLite and on PostgreSQL and
reports, each next to a baseline measured in the same process:

1. bulk import rate (persons/s) through the real import pipeline (validation, ID checks,
   AES-GCM + blind index, jurisdiction, audit) vs. a raw COPY (PostgreSQL) / executemany
   (SQLite) of the very same prepared rows — target ratio >= 0.3;
2. ID-number lookup p50/p99 through ``lookup_person`` (normalize, validate, blind index,
   jurisdiction) vs. a bare indexed SELECT on the blind index — target <= 3x;
3. household list page server time p95 for a county user at that size — target <= 100 ms.

Usage: python bench/registry.py [--households N] [--engine sqlite|postgresql|both]
PostgreSQL uses database ``jiuzhu_bench`` on 127.0.0.1 (created and dropped here).
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_URL = "postgres://postgres@127.0.0.1:5432/jiuzhu_bench"
CHUNK_HOUSEHOLDS = 10_000  # one "file" per chunk: what a town sends at once


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_engine(engine: str, households: int) -> None:
    env = dict(
        os.environ,
        JIUZHU_MASTER_KEY="YmVuY2gta2V5LWZvci1qaXV6aHUtYmVuY2htYXJrMzI=",
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    )
    tmp = tempfile.mkdtemp(prefix="jiuzhu-bench-")
    env["JIUZHU_VAR_DIR"] = tmp
    if engine == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiuzhu_bench")
            conn.execute("CREATE DATABASE jiuzhu_bench")
        env["DATABASE_URL"] = PG_BENCH_URL
    else:
        env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, __file__, "--worker", "--households", str(households)], env=env, check=True)
    if engine == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiuzhu_bench")


def worker(households: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.registry import importer
    from jiuzhu.registry.models import Household, Person
    from jiuzhu.registry.pii import blind_index
    from jiuzhu.registry.queries import lookup_person
    from jiuzhu.web import demo

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # pages render hashed static names outside DEBUG
    demo.load_areas()
    demo.load_departments()
    demo.load_users()
    engine = connection.vendor
    actor = SystemActor("基准测试")
    villages = [
        c for c in demo.Area.objects.filter(level="village", code__startswith="370405").values_list("code", flat=True)
    ]

    gen = demo._Generator(seed=7)
    print(f"\n## {engine}: {households:,} households")

    # 1. Import through the pipeline, chunk by chunk, vs raw insert of the same prepared rows.
    pipeline_s = 0.0
    persons_total = 0
    all_ids: list[str] = []
    ref = 0
    for start in range(0, households, CHUNK_HOUSEHOLDS):
        rows = []
        for _ in range(min(CHUNK_HOUSEHOLDS, households - start)):
            ref += 1
            village = villages[ref % len(villages)]
            members, _ = gen.household("370405")
            for m in members:
                rows.append(
                    (len(rows) + 2, {"household_ref": str(ref), "area_code": village, "address": f"{ref}号", **m})
                )
                all_ids.append(m["id_number"])
        t0 = time.perf_counter()
        result = importer.import_rows(rows, by=actor, source="bench")
        pipeline_s += time.perf_counter() - t0
        persons_total += result.persons
    rate = persons_total / pipeline_s
    print(f"import pipeline : {persons_total:,} persons in {pipeline_s:.1f} s = {rate:,.0f} persons/s")
    with connection.cursor() as cur:  # what autovacuum's auto-analyze does after a bulk load
        cur.execute("ANALYZE")

    # Baseline: the very rows the pipeline wrote (households, persons with their ciphertexts,
    # memberships), inserted again raw into the same tables (same indexes and constraints)
    # with fresh ids and blind indexes, inside a transaction that is rolled back.
    from django.db import transaction

    from jiuzhu.registry.importer import HOUSEHOLD_COLUMNS, MEMBERSHIP_COLUMNS, PERSON_COLUMNS
    from jiuzhu.registry.models import Membership

    hh = list(Household.objects.order_by("id").values_list(*[c for c in HOUSEHOLD_COLUMNS]))
    people = list(Person.objects.order_by("id").values_list(*[c for c in PERSON_COLUMNS]))
    ms = list(Membership.objects.order_by("id").values_list(*[c for c in MEMBERSHIP_COLUMNS]))
    h_off, p_off, m_off = hh[-1][0], people[-1][0], ms[-1][0]
    hh = [(r[0] + h_off, *r[1:]) for r in hh]
    index_col = PERSON_COLUMNS.index("id_number_index")
    people = [
        (r[0] + p_off, r[1] + h_off, *r[2:index_col], "z" + r[index_col][1:], *r[index_col + 1 :]) for r in people
    ]
    ms = [(r[0] + m_off, r[1] + p_off, r[2] + h_off, *r[3:]) for r in ms]
    tables = [
        (Household, HOUSEHOLD_COLUMNS, hh),
        (Person, PERSON_COLUMNS, people),
        (Membership, MEMBERSHIP_COLUMNS, ms),
    ]
    with transaction.atomic():
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            for model, columns, rows in tables:
                table, cols = model._meta.db_table, ", ".join(columns)
                if engine == "postgresql":
                    with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
            if engine == "postgresql":
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred FK checks, as at commit
        raw_s = time.perf_counter() - t0
        transaction.set_rollback(True)
    raw_rate = len(people) / raw_s
    label = "raw COPY" if engine == "postgresql" else "raw executemany"
    print(f"{label:16}: {len(people):,} persons in {raw_s:.1f} s = {raw_rate:,.0f} persons/s (same rows, same tables)")
    print(f"ratio pipeline/raw rate = {rate / raw_rate:.2f} (target >= 0.3)")

    # The baseline's half a million prepared tuples would otherwise sit in the heap and make
    # every garbage collection during the latency runs slow: drop them first.
    del hh, people, ms, tables
    gc.collect()

    # 2. ID lookup through the application vs a bare indexed query.
    from jiuzhu.accounts.models import User

    county_user = User.objects.get(username="tez_county")
    probe = [all_ids[i] for i in range(0, len(all_ids), max(1, len(all_ids) // 2000))][:2000]
    from jiuzhu.registry.queries import _LOOKUP_SQL

    # The bare query: the same SQL (columns, index, jurisdiction range), key precomputed.
    bare_sql = _LOOKUP_SQL + " AND area_code >= %s AND area_code <= %s"
    keys = {value: [blind_index("id_number", value), "370405000000", "370405999999"] for value in probe}
    app_times, bare_times = [], []
    with connection.cursor() as cur:
        # Both sides read the same index pages: one untimed pass warms the page cache for both,
        # then the two are timed alternately so neither profits from running second.
        for value in probe:
            lookup_person(county_user, value)
            cur.execute(bare_sql, keys[value])
            cur.fetchone()
        for value in probe:
            t0 = time.perf_counter()
            person = lookup_person(county_user, value)
            app_times.append(time.perf_counter() - t0)
            assert person is not None
            t0 = time.perf_counter()
            cur.execute(bare_sql, keys[value])
            cur.fetchone()
            bare_times.append(time.perf_counter() - t0)
    a50, a99 = percentile(app_times, 50) * 1000, percentile(app_times, 99) * 1000
    b50, b99 = percentile(bare_times, 50) * 1000, percentile(bare_times, 99) * 1000
    print(f"ID lookup app   : p50 {a50:.3f} ms  p99 {a99:.3f} ms")
    print(f"ID lookup bare  : p50 {b50:.3f} ms  p99 {b99:.3f} ms")
    print(f"ratio app/bare  = p50 {a50 / b50:.1f}x  p99 {a99 / b99:.1f}x (target <= 3x)")

    # 3. Household list page, server time, county user (sees all 200k).
    client = Client()
    client.force_login(county_user)
    last = max(1, (households + 19) // 20)
    pages = [1, 2, 10, 100, 1000, last // 2, last] * 10
    page_times = []
    for page in pages:
        t0 = time.perf_counter()
        r = client.get("/households/", {"page": page})
        page_times.append(time.perf_counter() - t0)
        assert r.status_code == 200
    town_times = []
    for page in pages:
        t0 = time.perf_counter()
        client.get("/households/", {"page": page, "area": "370405101000"})
        town_times.append(time.perf_counter() - t0)
    for label, times, note in [
        ("list page      ", page_times, " (county, all households; target p95 <= 100 ms)"),
        ("list page town ", town_times, ""),
    ]:
        p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
        print(f"{label}: p50 {p50:.1f} ms  p95 {p95:.1f} ms{note}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        worker(args.households)
        return
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        run_engine(engine, args.households)


if __name__ == "__main__":
    main()
