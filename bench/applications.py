"""Applications benchmark (issue: Applications — performance), PostgreSQL.

With N cases (default 100,000) in one county it reports, each next to a baseline measured
in the same process:
1. case list page and overdue list server time p95 (target <= 150 ms) next to the bare
   indexed SQL that selects the same page of ids;
2. intake-to-receipt API round trip p95 (target <= 200 ms, rules evaluation and the receipt
   PDF included) next to the round trip of a bare authenticated GET (the framework floor).

Usage: python bench/applications.py [--cases N] [--intakes K]
(BENCH_PROFILE=1 prints a cProfile of five more intakes, after a warm one, before the timed ones;
BENCH_NO_PREPARE=1 leaves out what the WSGI entry point does before a server's first request)
Uses database ``jiuzhu_bench_apps`` on 127.0.0.1 (created and dropped here).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
URL = "postgres://postgres@127.0.0.1:5432/jiuzhu_bench_apps"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t0)
    return out


def worker(cases: int, intakes: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from jiuzhu.accounts.actions import create_api_token
    from jiuzhu.accounts.models import User
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.applications.models import Application, CaseDeadline, Intake
    from jiuzhu.programs.catalog import sync_catalog as sync_programs
    from jiuzhu.registry import importer
    from jiuzhu.registry.models import Household
    from jiuzhu.web import demo

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # pages render hashed static names outside DEBUG
    demo.load_areas()
    demo.load_departments()
    demo.load_users()
    sync_programs()
    demo.load_demo_programs()  # the county runs the programs the intakes ask for (本县开展的项目)
    villages = list(demo.Area.objects.filter(level="village", code__startswith="370405").values_list("code", flat=True))
    gen = demo._Generator(seed=11)
    households = cases // 2 + intakes * 30  # extra families spread over all villages, for intakes
    t0 = time.perf_counter()
    ref = 0
    for start in range(0, households, 10_000):
        rows = []
        for _ in range(min(10_000, households - start)):
            ref += 1
            members, _f = gen.household("370405")
            for m in members:
                rows.append(
                    (
                        len(rows) + 2,
                        {
                            "household_ref": str(ref),
                            "area_code": villages[ref % len(villages)],
                            "address": f"{ref}号",
                            **m,
                        },
                    )
                )
        importer.import_rows(rows, by=SystemActor("基准测试"))
    print(f"\n## postgresql: {cases:,} cases ({households:,} households loaded in {time.perf_counter() - t0:.0f} s)")

    # Cases: two programs per household, states spread over the procedure, ~5 % overdue.
    clerk = User.objects.get(username="tez_zhangshanzi")
    now = timezone.now()
    today = timezone.localdate()
    states = ["accepted", "investigating", "reviewing", "publicizing", "approved", "approved", "approved", "rejected"]
    hh = list(Household.objects.order_by("id").values_list("id", "area_id")[: cases // 2])
    heads = dict(Household.objects.none().values_list("id", "id"))
    from jiuzhu.registry.models import Person

    heads = dict(Person.objects.filter(relation="self").values_list("household_id", "id"))
    intake_rows = [
        Intake(
            receipt_number=f"B{i:07d}",
            household_id=h,
            applicant_id=heads[h],
            channel="window",
            area_code=a,
            created_by=clerk,
            created_at=now,
        )
        for i, (h, a) in enumerate(hh)
    ]
    Intake.objects.bulk_create(intake_rows, batch_size=5000)
    apps = []
    for i, intake in enumerate(intake_rows):
        for j, program in enumerate(("dibao", "dibao_edge")):
            n = 2 * i + j
            apps.append(
                Application(
                    number=f"BQ{n:08d}",
                    intake=intake,
                    household_id=intake.household_id,
                    applicant_id=intake.applicant_id,
                    program=program,
                    channel="window",
                    state=states[n % len(states)],
                    area_code=intake.area_code,
                    county_code="370405",
                    urban=False,
                    accepted_by=clerk,
                    accepted_at=now,
                    due_on=today + dt.timedelta(days=10 - (n % 20)),
                )
            )
    Application.objects.bulk_create(apps, batch_size=5000)
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
            )
            for a in apps
        ],
        batch_size=5000,
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    overdue_n = CaseDeadline.objects.overdue().count()
    print(f"cases {len(apps):,}, open overdue steps {overdue_n:,}")

    county = User.objects.get(username="tez_county")
    c = Client()
    c.force_login(county)
    pages = [1, 2, 5, 50, 500, len(apps) // 40, len(apps) // 20]
    list_t = timed(lambda i: c.get("/applications/", {"page": pages[i % len(pages)]}), 70)
    overdue_t = timed(lambda i: c.get("/applications/", {"overdue": "1", "page": 1 + i % 3}), 30)
    board_t = timed(lambda i: c.get("/applications/overdue/"), 20)
    with connection.cursor() as cur:
        bare = timed(
            lambda i: (
                cur.execute(
                    "SELECT id FROM applications_application WHERE area_code >= %s AND area_code <= %s "
                    "ORDER BY id DESC LIMIT 20 OFFSET %s",
                    ["370405000000", "370405999999", (pages[i % len(pages)] - 1) * 20],
                ),
                cur.fetchall(),
            ),
            70,
        )
    b95 = pct(bare, 95) * 1000
    for label, t in [("case list", list_t), ("overdue filter", overdue_t), ("overdue board", board_t)]:
        p50, p95 = pct(t, 50) * 1000, pct(t, 95) * 1000
        print(
            f"{label:15}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (bare page SQL p95 {b95:.1f} ms, "
            f"ratio {p95 / b95:.0f}x; target p95 <= 150 ms)"
        )

    # Intake through the API: one-ID lookup, screening, signatures, notices (PDF), audit.
    _, token = create_api_token(clerk, by=None, name="bench")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    png = base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8ffff3f0005fe02fe"
            "a7356c2c0000000049454e44ae426082"
        )
    ).decode()
    fresh = list(
        Household.objects.filter(area__code__startswith="370405101", applications__isnull=True).order_by("-id")[
            : intakes + (6 if os.environ.get("BENCH_PROFILE") else 0)
        ]
    )
    extra_households = fresh[intakes:]
    fresh = fresh[:intakes]
    from jiuzhu.registry.pii import unseal

    bodies = []
    for h in fresh + extra_households:
        head = h.members.get(relation="self")
        adults = [p for p in h.members.all() if p.age >= 18]
        bodies.append(
            {
                "id_number": unseal("id_number", head.id_number_enc),
                "programs": ["dibao"],
                "authorizations": [{"person_id": p.id, "image_base64": png} for p in adults],
                "commitment": {"person_id": head.id, "image_base64": png},
            }
        )
    extra = bodies[intakes:]
    bodies = bodies[:intakes]
    api.get("/api/v1/me")
    if not os.environ.get("BENCH_NO_PREPARE"):
        # As a server process is made ready by the WSGI entry point before its first request (what it
        # loads is kept out of the cyclic collector's full passes); BENCH_NO_PREPARE=1: as before.
        from jiuzhu.web.serving import prepare_process

        prepare_process()
    statuses: list[int] = []

    def post(i: int) -> None:
        r = api.post("/api/v1/applications", json.dumps(bodies[i]), content_type="application/json")
        statuses.append(r.status_code)
        if r.status_code != 201:
            print("intake failed:", r.status_code, r.content.decode()[:300])

    if os.environ.get("BENCH_PROFILE"):  # a cProfile of five more intakes, before the timed ones
        import cProfile
        import pstats

        api.post("/api/v1/applications", json.dumps(extra[0]), content_type="application/json")  # warm
        prof = cProfile.Profile()
        for body in extra[1:]:
            r = prof.runcall(api.post, "/api/v1/applications", json.dumps(body), content_type="application/json")
            assert r.status_code == 201, r.content.decode()[:300]
        pstats.Stats(prof).sort_stats("cumulative").print_stats(60)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    intake_t = timed(post, len(bodies))
    assert statuses.count(201) == len(bodies)
    floor = timed(lambda i: api.get("/api/v1/me"), len(bodies))
    p50, p95, f95 = pct(intake_t, 50) * 1000, pct(intake_t, 95) * 1000, pct(floor, 95) * 1000
    print(
        f"intake API     : p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (bare authenticated GET p95 {f95:.1f} ms, "
        f"ratio {p95 / f95:.0f}x; target p95 <= 200 ms)"
    )

    # The receipt alone (render + seal + sign), as now (drawn with the documents' font cut down to
    # GB 2312, as built by `make setup`) and as before (the full Noto Serif CJK SC), alternating in
    # this process so that the machine's load weighs on both alike.
    from django.test import override_settings
    from weasyprint.text.fonts import FontConfiguration

    from jiuzhu.applications import notices as notice_mod
    from jiuzhu.applications.models import Notice
    from jiuzhu.web import pdf as pdf_mod
    from jiuzhu.web import seal as seal_mod

    kept_font_config = pdf_mod.font_config
    receipt = Notice.objects.filter(kind="receipt").select_related("intake", "application").last()
    assert receipt is not None and receipt.application is not None
    ctx = notice_mod._prepare_again(clerk, receipt.job).context  # type: ignore[attr-defined]
    times: dict[str, list[float]] = {"now": [], "before": []}
    full_font_config = FontConfiguration()  # its own: a configuration remembers the faces it has seen
    no_fonts = override_settings(PDF_FONT_DIR=Path(tempfile.mkdtemp()))
    for i in range(2 * len(bodies)):
        way = "now" if i % 2 else "before"
        if way == "before":
            pdf_mod.font_config = lambda: full_font_config  # type: ignore[assignment]
            no_fonts.enable()
        t0 = time.perf_counter()
        seal_mod.render_and_sign("applications/notices/receipt.html", ctx, number=receipt.number, title="受理通知书")
        times[way].append(time.perf_counter() - t0)
        if way == "before":
            no_fonts.disable()
            pdf_mod.font_config = kept_font_config  # type: ignore[assignment]
    now50, now95 = pct(times["now"], 50) * 1000, pct(times["now"], 95) * 1000
    was50, was95 = pct(times["before"], 50) * 1000, pct(times["before"], 95) * 1000
    print(
        f"receipt PDF    : p50 {now50:6.1f} ms  p95 {now95:6.1f} ms  (render, seal and sign; with the full font"
        f" as before: p50 {was50:.1f} ms, p95 {was95:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--intakes", type=int, default=40)
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        worker(args.cases, args.intakes)
        return
    import psycopg

    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS jiuzhu_bench_apps")
        conn.execute("CREATE DATABASE jiuzhu_bench_apps")
    env = dict(
        os.environ,
        DATABASE_URL=URL,
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",  # the test client speaks plain HTTP
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),  # production mode needs a key of its own
        JIUZHU_VAR_DIR=tempfile.mkdtemp(),
        JIUZHU_PDF_FONT_DIR=os.environ.get("JIUZHU_PDF_FONT_DIR", str(ROOT / "var" / "fonts")),  # make setup built it
        JIUZHU_MASTER_KEY="YmVuY2gta2V5LWZvci1qaXV6aHUtYmVuY2htYXJrMzI=",
    )
    try:
        subprocess.run(
            [sys.executable, __file__, "--worker", "--cases", str(args.cases), "--intakes", str(args.intakes)],
            env=env,
            check=True,
        )
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiuzhu_bench_apps")


if __name__ == "__main__":
    main()
