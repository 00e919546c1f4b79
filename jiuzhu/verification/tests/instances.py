"""Separate jiuzhu instances for tests that need real processes: a second county's server
(cross-county verification) or a worker killed with SIGKILL. Each instance has its own
database — a SQLite file, or on PostgreSQL (``DATABASE_URL`` set) its own database cloned
from a migrated template — its own media directory and its own PII master key."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[3]
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_url(name: str) -> str:
    url = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(url._replace(path="/" + name))


def _pg_admin(sql: str) -> None:
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    with psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)


class Instance:
    def __init__(
        self, root: Path, name: str, *, master_key: str | None = None, template: Instance | None = None
    ) -> None:
        self.dir = root / name
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "media").mkdir(exist_ok=True)
        self.postgres = bool(os.environ.get("DATABASE_URL"))
        self.db_name = f"jz_{name}_{uuid.uuid4().hex[:8]}"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.master_key = master_key or base64.b64encode(os.urandom(32)).decode()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
        env.update(
            JIUZHU_VAR_DIR=str(self.dir),
            JIUZHU_MEDIA_ROOT=str(self.dir / "media"),
            JIUZHU_MASTER_KEY=self.master_key,
            DJANGO_SETTINGS_MODULE="jiuzhu.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=base64.b64encode(os.urandom(48)).decode(),
            DJANGO_HTTPS="0",  # peers talk plain HTTP on loopback in tests
            PYTHONUNBUFFERED="1",
        )
        if self.postgres:
            env["DATABASE_URL"] = _pg_url(self.db_name)
            if template is not None:
                _pg_admin(f'CREATE DATABASE "{self.db_name}" TEMPLATE "{template.db_name}"')
            else:
                _pg_admin(f'CREATE DATABASE "{self.db_name}"')
        else:
            env.pop("DATABASE_URL", None)
            if template is not None:
                shutil.copy(template.dir / "db.sqlite3", self.dir / "db.sqlite3")
        self.env = env

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run([*MANAGE, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def run(self, script: str, timeout: float = 300) -> Any:
        """Run Python in the instance (``manage.py shell``); the script prints one JSON line last."""
        out = self.manage("shell", "-c", script, timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [*MANAGE, *args], env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.processes.append(proc)
        return proc

    def serve(self) -> str:
        port = free_port()
        self.start("runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("second instance did not start")

    def close(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if self.postgres:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
