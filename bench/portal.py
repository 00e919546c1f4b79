"""Public pages under load (issue 18, "Performance"): the 公示 page of a village with 500 entries
and the 办理进度查询 (receipt number + ID number), at 200 concurrent clients on loopback.

The production stack of ``bench/load.py`` (gunicorn sync workers, WhiteNoise, DEBUG off,
PostgreSQL) serves the demo data plus 500 households of one village whose cases are in their
公示 period. Each client loops: the village's 公示 page, a status query (half of them for a real
receipt and ID, half for an unknown receipt: the same answer and the same work), and a static
file served by the same server as the baseline in the same run; think time 0.5–1.5 s. Every
status query comes from its own loopback address (127.1.x.y), as 200 people would, so the
per-address rate limit (10 queries in 10 minutes) is not what is measured.

Target: p95 <= 100 ms with 200 concurrent clients, no errors.

Usage: python bench/portal.py [--entries N] [--users 200] [--seconds 30] [--database NAME]
Database ``jiuzhu_bench_portal`` (or ``--database``) on 127.0.0.1 (created and dropped here).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import PG_ADMIN_URL, ROOT, WORKERS, environment, percentile, request, start_server, stop_server

sys.path.insert(0, str(ROOT))
DATABASE = "jiuzhu_bench_portal"
VILLAGE = "370405101202"  # 张山子镇 侯孟村


def prepare(entries: int) -> None:
    """The demo, then ``entries`` households of one village with a case in its 公示 period (bulk
    rows: the bench measures reading them, not the procedure that leads there)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import datetime as dt

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from jiuzhu.accounts.models import User
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.applications.models import Application, Intake
    from jiuzhu.registry import importer
    from jiuzhu.registry.models import Household, Person
    from jiuzhu.web import demo

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    demo.load_demo()
    gen = demo._Generator(seed=18)
    rows = []
    for ref in range(1, entries + 1):
        members, _ = gen.household("370405")
        for m in members:
            rows.append((len(rows) + 2, {"household_ref": f"P{ref}", "area_code": VILLAGE, "address": f"{ref}号", **m}))
    importer.import_rows(rows, by=SystemActor("压力测试"), source="bench-portal")
    clerk = User.objects.get(username="tez_zhangshanzi")
    now, today = timezone.now(), timezone.localdate()
    households = list(Household.objects.filter(area__code=VILLAGE).order_by("-id")[:entries])
    heads = dict(Person.objects.filter(household__in=households, relation="self").values_list("household_id", "id"))
    intakes = Intake.objects.bulk_create(
        [
            Intake(
                receipt_number=f"BP{i:07d}",
                household_id=h.pk,
                applicant_id=heads[h.pk],
                channel="window",
                area_code=VILLAGE,
                created_by=clerk,
                created_at=now,
            )
            for i, h in enumerate(households)
            if h.pk in heads
        ]
    )
    Application.objects.bulk_create(
        [
            Application(
                number=f"BPQ{i:07d}",
                intake=intake,
                household_id=intake.household_id,
                applicant_id=intake.applicant_id,
                program="dibao",
                channel="window",
                state="publicizing",
                area_code=VILLAGE,
                county_code="370405",
                urban=False,
                accepted_by=clerk,
                accepted_at=now,
                due_on=today + dt.timedelta(days=10),
                proposed_amount_fen=30_000 + 100 * (i % 50),
                publicity_start=today - dt.timedelta(days=2),
                publicity_end=today + dt.timedelta(days=5),
            )
            for i, intake in enumerate(intakes)
        ]
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    n = Application.objects.filter(area_code=VILLAGE, state="publicizing").count()
    print(f"data: {n} cases of village {VILLAGE} in their 公示 period", flush=True)


def targets() -> dict[str, list[list[str]]]:
    """(receipt number, ID number) pairs of the bench's cases."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from jiuzhu.applications.models import Intake
    from jiuzhu.registry.pii import unseal

    pairs = [
        [i.receipt_number, unseal("id_number", i.applicant.id_number_enc)]
        for i in Intake.objects.filter(receipt_number__startswith="BP").select_related("applicant")[:300]
    ]
    return {"pairs": pairs}


async def client_loop(
    port: int,
    pairs: list[list[str]],
    static: str,
    until: float,
    addresses: itertools.count[int],
    results: dict[str, list[float]],
    errors: dict[str, int],
    rng: random.Random,
) -> None:
    cookies: dict[str, str] = {}
    _, _, page = await request(port, "GET", "/public/status/", cookies)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the status page"
    await asyncio.sleep(rng.uniform(0, 1.5))
    while time.perf_counter() < until:
        receipt, id_number = rng.choice(pairs)
        if rng.random() < 0.5:
            receipt = "BP9" + receipt[3:]  # unknown receipt: the same answer, the same work
        form = urlencode(
            {"csrfmiddlewaretoken": token.group(1).decode(), "receipt_number": receipt, "id_number": id_number}
        )
        n = next(addresses)
        for name, method, path, body, source in (
            ("公示 page (500 entries)", "GET", f"/public/gongshi/{VILLAGE}/", b"", None),
            ("status query", "POST", "/public/status/", form.encode(), f"127.1.{n // 250 % 250}.{n % 250 + 1}"),
            ("static file (baseline)", "GET", static, b"", None),
        ):
            t0 = time.perf_counter()
            try:
                status, _, _ = await request(port, method, path, dict(cookies), body, source)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - t0
            if status == 200:
                results[name].append(elapsed)
            else:
                errors[name] += 1
            await asyncio.sleep(rng.uniform(0.5, 1.5))


async def run_clients(port: int, users: int, seconds: float, pairs: list[list[str]], static: str) -> bool:
    names = ["公示 page (500 entries)", "status query", "static file (baseline)"]
    results: dict[str, list[float]] = {n: [] for n in names}
    errors = dict.fromkeys(names, 0)
    # The workers boot after the port opens: the clock starts once every worker has answered.
    await asyncio.gather(*[request(port, "GET", f"/public/gongshi/{VILLAGE}/", {}) for _ in range(2 * WORKERS)])
    until = time.perf_counter() + seconds
    rng = random.Random(users)
    addresses = itertools.count()
    await asyncio.gather(
        *[
            client_loop(port, pairs, static, until, addresses, results, errors, random.Random(rng.random()))
            for _ in range(users)
        ]
    )
    print(f"\n### {users} concurrent clients, {seconds:.0f} s (think time 0.5–1.5 s)")
    print(f"{'page':26} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    base95 = percentile(results[names[-1]], 95) * 1000
    for name in names:
        t = results[name]
        p95 = percentile(t, 95) * 1000
        ratio = f"  ({p95 / base95:.1f}x static)" if name != names[-1] else ""
        print(
            f"{name:26} {len(t):>8} {errors[name]:>6} {percentile(t, 50) * 1000:>8.1f} {p95:>8.1f} "
            f"{percentile(t, 99) * 1000:>8.1f}{ratio}"
        )
    worst = max(percentile(results[n], 95) for n in names[:2]) * 1000
    ok = worst <= 100 and not sum(errors.values())
    print(
        f"target p95 <= 100 ms, no errors, at {users} clients: {'met' if ok else 'NOT met'} (worst p95 {worst:.1f} ms)"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--database", default=DATABASE, help="a database of its own (created and dropped)")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--targets", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.entries)
        return
    if args.targets:
        print(json.dumps(targets()))
        return

    import psycopg

    tmp = tempfile.mkdtemp(prefix="jiuzhu-portal-")
    database = args.database
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        parser.error("--database: lower-case letters, digits and _")
    env = environment(tmp, f"postgres://postgres@127.0.0.1:5432/{database}")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database}")
        conn.execute(f"CREATE DATABASE {database}")
    server = None
    try:
        print(f"load average at start: {os.getloadavg()[0]:.2f}")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--prepare", "--entries", str(args.entries)], env=env, check=True)
        out = subprocess.run(
            [sys.executable, __file__, "--targets"], env=env, check=True, capture_output=True, text=True
        )
        pairs = json.loads(out.stdout.strip().splitlines()[-1])["pairs"]
        print(f"prepared in {time.perf_counter() - t0:.0f} s")
        server, port, static = start_server(env, tmp)
        print(f"server: gunicorn, PostgreSQL, DEBUG off; static baseline {static}")
        asyncio.run(run_clients(port, args.users, args.seconds, pairs, static))
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    finally:
        stop_server(server)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


if __name__ == "__main__":
    main()
