"""The list pages and the intake API under load (issue 20 item 3): case list, county household
list, overdue board, and the intake (受理) API with its receipt PDF.

A county (台儿庄区) with N cases (default 10,000; ``--cases 100000`` for the issue's figure) and
about 2.2 households per case (600,000 persons at 100,000 cases) is bulk-loaded (households
through the real import pipeline, cases as bulk rows, then ``VACUUM ANALYZE`` / ``ANALYZE`` as
autovacuum would), and the production server (gunicorn sync workers, WhiteNoise, DEBUG off, as
``bench/load.py`` starts it) serves it. C concurrent clients (default 10: half logged in as the
张山子镇 town clerk, half as the county officer) loop over the three pages with a think time
(0.5–1.5 s, a person at a screen; ``--think 0`` for a closed loop); the town clerk's clients also
accept one application per loop through the API (``POST /api/v1/applications``, one-ID intake of a
household of the town without a case, with its signed receipt PDF; ``--no-intake``: pages only).

Baseline, in the same run: the **bare SQL each page needs** — the same rows (count, the page's
rows with their joins; for the board its counts per town and per clerk and its two lists),
hand-written indexed queries on a DB cursor of this process; for the intake, the very statements
one intake ran (captured from an intake made in this process and rolled back, replayed with their
parameters in a transaction that is rolled back; the few inserts of a number a real intake took
since run in a savepoint and their conflict is skipped) — driven by as many threads with the same pages
and the same think time. Page phases and bare phases alternate (``--rounds``) so a
change in the machine's load weighs on both. Printed per user and page: requests, errors,
p50/p95 of the page, p50/p95 of its bare SQL, and the p95 ratio (target: page p95 <= 150 ms and
<= 3x its bare SQL). The load average (``/proc/loadavg``) is printed at the start and the end.

Usage: python bench/pages.py [--engine postgresql|sqlite] [--cases N] [--clients C]
       [--seconds S] [--rounds R] [--think T] [--database NAME] [--keep] [--no-intake]
       [--profile PAGE|all]
PostgreSQL: database ``jiuzhu_bench_pages`` (or ``--database``) on 127.0.0.1, created and
dropped here (``--keep``: kept, and reused by the next run with ``--keep``; drop it yourself).
SQLite: a file in a temporary directory. ``--profile``: instead of the load run, the time of each
page in SQL and in the rest (one process, no concurrency) and a cProfile of the page.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import PG_ADMIN_URL, ROOT, WORKERS, environment, login, percentile, request, start_server, stop_server

sys.path.insert(0, str(ROOT))
DATABASE = "jiuzhu_bench_pages"
COUNTY = "370405"
USERS = ("tez_zhangshanzi", "tez_county")  # a town clerk (one town) and the county officer (all)
PAGES = ("case list", "household list", "overdue board")
INTAKE = "intake API"
INTAKE_PATH = "/api/v1/applications"
HOUSEHOLDS_PER_CASE = 2.23  # the generator's ~2.7 persons a household: 600,000 persons at 100,000 cases


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---- data (a child process with the bench environment) ---------------------------------------


def prepare(cases: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from jiuzhu.accounts.models import User
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.applications.models import Application, CaseDeadline, Intake
    from jiuzhu.registry import importer
    from jiuzhu.registry.models import Household, Person
    from jiuzhu.web import demo

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # hashed static names outside DEBUG
    demo.load_areas()
    demo.load_departments()
    demo.load_users()
    villages = list(demo.Area.objects.filter(level="village", code__startswith=COUNTY).values_list("code", flat=True))
    households = round(cases * HOUSEHOLDS_PER_CASE)
    gen = demo._Generator(seed=20)
    t0 = time.perf_counter()
    persons = 0
    for start in range(0, households, 10_000):
        rows = []
        for ref in range(start + 1, min(households, start + 10_000) + 1):
            members, _ = gen.household(COUNTY)
            village = villages[ref % len(villages)]
            rows += [
                (len(rows) + 2 + i, {"household_ref": str(ref), "area_code": village, "address": f"{ref}号", **m})
                for i, m in enumerate(members)
            ]
        persons += importer.import_rows(rows, by=SystemActor("基准测试"), source="bench-pages").persons
    loaded = time.perf_counter() - t0

    # One case a household for the first N households: states spread over the procedure, the
    # case's overall deadline (办结时限) half past, met for the closed ones (~25 % overdue).
    t0 = time.perf_counter()
    clerks = {u.area_id[:9]: u for u in User.objects.filter(role="town_clerk")}
    county = User.objects.get(username="tez_county")
    now, today = timezone.now(), timezone.localdate()
    states = ["accepted", "investigating", "reviewing", "publicizing", "approved", "approved", "approved", "rejected"]
    heads = dict(Person.objects.filter(relation="self").values_list("household_id", "id"))
    hh = [(h, a) for h, a in Household.objects.order_by("id").values_list("id", "area_id")[:cases] if h in heads]
    intakes = Intake.objects.bulk_create(
        [
            Intake(
                receipt_number=f"BG{i:08d}",
                household_id=h,
                applicant_id=heads[h],
                channel="window",
                area_code=a,
                created_by=clerks.get(a[:9], county),
                created_at=now,
            )
            for i, (h, a) in enumerate(hh)
        ],
        batch_size=5000,
    )
    apps = Application.objects.bulk_create(
        [
            Application(
                number=f"BGQ{i:08d}",
                intake=intake,
                household_id=intake.household_id,
                applicant_id=intake.applicant_id,
                program="dibao",
                channel="window",
                state=states[i % len(states)],
                area_code=intake.area_code,
                county_code=COUNTY,
                urban=False,
                accepted_by=clerks.get(intake.area_code[:9], county),
                accepted_at=now,
                due_on=today + dt.timedelta(days=10 - (i % 20)),
            )
            for i, intake in enumerate(intakes)
        ],
        batch_size=5000,
    )
    CaseDeadline.objects.bulk_create(
        [
            CaseDeadline(
                application=a,
                step="overall",
                label="办结时限",
                started_on=today,
                due_on=a.due_on,
                area_code=a.area_code,
                met_on=today if a.state in ("approved", "rejected") else None,
                clerk_id=a.accepted_by_id,
            )
            for a in apps
        ],
        batch_size=5000,
    )
    with connection.cursor() as cur:  # what autovacuum does after a bulk load
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    overdue = CaseDeadline.objects.overdue().count()
    print(
        f"data ({connection.vendor}): {households:,} households, {persons:,} persons in {loaded:.0f} s; "
        f"{len(apps):,} cases, {overdue:,} open overdue steps in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )


# ---- the bare SQL each page needs ------------------------------------------------------------


def _page_bounds(count: int, page: int, per_page: int) -> tuple[bool, int, int]:
    """(read from the far end?, offset, limit): deep pages are read from the nearer end, as the
    application's paginator does, so the baseline is not penalised by a long OFFSET."""
    bottom = (page - 1) * per_page
    top = min(bottom + per_page, count)
    if bottom > count // 2:
        return True, count - top, top - bottom
    return False, bottom, top - bottom


