"""Load run on loopback (issue 19 item 2): the production server under concurrent users.

Starts the production stack as ``make prod`` does (gunicorn, several sync workers, WhiteNoise,
DEBUG off) on PostgreSQL with the demo data plus N extra households (default 20,000) and 200
open applications, logs in as the county clerk, and drives U concurrent users (50 and 200 by
default), each a small asyncio HTTP client that loops over the three pages of a window's day
— household list, one-ID lookup, case page — with a think time between clicks (0.5–1.5 s,
a person at a screen). Reported per page and user count: requests, errors, p50/p95/p99, and,
as the baseline in the same run, the same figures for a static file served by the same server.

Targets: p95 <= 150 ms at 50 users; no errors at 200.

Usage: python bench/load.py [--households N] [--users 50,200] [--seconds 30]
Database ``jiuzhu_load`` on 127.0.0.1 (created and dropped here).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_LOAD_URL = "postgres://postgres@127.0.0.1:5432/jiuzhu_load"
USER = "tez_zhangshanzi"  # 张山子镇 clerk: the window's pages within a town


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def environment(tmp: str, database_url: str = PG_LOAD_URL) -> dict[str, str]:
    """The production settings of ``make prod`` (DEBUG off, a fresh secret) for a bench server."""
    return dict(
        os.environ,
        JIUZHU_MASTER_KEY="YmVuY2gta2V5LWZvci1qaXV6aHUtYmVuY2htYXJrMzI=",
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        JIUZHU_VAR_DIR=tmp,
        DATABASE_URL=database_url,
        # the documents' font as `make setup` built it (a server builds it once, as make prod does)
        JIUZHU_PDF_FONT_DIR=os.environ.get("JIUZHU_PDF_FONT_DIR", str(ROOT / "var" / "fonts")),
    )


# ---- data (run in a child process with the load environment) ---------------------------------


def prepare(households: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.applications.actions import IntakeRequest, intake
    from jiuzhu.core.errors import DomainError
    from jiuzhu.registry import importer
    from jiuzhu.registry.models import Household
    from jiuzhu.web import demo

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    demo.load_demo()
    gen = demo._Generator(seed=11)
    villages = list(
        demo.Area.objects.filter(level="village", code__startswith="370405101").values_list("code", flat=True)
    )
    ref = 0
    for start in range(0, households, 10_000):
        rows = []
        for _ in range(min(10_000, households - start)):
            ref += 1
            members, _ = gen.household("370405")
            for m in members:
                village = villages[ref % len(villages)]
                rows.append(
                    (len(rows) + 2, {"household_ref": str(ref), "area_code": village, "address": f"{ref}号", **m})
                )
        importer.import_rows(rows, by=SystemActor("压力测试"), source="load")
    from jiuzhu.accounts.models import User

    clerk = User.objects.get(username=USER)
    town = clerk.area
    made = 0
    for household in Household.objects.filter(area__code__startswith=town.prefix).order_by("-id")[:400]:
        if made == 200:
            break
        applicant = household.current_members().first()
        if applicant is None:
            continue
        try:
            intake(IntakeRequest(household=household, applicant=applicant, programs=["dibao"]), by=clerk)
        except DomainError:  # a household the rules refuse at intake is skipped
            continue
        made += 1
    print(f"data: {Household.objects.count():,} households, {made} open applications in {town.name}", flush=True)


def targets() -> dict[str, list[str]]:
    """Paths the users visit: ID numbers of the town's people and its open cases."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from jiuzhu.accounts.models import User
    from jiuzhu.applications.models import Application
    from jiuzhu.registry.models import Person
    from jiuzhu.registry.pii import unseal

    town = User.objects.get(username=USER).area
    people = Person.objects.filter(household__area__code__startswith=town.prefix).order_by("?")[:500]
    ids = [unseal("id_number", p.id_number_enc) for p in people]
    cases = list(Application.objects.filter(area_code__startswith=town.prefix).values_list("pk", flat=True)[:200])
    from jiuzhu.web.demo import DEMO_PASSWORD

    return {"ids": ids, "cases": [str(c) for c in cases], "password": [DEMO_PASSWORD]}


# ---- a small HTTP/1.1 client (gunicorn's sync workers close every connection) ---------------


