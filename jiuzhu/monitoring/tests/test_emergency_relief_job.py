"""Batch 先行救助 as a job that recovers (issue 17 item 6; WF-12, PRG-12; issue 19 item 3's jobs):
asked from the page or the API it runs in the task worker with its progress on the page; a worker
killed mid-batch is found dead, marked failed with the reason and audited; the retry (page or API)
relieves only the households still without a case — none is paid twice. On PostgreSQL a drill
kills the job with SIGKILL at random moments until it completes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core import jobs
from jiuzhu.core.errors import DomainError
from jiuzhu.funds import actions as funds
from jiuzhu.funds.models import ReserveEntry
from jiuzhu.monitoring import emergency as em
from jiuzhu.monitoring.emergency.relief import _relieve_one
from jiuzhu.monitoring.models import Emergency, EmergencyHousehold, EmergencyRelief
from jiuzhu.payments.models import LedgerEntry
from jiuzhu.registry.pii import unseal

COUNTY, CLERK = "tez_county", "tez_zhangshanzi"
WHEN = dt.datetime(2026, 7, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _monday() -> Any:
    with time_machine.travel(WHEN, tick=True):
        yield


def _period(world: Any, household_in: Any, n: int, reserve_fen: int) -> tuple[Emergency, Any]:
    county = world.user(COUNTY)
    fund = funds.open_reserve(by=county, town_code="370405101")
    funds.top_up_reserve(fund, by=county, amount_fen=reserve_fen)
    e = em.declare_emergency(
        {
            "name": "洪涝灾害",
            "kind": "flood",
            "area_code": "370405101",
            "starts_on": "2026-07-06",
            "planned_end_on": "2026-08-05",
            "source_document": "区自然灾害救助应急预案",
        },
        by=county,
    )
    ids = []
    for _ in range(n):
        h = household_in("张山子镇", size=1)
        ids.append(unseal("id_number", h.members.get().id_number_enc))
    data = ("姓名,身份证号码\n" + "".join(f"某,{i}\n" for i in ids)).encode()
    em.import_victims(e, "名单.csv", data, by=world.user(CLERK))
    return e, fund


def _dead_worker() -> str:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return f"{jobs.socket.gethostname()}:{dead.pid}"


@pytest.mark.django_db
def test_wf12_relief_runs_as_a_job_with_its_progress_on_the_page(world, household_in, client_of):
    e, fund = _period(world, household_in, 3, 1_000_000)
    clerk = client_of(CLERK)
    r = clerk.post(f"/monitoring/emergencies/{e.pk}/relieve/", follow=True)
    text = r.content.decode()
    assert "已开始为3户受灾户先行救助" in text
    job = EmergencyRelief.objects.get()
    assert job.total == 3 and job.status == "queued"
    assert 'data-testid="relief-progress"' in text and "hx-get" in text  # the page polls the job
    with pytest.raises(DomainError):
        em.retry_relief(job, by=world.user(CLERK))  # only a failed job is retried
    # the job (run by the worker) relieves each household
    em.run_relief(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.relieved, job.amount_fen, job.percent) == ("done", 3, 3, 300000, 100)
    page = clerk.get(f"/monitoring/emergencies/{e.pk}/").content.decode()
    assert 'data-testid="relief-progress"' in page and "已先行救助3户" in page and "hx-get" not in page
    poll = clerk.get(f"/monitoring/emergencies/{e.pk}/reliefs/{job.pk}/", HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and poll["HX-Redirect"].endswith(f"/monitoring/emergencies/{e.pk}/")
    assert funds.reserve_balance(fund) == 1_000_000 - 300000
    assert AuditEntry.objects.get(action="monitoring.emergency.relieve").changes == {
        "households": 3,
        "amount_fen": 300000,
    }
    assert AuditEntry.objects.filter(action="monitoring.emergency.relieve_request").count() == 1


@pytest.mark.django_db
def test_wf12_a_killed_relief_is_failed_audited_and_retried_without_paying_anyone_twice(
    world, household_in, api_of, client_of
):
    e, fund = _period(world, household_in, 4, 1_000_000)
    clerk = api_of(CLERK)
    r = clerk.post(f"/api/v1/monitoring/emergencies/{e.pk}/actions/relieve", "{}", content_type="application/json")
    assert r.status_code == 202, r.content.decode()
    url = r.json()["progress_url"]
    job = EmergencyRelief.objects.get(pk=r.json()["relief"]["id"])
    # a second request while it is open returns the same job, no second one
    again = clerk.post(f"/api/v1/monitoring/emergencies/{e.pk}/actions/relieve", "{}", content_type="application/json")
    assert again.json()["relief"]["id"] == job.pk and EmergencyRelief.objects.count() == 1
    # the worker relieved two households, then was killed
    by = world.user(CLERK)
    for row_id in job.households[:2]:
        _relieve_one(job, e, row_id, by)
    EmergencyRelief.objects.filter(pk=job.pk).update(status="running", worker=_dead_worker())
    progress = clerk.get(url).json()
    assert progress["status"] == "failed" and "中断" in progress["error"] and progress["can_retry"]
    assert (progress["relieved"], progress["amount_fen"]) == (2, 200000)
    dead = AuditEntry.objects.get(action="monitoring.job.dead")
    assert dead.changes["job"] == "批量先行救助任务"
    page = client_of(CLERK).get(f"/monitoring/emergencies/{e.pk}/").content.decode()
    assert "处理进程意外中断" in page and 'data-testid="relief-retry"' in page
    # retry from the API: queued again; the job relieves only the two still without a case
    r = clerk.post(f"{url}/retry", "{}", content_type="application/json")
    assert r.status_code == 202 and r.json()["relief"]["status"] == "queued"
    assert clerk.post(f"{url}/retry", "{}", content_type="application/json").status_code == 409
    em.run_relief(job.pk)
    job.refresh_from_db()
    assert (job.status, job.relieved, job.amount_fen, job.attempts) == ("done", 4, 400000, 1)
    rows = EmergencyHousehold.objects.filter(emergency=e)
    assert rows.filter(application__isnull=False).count() == 4
    apps = list(rows.values_list("application_id", flat=True))
    paid = LedgerEntry.objects.filter(application_id__in=apps, kind="payment", source="reserve")
    assert paid.count() == 4 and paid.values("application_id").distinct().count() == 4
    assert ReserveEntry.objects.filter(fund=fund, kind="disbursement").count() == 4
    assert funds.reserve_balance(fund) == 1_000_000 - 400000
    assert AuditEntry.objects.filter(action="monitoring.emergency.relieve_retry").count() == 1
    # the page retries too: a job failed again is queued from the page
    EmergencyRelief.objects.filter(pk=job.pk).update(status="failed", error="测试")
    r = client_of(CLERK).post(f"/monitoring/emergencies/{e.pk}/reliefs/{job.pk}/", follow=True)
    assert "已重新排队" in r.content.decode()
    em.run_relief(job.pk)
    assert LedgerEntry.objects.filter(application_id__in=apps, kind="payment", source="reserve").count() == 4


@pytest.mark.django_db
def test_wf12_another_town_cannot_see_or_retry_the_job(world, household_in, api_of):
    e, _ = _period(world, household_in, 1, 1_000_000)
    job = em.request_relief(e, by=world.user(CLERK))
    other = api_of("tez_jiantouji")
    assert other.get(f"/api/v1/monitoring/emergencies/{e.pk}/reliefs/{job.pk}").status_code == 404
    retry = other.post(
        f"/api/v1/monitoring/emergencies/{e.pk}/reliefs/{job.pk}/retry", "{}", content_type="application/json"
    )
    assert retry.status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="kill drills share the test database: PostgreSQL")
def test_wf12_the_relief_job_survives_kill_9_at_random_moments(world, household_in, tmp_path):
    reserve = 10_000_000
    e, _ = _period(world, household_in, 10, reserve)
    job = em.request_relief(e, by=world.user(CLERK))
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
        "JIUZHU_MASTER_KEY": __import__("conftest").TEST_MASTER_KEY,
        "JIUZHU_MEDIA_ROOT": str(tmp_path),
        "DRILL_RESERVE_FEN": str(reserve),
    }
    done = subprocess.run(
        [sys.executable, "-m", "jiuzhu.monitoring.tests.emergency_kills", str(job.pk), "7"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["kills"] >= 4, result
    job.refresh_from_db()
    assert job.status == "done" and job.relieved == 10