OVERDUE = "d.met_on IS NULL AND NOT d.paused AND ((d.due_at IS NULL AND d.due_on < %s) OR d.due_at < %s)"
SOON = (
    "d.met_on IS NULL AND NOT d.paused AND (d.due_at IS NULL OR d.due_at >= %s) AND d.due_on >= %s AND d.due_on <= %s"
)


def bare_case_list(cur: Any, low: str, high: str, page: int, today: Any, now: Any) -> int:
    cur.execute("SELECT COUNT(*) FROM applications_application WHERE area_code >= %s AND area_code <= %s", [low, high])
    count = cur.fetchone()[0]
    far, offset, limit = _page_bounds(count, page, 20)
    cur.execute(  # the page's ids from the index, then their rows with the joins
        "WITH page AS (SELECT id FROM applications_application WHERE area_code >= %s AND area_code <= %s"
        f" ORDER BY id {'ASC' if far else 'DESC'} LIMIT %s OFFSET %s)"
        " SELECT a.id, a.number, a.program, a.temporary_kind, a.state, a.due_on, a.channel, a.accepted_at,"
        " a.staff_relative_of_id, h.head_name,"
        f" EXISTS (SELECT 1 FROM applications_casedeadline d WHERE d.application_id = a.id AND {OVERDUE})"
        " FROM page JOIN applications_application a ON a.id = page.id"
        " JOIN registry_household h ON h.id = a.household_id",
        [low, high, limit, offset, today, now],
    )
    return len(cur.fetchall())


