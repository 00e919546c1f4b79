"""A kill -9 of the worker in the middle of a load leaves no partial batch, and the batch
can be processed again (ARCHITECTURE rule 8: loaded atomically)."""

import json
import os
import signal
import time

import pytest

from jiuzhu.core.idnumber import make_id_number

pytestmark = pytest.mark.django_db
ROWS = 150_000


def big_expense_file(path):
    import datetime as dt

    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("姓名,身份证号码,就诊机构,结算日期,医疗总费用（元）,医保报销（元）,个人自付（元）\r\n")
        for i in range(ROWS):
            person = make_id_number("370405", dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28), i % 997, "MF"[i % 2])
            fh.write(f"患者,{person},医院{i},2026-09-{1 + i % 28:02d},1000.00,600.00,400.00\r\n")


SETUP = """
import json
from jiuzhu.accounts.system import SystemActor
from jiuzhu.verification.actions import receive_batch
from jiuzhu.verification.models import Source
with open({path!r}, "rb") as fh:
    chunks = iter(lambda: fh.read(1 << 20), b"")
    source = Source.objects.get(code="yibao.expense")
    batch, _ = receive_batch(source, chunks, by=SystemActor(), filename="big.csv", county_code="370405")
print(json.dumps({{"batch": batch.pk}}))
"""
STATE = """
import json
from jiuzhu.verification.models import Batch, Fact
b = Batch.objects.get(pk={batch})
print(json.dumps({{"status": b.status, "facts": Fact.objects.filter(batch_id=b.pk).count(), "rows": b.rows_loaded}}))
"""
RERUN = """
import json
from jiuzhu.accounts.system import SystemActor
from jiuzhu.verification.actions import rerun_batch
from jiuzhu.verification.models import Batch
b = rerun_batch(Batch.objects.get(pk={batch}), by=SystemActor(), force=True)
print(json.dumps({{"status": b.status}}))
"""


def test_it_leaves_no_partial_batch_after_a_kill_9_and_can_run_again(new_instance, tmp_path):
    instance = new_instance("crash")
    path = tmp_path / "big.csv"
    big_expense_file(path)
    batch = instance.run(SETUP.format(path=str(path)))["batch"]
    progress = instance.dir / "media" / "verification" / "spool" / f"batch-{batch}.progress.json"
    worker = instance.start("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            rows = json.loads(progress.read_text()).get("rows", 0)
        except (OSError, ValueError):
            rows = 0
        if rows >= 30_000:
            break
        assert worker.poll() is None, worker.stderr.read().decode()
        time.sleep(0.05)
    else:
        pytest.fail("the worker never got going")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)

    after_kill = instance.run(STATE.format(batch=batch))
    assert after_kill == {"status": "processing", "facts": 0, "rows": 0}  # nothing half-written

    assert instance.run(RERUN.format(batch=batch))["status"] == "queued"
    instance.manage("db_worker", "--no-reload", "--no-startup-delay", "--batch", timeout=600)
    assert instance.run(STATE.format(batch=batch)) == {"status": "loaded", "facts": ROWS, "rows": ROWS}
