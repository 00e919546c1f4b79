"""Production mode (issue 19 items 1–2; ARCHITECTURE security rules, SUP-9): DEBUG off unless
asked for, no start without a real secret key, `check --deploy` clean with the documented
environment, and the production server (gunicorn + WhiteNoise) serving pages and hashed static
files with the security headers. Each check starts real processes with the environment an
operator would set, not the test settings."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of deploy/production.env (as systemd reads it), in a scratch directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "DATABASE_URL"))}
    for line in (ROOT / "deploy" / "production.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    env.update(
        DATABASE_URL="",  # SQLite in the scratch directory: no server needed for these checks
        JIUZHU_VAR_DIR=str(tmp_path),
        JIUZHU_KEY_FILE=str(tmp_path / "master.key"),
        DJANGO_SETTINGS_MODULE="jiuzhu.settings",
    )
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_debug_is_off_unless_asked_for(tmp_path: Path) -> None:
    env = production_env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    env.pop("DJANGO_DEBUG")
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    assert run([PYTHON, "-c", code], env).stdout.strip() == "False"
    assert run([PYTHON, "-c", code], {**env, "DJANGO_DEBUG": "1"}).stdout.strip() == "True"


@pytest.mark.parametrize("key", ["", "dev-only-insecure-key-never-use-in-production", "short"])
def test_the_server_refuses_to_start_without_a_real_secret_key(tmp_path: Path, key: str) -> None:
    env = production_env(tmp_path, DJANGO_SECRET_KEY=key)
    started = run([PYTHON, "-c", "import jiuzhu.wsgi"], env)
    assert started.returncode != 0
    assert "拒绝启动" in started.stderr and "DJANGO_SECRET_KEY" in started.stderr
    checked = run([PYTHON, "manage.py", "check", "--deploy"], env)
    assert checked.returncode != 0 and "jiuzhu.E001" in checked.stderr


def test_a_server_process_loads_what_requests_use_and_keeps_it_out_of_the_collector(tmp_path: Path) -> None:
    """Issue 20 item 3 (docs/performance.md): the WSGI entry point loads the PDF and signing
    libraries and the documents' fonts before the first request and freezes what is loaded, so
    a full collection during a request walks only what requests made, not the ~230,000 objects
    of the loaded program (110–180 ms a collection before)."""
    env = production_env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    code = (
        "import gc, sys, jiuzhu.wsgi\n"
        "from jiuzhu.web import pdf\n"
        "print(gc.get_freeze_count(), len(gc.get_objects()), gc.isenabled(),"
        " 'weasyprint' in sys.modules, pdf._local.font_config is not None)"
    )
    started = run([PYTHON, "-c", code], env)
    assert started.returncode == 0, started.stderr
    frozen, walked, enabled, weasyprint, fonts = started.stdout.split()
    assert int(frozen) > 100_000 and int(walked) < int(frozen) // 10
    assert (enabled, weasyprint, fonts) == ("True", "True", "True")


def test_check_deploy_is_clean_with_the_documented_environment(tmp_path: Path) -> None:
    env = production_env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    result = run([PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_production_server_serves_pages_and_hashed_static_files(tmp_path: Path) -> None:
    port = _free_port()
    env = production_env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    collected = run([PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], env, timeout=300)
    assert collected.returncode == 0, collected.stderr
    manifest = json.loads((tmp_path / "staticfiles" / "staticfiles.json").read_text())["paths"]
    server = subprocess.Popen(
        [GUNICORN, "jiuzhu.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        proxied = {"Host": "jiuzhu.example.gov.cn", "X-Forwarded-Proto": "https"}
        for _ in range(100):
            try:
                status, headers, body = _get(f"{base}/login/", proxied)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"gunicorn did not start: {server.stderr.read() if server.stderr else ''}")
        assert status == 200 and "登录" in body.decode()
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "sessionid" not in headers.get("Set-Cookie", "")

        hashed = manifest["css/app.css"] if "css/app.css" in manifest else next(iter(manifest.values()))
        status, headers, body = _get(f"{base}/static/{hashed}", proxied)
        assert status == 200 and body
        assert "immutable" in headers["Cache-Control"]

        status, headers, _ = _get(f"{base}/login/", {"Host": "jiuzhu.example.gov.cn"})
        assert status == 301 and headers["Location"].startswith("https://jiuzhu.example.gov.cn/")

        status, _, _ = _get(f"{base}/login/", {"Host": "evil.example.com", "X-Forwarded-Proto": "https"})
        assert status == 400
    finally:
        server.terminate()
        server.wait(timeout=30)


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def test_make_prod_runs_the_job_worker_below_the_web_workers_priority(tmp_path: Path) -> None:
    """Issue 20: batch jobs (rosters, ingest, re-verification) yield the CPU to the requests, at
    the niceness JIUZHU_WORKER_NICE (15 in deploy/production.env, ``Nice=15`` in the unit)."""
    assert "JIUZHU_WORKER_NICE=15" in (ROOT / "deploy" / "production.env").read_text()
    assert "Nice=15" in (ROOT / "deploy" / "jiuzhu-worker.service").read_text()
    env = production_env(
        tmp_path,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        JIUZHU_BIND=f"127.0.0.1:{_free_port()}",
        JIUZHU_WEB_WORKERS="1",
        JIUZHU_WORKER_NICE="7",
        JIUZHU_PDF_FONT_DIR=str(ROOT / "var" / "fonts"),  # built by make setup: not built again here
    )
    server = subprocess.Popen(
        ["scripts/prod.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        niceness: dict[str, int] = {}
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not ("db_worker" in niceness and "gunicorn" in niceness):
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            for pid in _descendants(server.pid):
                try:
                    cmdline = (Path("/proc") / str(pid) / "cmdline").read_bytes().decode()
                    nice = int((Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[16])
                except (OSError, IndexError, ValueError):
                    continue
                for name in ("db_worker", "gunicorn"):
                    if name in cmdline:
                        niceness[name] = nice
            time.sleep(0.5)
        assert niceness == {"db_worker": 7, "gunicorn": 0}
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)


def test_no_full_id_number_reaches_a_log_line():
    """Issue 19 item 5: error and access logs mask ID and mobile numbers (SUP-9)."""
    import io
    import logging

    from gunicorn.config import Config

    from jiuzhu.web.logmask import MaskingAccessLogger

    full = "370405198001011234"
    console = logging.getLogger("django").handlers[0]  # the configured handler, shared with "jiuzhu"
    assert console in logging.getLogger("jiuzhu").handlers
    buffer = io.StringIO()
    previous = console.setStream(buffer)
    try:
        logging.getLogger("django.request").warning("Not Found: /persons/lookup/?id_number=%s&tel=13812345678", full)
        logging.getLogger("jiuzhu.verification").error("row for %s failed", full)
    finally:
        console.setStream(previous)
    err = buffer.getvalue()
    assert full not in err and "13812345678" not in err
    assert "id_number=370405********1234&tel=138****5678" in err and "row for 370405********1234 failed" in err

    class Req:
        method, path, query, uri, version = "GET", "/persons/lookup/", f"id_number={full}", "", (1, 1)
        headers: list[tuple[str, str]] = []

    class Resp:
        status, status_code, sent, headers, response_length = "200 OK", 200, 10, [], 10

    environ = {
        "RAW_URI": f"/persons/lookup/?id_number={full}",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"/x?q={full}",
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": f"id_number={full}",
        "PATH_INFO": "/persons/lookup/",
    }
    import datetime as dt

    atoms = MaskingAccessLogger(Config()).atoms(Resp(), Req(), environ, dt.timedelta(seconds=0.01))
    assert full not in " ".join(str(v) for v in atoms.values())


def test_no_template_carries_inline_script():
    """Issue 19 item 1: the CSP forbids inline script, so no template may rely on it — event
    handler attributes or <script> blocks (JSON data blocks excepted). Use the data- attributes
    of static/js/behaviours.js instead."""
    import re

    from django.conf import settings

    root = Path(settings.BASE_DIR) / "jiuzhu" / "templates"
    offenders = []
    for path in sorted(root.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_every_response_carries_the_security_headers(client):
    r = client.get("/login/")
    policy = r["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy and "object-src 'none'" in policy
    assert "camera=()" in r["Permissions-Policy"] and r["X-Content-Type-Options"] == "nosniff"
    assert r["X-Frame-Options"] == "DENY" and r["Referrer-Policy"] == "same-origin"


def test_error_pages_speak_chinese(client, world):
    """Issue 19 item 1 / issue 14 item 9: 400 and the CSRF refusal in Chinese, not Django's English."""
    from django.test import Client

    bad_host = client.get("/", HTTP_HOST="evil.example.com")
    assert bad_host.status_code == 400 and "请求有误" in bad_host.content.decode()
    csrf = Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"})
    assert csrf.status_code == 403 and "页面已过期" in csrf.content.decode()
    assert "verification failed" not in csrf.content.decode() and "Forbidden" not in csrf.content.decode()
