"""Reliability on PostgreSQL: two workers generating the same roster give one roster; a
``kill -9`` in the middle of generation or of a bank-result import leaves nothing half-done
and the work can simply be run again."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections

from jiuzhu.payments import actions
from jiuzhu.payments.models import LedgerEntry, Roster, RosterLine
from jiuzhu.payments.tests.conftest import NOV, result_csv

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency and kill tests run on PostgreSQL"),
]
ROOT = Path(__file__).resolve().parents[3]


def test_two_workers_generating_the_same_roster_make_one(county, approved_case):
    for _ in range(6):
        approved_case()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work() -> None:
        try:
            barrier.wait()
            results.append(actions.generate_roster(by=county, area_code="370405", month=NOV).pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(set(results)) == 1 and Roster.objects.count() == 1
    assert RosterLine.objects.count() == 6


def _kill_during(args: list[str], tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:"
        f"{connection.settings_dict['PORT']}/{connection.settings_dict['NAME']}",
        "JIUZHU_MASTER_KEY": __import__("conftest").TEST_MASTER_KEY,
        "JIUZHU_MEDIA_ROOT": str(tmp_path),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "jiuzhu.payments.tests.kill_helper", args[0], str(marker), *args[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode()[-2000:])
        assert time.monotonic() < deadline, "the helper never reached the middle of its transaction"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def test_a_kill_during_generation_leaves_no_roster_and_a_rerun_works(county, approved_case, tmp_path):
    for _ in range(8):
        approved_case()
    _kill_during(["roster", "370405", "2026-11"], tmp_path)
    assert Roster.objects.count() == 0 and RosterLine.objects.count() == 0
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    assert roster.lines.count() == 8


def test_a_kill_during_a_bank_import_applies_nothing_and_a_rerun_works(
    county, admin, approved_case, locked_roster, tmp_path
):
    for _ in range(8):
        approved_case()
    roster = locked_roster()
    batch, _, _ = actions.export_bank_file(roster, by=county)
    data = result_csv(batch)
    path = tmp_path / "回盘.csv"
    path.write_bytes(data)
    _kill_during(["results", "370405", "2026-11", str(batch.pk), str(path)], tmp_path)
    assert not LedgerEntry.objects.filter(kind="payment").exists()
    assert set(batch.lines.values_list("status", flat=True)) == {"sent"}
    assert not batch.imports.exists()
    report = actions.import_bank_results(batch, by=county, file_name="回盘.csv", data=data)
    assert report.paid == 8 and LedgerEntry.objects.filter(kind="payment").count() == 8
