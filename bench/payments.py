"""Payments benchmark (issue 7), PostgreSQL.

With N approved 低保 cases (default 100,000) in 台儿庄区 it reports:
1. roster (花名册) generation through ``actions.generate_roster`` — the first month (which also
   builds each case's stored 测算基础 columns) and steady-state months — next to one
   set-based ``INSERT … SELECT`` into the same table that computes the same amounts in SQL
   from the cases' JSON facts (targets, issue 20: steady state ≤ 1.5×, first roster ≤ 2×; the amounts are
   compared). ``--pairs K`` (default 3) steady rosters of successive months each followed by the
   baseline, in turn, so a change in the machine's load weighs on both, and K first rosters (the stored
   测算基础 emptied before each but the first), each followed by the baseline too; both targets are
   judged on the median of the K ratios. Each timed step starts from a ``CHECKPOINT``;
2. bank-file export of the N lines and import of the bank's result file (5 % failures)
   (targets ≤ 10 s each).

Usage: python bench/payments.py [--cases N] [--pairs K] [--keep]
(BENCH_PROFILE=1 prints a cProfile of both rosters, the export and the import)
Uses database ``jiuzhu_bench_pay`` on 127.0.0.1 (created and dropped here).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
NAME = "jiuzhu_bench_pay"
URL = f"postgres://postgres@127.0.0.1:5432/{NAME}"

SQL_ROSTER = """
INSERT INTO payments_rosterline (roster_id, application_id, month, household_id, payee_id, program, area_code,
    members, amount_fen, previous_fen, basis_version, change, change_note, exceptions, status, resolution_note)
SELECT %(roster)s, a.id, %(month)s, a.household_id, a.applicant_id, a.program, a.area_code, f.size,
       CEIL(GREATEST(s.std * f.size - f.income, %(minimum)s * f.size) / %(unit)s::numeric) * %(unit)s,
       NULL, 0, 'new', '', '[]'::jsonb, 'pending', ''
