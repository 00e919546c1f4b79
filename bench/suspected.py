"""疑似困难人员名单 benchmark (issue 17 item 2): one department list processed end to end.

Imports H households (default 50,000) of 台儿庄区 through the registry pipeline, then a 医保
list of one row per household head (every ``--unknown-every``-th row an ID the registry does
not know, every ``--dup-every``-th person listed twice) loaded through the real ingest, and
times ``monitoring.suspected.process_list``: matching by blind index (one SQL statement),
scoring, deduplication (REG-6) and the creation of the warnings and their 核查任务 — next to
the bare SQL join of the batch's rows to the registry, measured in the same run. Issue 17's
target for deduplication and task creation of 50,000 warnings: ≤ 30 s.

Usage: python bench/suspected.py [--households N] [--engine sqlite|postgresql]
PostgreSQL uses database ``jiuzhu_bench_suspected`` on 127.0.0.1 (created and dropped here).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_URL = "postgres://postgres@127.0.0.1:5432/jiuzhu_bench_suspected"
CHUNK_HOUSEHOLDS = 10_000


def run_engine(engine: str, args: argparse.Namespace) -> None:
    env = dict(
        os.environ,
        JIUZHU_MASTER_KEY="YmVuY2gta2V5LWZvci1qaXV6aHUtYmVuY2htYXJrMzI=",
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        JIUZHU_VAR_DIR=tempfile.mkdtemp(prefix="jiuzhu-bench-"),
    )
    if engine == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiuzhu_bench_suspected")
            conn.execute("CREATE DATABASE jiuzhu_bench_suspected")
        env["DATABASE_URL"] = PG_BENCH_URL
    else:
        env.pop("DATABASE_URL", None)
    cmd = [sys.executable, __file__, "--worker", "--households", str(args.households)]
    cmd += ["--unknown-every", str(args.unknown_every), "--dup-every", str(args.dup_every)]
    try:
        subprocess.run(cmd, env=env, check=True)
    finally:
        if engine == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS jiuzhu_bench_suspected")


def worker(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.core.idnumber import make_id_number
    from jiuzhu.monitoring.models import GridTask, Warning
    from jiuzhu.monitoring.suspected import _person_join, process_list
    from jiuzhu.registry import importer
    from jiuzhu.verification.actions import receive_batch
    from jiuzhu.verification.catalog import sync_catalog
    from jiuzhu.verification.effects import batch_filter
    from jiuzhu.verification.ingest import process_batch
    from jiuzhu.verification.models import Source
    from jiuzhu.web import demo

    call_command("migrate", verbosity=0)
    demo.load_areas()
    demo.load_departments()
    demo.load_users()
    sync_catalog()
    actor = SystemActor("基准测试")
    villages = list(demo.Area.objects.filter(level="village", code__startswith="370405").values_list("code", flat=True))
    gen = demo._Generator(seed=11)
    heads: list[str] = []
    t0 = time.perf_counter()
    ref = 0
    for start in range(0, args.households, CHUNK_HOUSEHOLDS):
        rows = []
        for _ in range(min(CHUNK_HOUSEHOLDS, args.households - start)):
            ref += 1
            village = villages[ref % len(villages)]
            members, _ = gen.household("370405")
            heads.append(members[0]["id_number"])
            for m in members:
                rows.append(
                    (
                        len(rows) + 2,
                        {"household_ref": str(ref), "area_code": village, "address": f"{ref}号", **m},
                    )
                )
        importer.import_rows(rows, by=actor, source="bench")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"\n## {connection.vendor}: {args.households:,} households imported in {time.perf_counter() - t0:.0f} s")

    source = Source.objects.get(code="yibao.suspected")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(source.current_schema.headers)
    import datetime as dt

    listed = str(dt.date.today() - dt.timedelta(days=3))
    heads = list(dict.fromkeys(heads))  # the demo generator repeats an ID now and then
    for n, id_number in enumerate(heads):
        if args.unknown_every and n % args.unknown_every == 0:  # another county's code: never registered here
            id_number = make_id_number("370481", dt.date(1940, 1, 1) + dt.timedelta(days=n // 500), 2 * (n % 500), "M")
        w.writerow(["", id_number, "高额医疗自付", "12000", listed])
        if args.dup_every and n % args.dup_every == 1:
            w.writerow(["", id_number, "大病住院", "", listed])
    data = out.getvalue().encode()
    batch, _ = receive_batch(source, [data], by=actor, filename="bench.csv", county_code="370405")
    t0 = time.perf_counter()
    process_batch(batch.pk)
    batch.refresh_from_db()
    print(f"ingest          : {batch.rows_loaded:,} rows in {time.perf_counter() - t0:.1f} s ({batch.status})")
    assert batch.status == "loaded", (batch.message, batch.errors[:3])

    where, params = batch_filter(batch)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT f.row_number, f.person, t.category, p.id, p.household_id, h.area_id FROM verification_fact f "
            f"JOIN verification_fact_text t ON t.batch_id = f.batch_id AND t.number = f.text_number "
            f"LEFT JOIN registry_person p ON {_person_join()} "
            f"LEFT JOIN registry_household h ON h.id = p.household_id WHERE {where}",
            params,
        )
        joined = len(cur.fetchall())
    bare = time.perf_counter() - t0
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    report = process_list(batch, by=actor)
    took = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert report is not None
    print(f"bare join       : {joined:,} rows in {bare:.2f} s")
    print(
        f"process_list    : {took:.1f} s — rows {report.rows:,}, persons {report.persons:,}, "
        f"duplicates {report.duplicates:,}, matched {report.matched:,}, unknown {report.unknown:,}, "
        f"warnings + tasks created {report.created:,} (target ≤ 30 s for 50,000)"
    )
    print(f"peak RSS        : {rss1 / 1024:.0f} MB (grew {max(rss1 - rss0, 0) / 1024:.0f} MB in process_list)")
    assert Warning.objects.count() == GridTask.objects.count() == report.created
    t0 = time.perf_counter()
    again = process_list(batch, by=actor)
    same = again is not None and again.pk == report.pk
    print(f"processed again : {time.perf_counter() - t0:.2f} s, nothing new ({same})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--unknown-every", type=int, default=10)
    parser.add_argument("--dup-every", type=int, default=20)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    run_engine(args.engine, args)


if __name__ == "__main__":
    main()