def bare_household_list(cur: Any, low: str, high: str, page: int, today: Any, now: Any) -> int:
    cur.execute("SELECT COUNT(*) FROM registry_household WHERE area_id >= %s AND area_id <= %s", [low, high])
    count = cur.fetchone()[0]
    far, offset, limit = _page_bounds(count, page, 20)
    cur.execute(
        "WITH page AS (SELECT id FROM registry_household WHERE area_id >= %s AND area_id <= %s"
        f" ORDER BY id {'ASC' if far else 'DESC'} LIMIT %s OFFSET %s)"
        " SELECT h.id, h.head_name, h.member_count, h.address, h.urban_rural, h.created_at, v.name, t.name"
        " FROM page JOIN registry_household h ON h.id = page.id JOIN areas_area v ON v.code = h.area_id"
        " LEFT JOIN areas_area t ON t.code = v.parent_id",
        [low, high, limit, offset],
    )
    rows = cur.fetchall()
    cur.execute(  # the area filter's choices
        "SELECT a.code, a.name, a.level, p.name FROM areas_area a LEFT JOIN areas_area p ON p.code = a.parent_id"
        " WHERE a.code >= %s AND a.code <= %s AND a.level IN ('town', 'village') ORDER BY a.code",
        [low, high],
    )
    return len(rows) + len(cur.fetchall())


def bare_overdue_board(cur: Any, low: str, high: str, page: int, today: Any, now: Any) -> int:
    soon_end = today + dt.timedelta(days=3)
    cur.execute(  # overdue and due-soon counts per town and clerk, in one pass over the open deadlines
        f"SELECT substr(d.area_code, 1, 9), u.full_name, u.username, SUM(CASE WHEN {OVERDUE} THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {SOON} THEN 1 ELSE 0 END)"
        " FROM applications_casedeadline d LEFT JOIN accounts_user u ON u.id = d.clerk_id"
        " WHERE d.met_on IS NULL AND NOT d.paused AND d.area_code >= %s AND d.area_code <= %s"
        " GROUP BY substr(d.area_code, 1, 9), u.full_name, u.username",
        [today, now, now, today, soon_end, low, high],
    )
    n = len(cur.fetchall())
    cur.execute("SELECT code, name FROM areas_area WHERE level = 'town' AND code >= %s AND code <= %s", [low, high])
    n += len(cur.fetchall())
    for where, params in ((OVERDUE, [today, now]), (SOON, [now, today, soon_end])):
        cur.execute(
            "SELECT d.id, d.label, d.due_on, a.id, a.number, h.head_name, u.full_name, u.username"
            " FROM applications_casedeadline d JOIN applications_application a ON a.id = d.application_id"
            " JOIN registry_household h ON h.id = a.household_id LEFT JOIN accounts_user u ON u.id = a.accepted_by_id"
            f" WHERE {where} AND d.area_code >= %s AND d.area_code <= %s ORDER BY d.due_on, d.id LIMIT 100",
            [*params, low, high],
        )
        n += len(cur.fetchall())
    return n


BARE: dict[str, Callable[..., int]] = {
    "case list": bare_case_list,
    "household list": bare_household_list,
    "overdue board": bare_overdue_board,
}


# ---- the intake ---------------------------------------------------------------------------------

# A 1×1 PNG: the signature images of the authorisations and the commitment (授权书、承诺书).
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8ffff3f0005fe02fe"
        "a7356c2c0000000049454e44ae426082"
    )
).decode()


@dataclass
class Intakes:
    """The town clerk's intakes: an API token, request bodies for households of the town without a
    case (each taken once by the page phase), and per bare client the statements one intake ran."""

    user: str
    token: str
    bodies: list[bytes]
    statements: dict[int, list[tuple[str, Any, bool]]]
    guarded: dict[int, set[int]]  # per client, the statements that insert a number taken since


class Taken(Exception):
    """A replayed statement inserted a number (受理编号, 文书编号) a real intake has taken since."""

    def __init__(self, index: int) -> None:
        self.index = index


def replay(statements: list[tuple[str, Any, bool]], guarded: set[int]) -> None:
    """The statements of one intake with their parameters, in a transaction rolled back at the end.
    A guarded statement runs in a savepoint and its unique-number conflict is skipped; a conflict in
    another raises ``Taken`` with its index, to be guarded from then on."""
    from django.db import IntegrityError, connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        for i, (sql, params, many) in enumerate(statements):
            run = cur.executemany if many else cur.execute
            if i not in guarded:
                try:
                    run(sql, params)
                except IntegrityError as error:
                    raise Taken(i) from error
                continue
            try:
                with transaction.atomic():
                    run(sql, params)
            except IntegrityError:
                pass
        transaction.set_rollback(True)