FROM applications_application a
CROSS JOIN LATERAL (
    SELECT COUNT(*) AS size,
           COALESCE(SUM(w.wage - LEAST(FLOOR(w.wage * %(rate)s::numeric), %(cap)s)), 0) AS income
    FROM jsonb_array_elements(a.facts -> 'members') m
    CROSS JOIN LATERAL (SELECT COALESCE((m -> 'incomes' ->> 'wage')::bigint, 0) AS wage) w
) f
JOIN (VALUES (true, %(urban)s::bigint), (false, %(rural)s::bigint)) s (urban, std) ON s.urban = a.urban
WHERE a.county_code = '370405' AND a.state = 'approved' AND a.program = 'dibao'
"""


def worker(cases: int, pairs: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from jiuzhu.accounts.models import User
    from jiuzhu.applications.models import Application, Intake
    from jiuzhu.areas.models import Area
    from jiuzhu.core.idnumber import make_id_number
    from jiuzhu.payments import actions
    from jiuzhu.payments.models import CaseBasis, LedgerEntry, Roster, RosterLine, add_months
    from jiuzhu.programs.engine import parameter_store
    from jiuzhu.registry.models import Household, Person
    from jiuzhu.registry.pii import seal
    from jiuzhu.web import demo

    call_command("migrate", verbosity=0)
    demo.load_areas()
    demo.load_departments()
    demo.load_users()
    demo.load_demo_layouts()  # export needs the county's bank layout (issue 16)
    county, admin = User.objects.get(username="tez_county"), User.objects.get(username="tez_admin")
    villages = list(Area.objects.filter(level="village", code__startswith="370405").values_list("code", "urban_rural"))
    rng = random.Random(7)
    nov, dec = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    params = parameter_store()
    std = {u: params.lookup(f"dibao.standard.{u}", "370405", dec).internal for u in ("urban", "rural")}

    t0 = time.perf_counter()
    now = timezone.now()
    for start in range(0, cases, 10_000):
        n = min(10_000, cases - start)
        hh, people, intakes, apps = [], [], [], []
        for i in range(start, start + n):
            village, ur = villages[i % len(villages)]
            urban = ur == "urban"
            size = rng.randint(1, 4)
            members = []
            for k in range(size):
                member = {
                    "relation": "self" if k == 0 else "spouse" if k == 1 else "child",
                    "birth_date": f"{rng.randint(1968, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                }
                if k == 0 and rng.random() < 0.6:
                    member["incomes"] = {"wage": rng.randint(1, std["urban" if urban else "rural"] * size // 200) * 100}
                members.append(member)
            hh.append(
                Household(
                    area_id=village,
                    county_code="370405",
                    address=f"{i}号",
                    urban_rural=ur,
                    head_name=f"户主{i}",
                    member_count=size,
                )
            )
            apps.append((village, urban, {"urban": urban, "members": members}))
        Household.objects.bulk_create(hh, batch_size=5000)
        for i, h in enumerate(hh, start=start):
            id_number = make_id_number("370405", dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 28), i % 1000, "M")
            sid = seal("id_number", id_number, index=f"bench{i:012d}")
            acct = seal("bank_account", f"62284800{i:011d}")
            people.append(
                Person(
                    household=h,
                    relation="self",
                    area_code=h.area_id,
                    county_code="370405",
                    name=f"户主{i}",
                    gender="M",
                    birth_date=dt.date(1970, 1, 1),
                    id_number_enc=sid.encrypted,
                    id_number_index=sid.index,
                    id_number_masked=sid.masked,
                    bank_name="台儿庄农商银行",
                    bank_account_enc=acct.encrypted,
                    bank_account_index=acct.index,
                    bank_account_masked=acct.masked,
                )
            )
        Person.objects.bulk_create(people, batch_size=5000)
        for i, (h, p) in enumerate(zip(hh, people, strict=True), start=start):
            intakes.append(
                Intake(
                    receipt_number=f"B{i:08d}",
                    household=h,
                    applicant=p,
                    channel="window",
                    area_code=h.area_id,
                    created_at=now,
                )
            )
        Intake.objects.bulk_create(intakes, batch_size=5000)
        Application.objects.bulk_create(
            [
                Application(
                    number=f"BA{i:08d}",
                    intake=it,
                    household=h,
                    applicant=p,
                    program="dibao",
                    channel="window",
                    state="approved",
                    area_code=h.area_id,
                    county_code="370405",
                    urban=urban,
                    facts=facts,
                    due_on=nov,
                    decision="approved",
                    decided_at=now,
                    amount_fen=0,
                    start_month=nov,
                    review_cycle_months=6,
                )
                for i, (it, h, p, (_, urban, facts)) in enumerate(
                    zip(intakes, hh, people, apps, strict=True), start=start
                )
            ],
            batch_size=5000,
        )
    # Approval opens each case's 待遇 (payments.roster.open_benefit); these cases were approved in bulk.
    from jiuzhu.payments.roster import sync_benefits

    sync_benefits("370405")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"\n## postgresql: {cases:,} approved 低保 cases (loaded in {time.perf_counter() - t0:.0f} s)")

    def timed(fn, profile: bool = False):  # type: ignore[no-untyped-def]
        # Every timed step starts from a checkpoint: a step writes ~90-390 MB of WAL and the server
        # starts one every ~540 MB, so otherwise one falls inside some steps and not others (its page
        # writes, and the full-page images every first change of a page after it logs).
        with connection.cursor() as cur:
            cur.execute("CHECKPOINT")
        if profile and os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            prof = cProfile.Profile()
            t = time.perf_counter()
            out = prof.runcall(fn)
            took = time.perf_counter() - t
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
            pstats.Stats(prof).sort_stats("tottime").print_stats(15)
            return out, took
        if profile and os.environ.get("BENCH_QUERIES"):  # the slowest statements, with their time
            spent: list[tuple[float, str]] = []
            slowest: list[tuple[float, str, Any]] = [(0.0, "", None)]

            def clock(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
                t = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    took = time.perf_counter() - t
                    spent.append((took, " ".join(sql.split())[:160]))
                    if took > slowest[0][0] and sql.lstrip().upper().startswith("SELECT"):
                        slowest[0] = (took, sql, params)

            t = time.perf_counter()
            with connection.execute_wrapper(clock):
                out = fn()
            took = time.perf_counter() - t
            print(f"{len(spent)} statements, {sum(x for x, _ in spent):.2f} s of {took:.2f} s")
            for x, q in sorted(spent, reverse=True)[:12]:
                print(f"  {x:.3f} {q}")
            if os.environ.get("BENCH_EXPLAIN") and slowest[0][1]:  # the plan of the slowest SELECT
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[0][1], slowest[0][2])
                    print("\n".join(r[0] for r in cur.fetchall()))
            return out, took
        t = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t

    base_month = dt.date(2028, 1, 1)  # a month no roster of the bench has: lines are unique per case and month
    values = {
        "month": base_month,
        "urban": std["urban"],
        "rural": std["rural"],
        "minimum": params.lookup("dibao.min_per_person", "370405", dec).internal,
        "unit": params.lookup("rounding.benefit.unit_fen", "370405", dec).internal,
        "rate": str(params.lookup("income.employment_cost.rate", "370405", dec).value),
        "cap": params.lookup("income.employment_cost.cap", "370405", dec).internal,
    }
    from django.db import transaction

    def baseline_run(profile: bool) -> tuple[Roster, float]:
        baseline = Roster.objects.create(area_code="370405101000", county_code="370405", month=base_month)

        def sql() -> None:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(SQL_ROSTER, {**values, "roster": baseline.pk})

        _, took = timed(sql, profile)
        return baseline, took

    def drop(baseline: Roster) -> None:
        RosterLine.objects.filter(roster=baseline).delete()
        baseline.delete()

    # First rosters, each followed by the baseline: November's, then (the stored 测算基础 emptied
    # before each) rosters of months after the baseline's, so every one builds all the bases and
    # none has last month's lines. Judged like the steady state, on the median of the pairs.
    firsts: list[tuple[float, float]] = []
    first_months = [nov] + [add_months(base_month, 1 + k) for k in range(pairs - 1)]
    first: Roster | None = None  # November's, whose line count the table prints
    for k, first_month in enumerate(first_months):
        if k:
            with connection.cursor() as cur:
                cur.execute(f"TRUNCATE {CaseBasis._meta.db_table}")
        roster, t_first = timed(
            lambda m=first_month: actions.generate_roster(by=county, area_code="370405", month=m), k == 0
        )
        if k == 0:
            first = roster
        baseline, t_base = baseline_run(False)
        drop(baseline)
        firsts.append((t_first, t_base))
    assert first is not None
    first_ratios = sorted(a / b for a, b in firsts)
    first_median = first_ratios[len(first_ratios) // 2]

    # Steady-state rosters of successive months, each followed by the baseline, so a change in the
    # machine's load weighs on both; the targets are judged on the median of the pairs' ratios.
    measured: list[tuple[float, float]] = []
    month, second = dec, None
    for k in range(pairs):
        steady, t_steady = timed(
            lambda m=month: actions.generate_roster(by=county, area_code="370405", month=m), k == 0
        )
        baseline, t_base = baseline_run(k == 0)
        if k == 0:
            second, t_roster, t_sql = steady, t_steady, t_base
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT COUNT(*), COUNT(*) FILTER (WHERE a.amount_fen <> b.amount_fen) FROM payments_rosterline a "
                    "JOIN payments_rosterline b ON a.application_id = b.application_id "
                    "WHERE a.roster_id = %s AND b.roster_id = %s",
                    [second.pk, baseline.pk],
                )
                matched, different = cur.fetchone()
        drop(baseline)
        measured.append((t_steady, t_base))
        month = add_months(month, 1)
    assert second is not None
    ratios = sorted(a / b for a, b in measured)
    median = ratios[len(ratios) // 2]

    actions.check_roster(second, by=county)
    actions.request_lock(second, by=county)
    actions.confirm_lock(second, by=admin)
    (batch, content, _name), t_export = timed(lambda: actions.export_bank_file(second, by=county), True)
    reader = csv.reader(io.StringIO(content.decode("gb18030")))
    next(reader)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["业务编号", "银行账号", "金额", "处理结果", "失败原因"])
    for row in reader:
        ok = rng.random() >= 0.05
        w.writerow([row[1], row[4], row[5], "成功" if ok else "失败", "" if ok else "账户状态异常"])
    result = out.getvalue().encode("gb18030")
    report, t_import = timed(
        lambda: actions.import_bank_results(batch, by=county, file_name="回盘.csv", data=result), True
    )
    assert LedgerEntry.objects.filter(kind="payment", roster=second).count() == report.paid

    n = second.line_count
    print()
    print("| figure | result | target |")
    print("|---|---|---|")
    print(
        f"| first roster (also builds 测算基础 for every case), {first.line_count:,} lines | {firsts[0][0]:.2f} s | — |"
    )
    print(f"| roster generation, steady state, {n:,} lines | {t_roster:.2f} s | — |")
    print(f"| one set-based `INSERT … SELECT` of the same amounts (JSON facts in SQL) | {t_sql:.2f} s | — |")
    print(
        f"| ratio generation / INSERT … SELECT, first pair | {t_roster / t_sql:.2f}× (amounts equal: "
        f"{matched - different:,}/{matched:,}) | — |"
    )
    listed = ", ".join(f"{a:.2f} / {b:.2f} s = {a / b:.2f}×" for a, b in measured)
    print(f"| steady roster / INSERT … SELECT, {len(measured)} pairs in turn | {listed} | — |")
    print(f"| **ratio generation / INSERT … SELECT, median of the pairs** | **{median:.2f}×** | ≤ 1.5× |")
    listed = ", ".join(f"{a:.2f} / {b:.2f} s = {a / b:.2f}×" for a, b in firsts)
    print(f"| first roster / INSERT … SELECT, {len(firsts)} pairs in turn | {listed} | — |")
    print(f"| **ratio first roster / INSERT … SELECT, median of the pairs** | **{first_median:.2f}×** | ≤ 2× |")
    print(
        f"| bank-file export, {batch.line_count:,} rows (CSV, decrypt accounts and ID numbers, audit) | "
        f"{t_export:.2f} s | ≤ 10 s |"
    )
    print(f"| bank-result import, {report.paid:,} paid + {report.failed:,} failed | {t_import:.2f} s | ≤ 10 s |")
    if os.environ.get("BENCH_PROFILE"):
        with connection.cursor() as cur:
            cur.execute(
                "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                "WHERE relname IN ('payments_rosterline', 'payments_bankline')"
            )
            print("updates (table, all, HOT):", cur.fetchall())
    if different:
        raise SystemExit(f"{different} amounts differ between the roster and the SQL baseline")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--pairs", type=int, default=3, help="steady rosters, each followed by the baseline")
    parser.add_argument("--keep", action="store_true", help=f"keep database {NAME} afterwards (to EXPLAIN by hand)")
    args = parser.parse_args()
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    if args.worker:
        worker(args.cases, args.pairs)
        return
    import psycopg

    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {NAME}")
        conn.execute(f"CREATE DATABASE {NAME}")
    env = dict(
        os.environ,
        DATABASE_URL=URL,
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",  # the test client speaks plain HTTP
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),  # production mode needs a key of its own
        JIUZHU_VAR_DIR=tempfile.mkdtemp(),
        JIUZHU_MASTER_KEY="YmVuY2gta2V5LWZvci1qaXV6aHUtYmVuY2htYXJrMzI=",
    )
    try:
        subprocess.run(
            [sys.executable, __file__, "--worker", "--cases", str(args.cases), "--pairs", str(args.pairs)],
            env=env,
            check=True,
        )
    finally:
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {NAME}")


if __name__ == "__main__":
    main()