async def request(
    port: int,
    method: str,
    path: str,
    cookies: dict[str, str],
    body: bytes = b"",
    source: str | None = None,
    *,
    content_type: str = "application/x-www-form-urlencoded",
    token: str = "",
) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection; ``source`` (any 127.x.y.z) is the client's address;
    ``token``: an API token sent as ``Authorization: Bearer``."""
    local = (source, 0) if source else None
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=local)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close", "User-Agent: jiuzhu-load"]
    if cookie:
        head.append(f"Cookie: {cookie}")
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body:
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        if "csrftoken" in cookies:
            head += [f"Referer: http://127.0.0.1:{port}{path}", f"Origin: http://127.0.0.1:{port}"]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    header, _, content = raw.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if key.lower() == "set-cookie":
            name, _, rest = value.strip().partition("=")
            cookies[name] = rest.split(";")[0]
        headers[key.lower()] = value.strip()
    return status, headers, content


async def login(port: int, password: str, username: str = USER) -> dict[str, str]:
    """A session of ``username`` through the real login form (CSRF token included)."""
    cookies: dict[str, str] = {}
    _, _, page = await request(port, "GET", "/login/", cookies)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    form = urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": password})
    status, _, _ = await request(port, "POST", "/login/", cookies, form.encode())
    assert status == 302 and "sessionid" in cookies, f"login of {username} failed: {status}"
    return cookies


async def user_loop(
    port: int,
    cookies: dict[str, str],
    paths: dict[str, list[str]],
    static: str,
    until: float,
    results: dict[str, list[float]],
    errors: dict[str, int],
    rng: random.Random,
) -> None:
    await asyncio.sleep(rng.uniform(0, 1.5))  # users do not all start on the same millisecond
    while time.perf_counter() < until:
        lookup = {"csrfmiddlewaretoken": cookies.get("csrftoken", ""), "id_number": rng.choice(paths["ids"])}
        for name, method, path, body, ok in (
            ("household list", "GET", "/households/", b"", (200,)),
            ("one-ID lookup", "POST", "/persons/lookup/", urlencode(lookup).encode(), (200, 302)),
            ("case page", "GET", f"/applications/{rng.choice(paths['cases'])}/", b"", (200,)),
            ("static file (baseline)", "GET", static, b"", (200,)),
        ):
            t0 = time.perf_counter()
            try:
                status, _, _ = await request(port, method, path, dict(cookies), body)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - t0
            if status in ok:
                results[name].append(elapsed)
            else:
                errors[name] += 1
            await asyncio.sleep(rng.uniform(0.5, 1.5))


async def run_users(port: int, users: int, seconds: float, paths: dict[str, list[str]], static: str) -> None:
    cookies = await login(port, paths["password"][0])
    names = ["household list", "one-ID lookup", "case page", "static file (baseline)"]
    results: dict[str, list[float]] = {n: [] for n in names}
    errors = dict.fromkeys(names, 0)
    until = time.perf_counter() + seconds
    rng = random.Random(users)
    await asyncio.gather(
        *[
            user_loop(port, cookies, paths, static, until, results, errors, random.Random(rng.random()))
            for _ in range(users)
        ]
    )
    print(f"\n### {users} concurrent users, {seconds:.0f} s (think time 0.5–1.5 s)")
    print(f"{'page':24} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    base95 = percentile(results["static file (baseline)"], 95) * 1000
    for name in names:
        t = results[name]
        p95 = percentile(t, 95) * 1000
        ratio = f"  ({p95 / base95:.1f}x static)" if name != names[-1] else ""
        print(
            f"{name:24} {len(t):>8} {errors[name]:>6} {percentile(t, 50) * 1000:>8.1f} {p95:>8.1f} "
            f"{percentile(t, 99) * 1000:>8.1f}{ratio}"
        )
    if users <= 50:
        worst = max(percentile(results[n], 95) for n in names[:3]) * 1000
        print(f"target p95 <= 150 ms at {users} users: {'met' if worst <= 150 else 'NOT met'} (worst {worst:.1f} ms)")
    else:
        total = sum(errors.values())
        print(f"target no errors at {users} users: {'met' if total == 0 else 'NOT met'} ({total} errors)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


WORKERS = int(os.environ.get("JIUZHU_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1))


def start_server(env: dict[str, str], tmp: str) -> tuple[subprocess.Popen[bytes], int, str]:
    """gunicorn as ``make prod`` runs it; returns the process, its port and a hashed static path
    (the baseline: a file WhiteNoise serves from the same workers)."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "jiuzhu.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.2)
    os.environ.update(env)
    static_dir = Path(tmp) / "staticfiles"
    css = next(p for p in sorted(static_dir.rglob("*.css")) if re.search(r"\.[0-9a-f]{12}\.css$", p.name))
    return server, port, "/static/" + css.relative_to(static_dir).as_posix()


def stop_server(server: subprocess.Popen[bytes] | None) -> None:
    if server is not None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--users", default="50,200")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--targets", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.households)
        return
    if args.targets:
        import json

        print(json.dumps(targets()))
        return

    import json

    import psycopg

    tmp = tempfile.mkdtemp(prefix="jiuzhu-load-")
    env = environment(tmp)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS jiuzhu_load")
        conn.execute("CREATE DATABASE jiuzhu_load")
    server = None
    try:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--prepare", "--households", str(args.households)], env=env, check=True
        )
        paths = json.loads(
            subprocess.run([sys.executable, __file__, "--targets"], env=env, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        print(f"prepared in {time.perf_counter() - t0:.0f} s")
        server, port, static = start_server(env, tmp)
        print(f"server: gunicorn, {WORKERS} sync workers, PostgreSQL, DEBUG off; static baseline {static}")
        for users in [int(u) for u in args.users.split(",")]:
            asyncio.run(run_users(port, users, args.seconds, paths, static))
    finally:
        stop_server(server)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS jiuzhu_load WITH (FORCE)")


if __name__ == "__main__":
    main()