def record(ran: list[tuple[str, Any, bool]], execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    """A database execute wrapper that keeps each statement with its parameters in ``ran``."""
    params = list(params) if many else params
    ran.append((sql, params, many))
    return execute(sql, params, many, context)


def prepare_intakes(clients: int, count: int) -> Intakes:
    """``count`` intake bodies, and one intake per town-clerk client made in this process with its
    statements captured, then rolled back: the bare SQL an intake needs."""
    from django.db import connection, transaction
    from django.test import Client

    from jiuzhu.accounts.actions import create_api_token
    from jiuzhu.accounts.models import User
    from jiuzhu.programs.catalog import sync_catalog as sync_programs
    from jiuzhu.registry.models import Household
    from jiuzhu.registry.pii import unseal
    from jiuzhu.web import demo

    sync_programs()
    demo.load_demo_programs()  # the county runs 低保 (本县开展的项目); kept as it is if already there
    user = USERS[0]
    clerk = User.objects.get(username=user)
    _, token = create_api_token(clerk, by=None, name="bench-pages")
    mine = [n for n in range(clients) if USERS[n % len(USERS)] == user]
    free = (
        Household.objects.visible_to(clerk)
        .filter(applications__isnull=True)
        .prefetch_related("members")
        .order_by("-id")[: count + len(mine)]
    )
    bodies = []
    for h in free:
        members = list(h.members.all())
        head = next(p for p in members if p.relation == "self")
        body = {
            "id_number": unseal("id_number", head.id_number_enc),
            "programs": ["dibao"],
            "authorizations": [{"person_id": p.id, "image_base64": PNG} for p in members if p.age >= 18],
            "commitment": {"person_id": head.id, "image_base64": PNG},
        }
        bodies.append(json.dumps(body).encode())
    api = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
    statements = {}
    for n in mine:
        ran: list[tuple[str, Any, bool]] = []
        with transaction.atomic():
            with connection.execute_wrapper(partial(record, ran)):
                r = api.post(INTAKE_PATH, bodies.pop(), content_type="application/json")
            assert r.status_code == 201, r.content.decode()[:300]
            transaction.set_rollback(True)
        statements[n] = ran
    connection.close()
    print(f"intake: {len(bodies)} households of the town without a case; {len(ran)} statements an intake", flush=True)
    return Intakes(user, token, bodies, statements, {n: set() for n in statements})


# ---- clients ------------------------------------------------------------------------------------


def schedule(seed: int, think: float) -> tuple[random.Random, Callable[[], float]]:
    rng = random.Random(seed)
    return rng, (lambda: rng.uniform(0.5 * think, 1.5 * think))


def page_path(name: str, page: int) -> str:
    return {"case list": "/applications/", "household list": "/households/", "overdue board": "/applications/overdue/"}[
        name
    ] + (f"?page={page}" if name != "overdue board" else "")


def page_numbers(count: int) -> list[int]:
    last = max(1, (count + 19) // 20)
    return sorted({1, 2, min(5, last), min(50, last), max(1, last // 2), last})


def user_pages(user: str, intakes: Intakes | None) -> tuple[str, ...]:
    """The pages a client of ``user`` loops over: the town clerk also accepts applications."""
    return (*PAGES, INTAKE) if intakes and user == intakes.user else PAGES


async def page_phase(
    port: int,
    sessions: dict[str, dict[str, str]],
    counts: dict[str, dict[str, int]],
    args: Any,
    seed: int,
    out: Any,
    intakes: Intakes | None = None,
) -> None:
    until = time.perf_counter() + args.seconds

    async def client(n: int) -> None:
        user = USERS[n % len(USERS)]
        rng, think = schedule(seed * 1000 + n, args.think)
        await asyncio.sleep(rng.uniform(0, args.think))
        while time.perf_counter() < until:
            for name in user_pages(user, intakes):
                if name == INTAKE:
                    assert intakes is not None
                    if not intakes.bodies:
                        continue
                    body, expected = intakes.bodies.pop(), 201
                    call = request(
                        port, "POST", INTAKE_PATH, {}, body, content_type="application/json", token=intakes.token
                    )
                else:
                    page, expected = rng.choice(page_numbers(counts[user][name])), 200
                    call = request(port, "GET", page_path(name, page), dict(sessions[user]))
                t0 = time.perf_counter()
                try:
                    status, _, _ = await call
                except OSError:
                    status = 0
                elapsed = time.perf_counter() - t0
                if status == expected:
                    out[user, name].append(elapsed)
                else:
                    out[user, name, "errors"].append(status)
                await asyncio.sleep(think())

    await asyncio.gather(*[client(n) for n in range(args.clients)])


def bare_phase(
    scopes: dict[str, tuple[str, str]],
    counts: dict[str, dict[str, int]],
    args: Any,
    seed: int,
    out: Any,
    intakes: Intakes | None = None,
) -> None:
    from django.db import connection
    from django.utils import timezone

    until = time.perf_counter() + args.seconds
    lock = threading.Lock()

    def client(n: int) -> None:
        user = USERS[n % len(USERS)]
        low, high = scopes[user]
        rng, think = schedule(seed * 1000 + n, args.think)
        time.sleep(rng.uniform(0, args.think))
        try:
            while time.perf_counter() < until:
                for name in user_pages(user, intakes):
                    page = rng.choice(page_numbers(counts[user][name])) if name != INTAKE else 0
                    t0 = time.perf_counter()
                    if name == INTAKE:
                        assert intakes is not None
                        try:
                            replay(intakes.statements[n], intakes.guarded[n])
                        except Taken as taken:  # learnt; this replay is not counted
                            intakes.guarded[n].add(taken.index)
                            continue
                    else:
                        today, now = timezone.localdate(), timezone.now()
                        with connection.cursor() as cur:
                            ops = connection.ops
                            BARE[name](cur, low, high, page, today, ops.adapt_datetimefield_value(now))
                    elapsed = time.perf_counter() - t0
                    with lock:
                        out[user, f"bare {name}"].append(elapsed)
                    time.sleep(think())
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def measure(args: Any, env: dict[str, str], tmp: str) -> None:
    from collections import defaultdict

    server, port, _static = start_server(env, tmp)  # also puts the bench environment in os.environ
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
        import django

        django.setup()
        from django.db import connection

        from jiuzhu.accounts.models import User
        from jiuzhu.accounts.scope import registry_scope
        from jiuzhu.applications.models import Application
        from jiuzhu.registry.models import Household
        from jiuzhu.web.demo import DEMO_PASSWORD

        scopes: dict[str, tuple[str, str]] = {}
        counts: dict[str, dict[str, int]] = {}
        for username in USERS:
            user = User.objects.get(username=username)
            scope = registry_scope(user)
            assert isinstance(scope, tuple)
            scopes[username] = scope
            counts[username] = {
                "case list": Application.objects.visible_to(user).count(),
                "household list": Household.objects.visible_to(user).count(),
                "overdue board": 1,
            }
        connection.close()
        print(f"server: gunicorn, {WORKERS} sync workers, {'PostgreSQL' if env.get('DATABASE_URL') else 'SQLite'}")
        print(
            "visible: "
            + "; ".join(f"{u}: {c['case list']:,} cases, {c['household list']:,} households" for u, c in counts.items())
        )

        async def logins() -> dict[str, dict[str, str]]:
            return {u: await login(port, DEMO_PASSWORD, u) for u in USERS}

        sessions = asyncio.run(logins())
        intakes = None if args.no_intake else prepare_intakes(args.clients, args.clients * 20 * args.rounds + 100)
        warm = defaultdict(list)  # first requests compile templates and fill caches: not counted
        args_warm = argparse.Namespace(**{**vars(args), "seconds": 2.0, "think": 0.05})
        asyncio.run(page_phase(port, sessions, counts, args_warm, 999, warm, intakes))
        bare_phase(scopes, counts, args_warm, 999, warm, intakes)

        out: dict[Any, list[Any]] = defaultdict(list)
        start_load = load_average()
        for r in range(args.rounds):
            asyncio.run(page_phase(port, sessions, counts, args, r, out, intakes))
            bare_phase(scopes, counts, args, r, out, intakes)
        end_load = load_average()
    finally:
        stop_server(server)

    print(
        f"\n### {args.clients} concurrent clients ({', '.join(USERS)} alternately),"
        f" {args.rounds} x {args.seconds:.0f} s pages + {args.rounds} x {args.seconds:.0f} s bare SQL,"
        f" think time {0.5 * args.think:.2g}–{1.5 * args.think:.2g} s;"
        f" load average {start_load} at the start, {end_load} at the end"
    )
    print(
        f"{'user':16} {'page':15} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8}"
        f" {'bare p50':>9} {'bare p95':>9} {'p95 ratio':>9}  target (<= 150 ms, intake <= 250 ms; and <= 3x)"
    )
    for user in USERS:
        for name in user_pages(user, intakes):
            t, bare, errors = out[user, name], out[user, f"bare {name}"], out[user, name, "errors"]
            p50, p95 = percentile(t, 50) * 1000, percentile(t, 95) * 1000
            b50, b95 = percentile(bare, 50) * 1000, percentile(bare, 95) * 1000
            limit = 250 if name == INTAKE else 150
            met = f"{'met' if p95 <= limit else 'NOT met'} / {'met' if p95 <= 3 * b95 else 'NOT met'}"
            print(
                f"{user:16} {name:15} {len(t):>8} {len(errors):>6} {p50:>8.1f} {p95:>8.1f}"
                f" {b50:>9.1f} {b95:>9.1f} {p95 / b95:>8.1f}x  {met}"
            )


def profile(args: Any) -> None:
    """Where a page's time goes, in this process (Django test client, no concurrency): wall time,
    time in SQL (the captured statements' own timings) and the rest (Python: middleware, ORM,
    templates), then a cProfile of the page for the county officer."""
    import cProfile
    import pstats

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from jiuzhu.accounts.models import User

    for username in USERS:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        for name in PAGES:
            path = page_path(name, 2)
            client.get(path)  # warm
            walls, sqls, statements = [], [], 0
            for _ in range(20):
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    assert client.get(path).status_code == 200
                    walls.append(time.perf_counter() - t0)
                sqls.append(sum(float(q["time"]) for q in ctx.captured_queries))
                statements = len(ctx.captured_queries)
            w, q = percentile(walls, 50) * 1000, percentile(sqls, 50) * 1000
            print(
                f"{username:16} {name:15} p50 {w:6.1f} ms: SQL {q:6.1f} ms ({statements} statements),"
                f" the rest {w - q:6.1f} ms"
            )
            if username == "tez_county" and args.profile in ("all", name):
                prof = cProfile.Profile()
                for _ in range(10):
                    prof.runcall(client.get, path)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
                pstats.Stats(prof).sort_stats("tottime").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20, help="length of each page phase and each bare phase")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--think", type=float, default=1.0, help="mean think time in seconds (0.5x–1.5x)")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--no-intake", action="store_true", help="the three list pages only")
    parser.add_argument(
        "--profile",
        default="",
        help="instead of the load run: SQL vs the rest per page, and a cProfile of a page (or all)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="PostgreSQL: keep the database at the end and reuse it if it is there"
    )
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.cases)
        return
    if args.profile and os.environ.get("JIUZHU_PAGES_PROFILE_CHILD"):
        profile(args)
        return

    pg = args.engine == "postgresql"
    keep = args.keep and pg
    tmp = str(Path(tempfile.gettempdir()) / f"jiuzhu-pages-{args.database}") if keep else tempfile.mkdtemp()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + args.database
    env = environment(tmp, url)
    reuse = False
    if not pg:
        env.pop("DATABASE_URL")
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.database]).fetchone()
            reuse = bool(keep and found and (Path(tmp) / "staticfiles").is_dir())
            if not reuse:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{args.database}"')
    try:
        t0 = time.perf_counter()
        print(f"## {args.engine}: {args.cases:,} cases; load average {load_average()}", flush=True)
        if reuse:
            print(f"reusing the data kept in database {args.database} (--keep)", flush=True)
        else:
            subprocess.run([sys.executable, __file__, "--prepare", "--cases", str(args.cases)], env=env, check=True)
            print(f"prepared in {time.perf_counter() - t0:.0f} s", flush=True)
        if args.profile:
            child = [sys.executable, __file__, "--profile", args.profile]
            subprocess.run(child, env={**env, "JIUZHU_PAGES_PROFILE_CHILD": "1"}, check=True)
        else:
            measure(args, env, tmp)
    finally:
        if pg and not keep:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
