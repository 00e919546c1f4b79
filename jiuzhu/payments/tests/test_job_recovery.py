"""Jobs that recover (issue 19 item 3; SUP-9): every long job — roster generation,
re-verification, department-data ingest — is killed with SIGKILL at random moments (more than
20 kills in all); each time the dead job is found and marked failed with the reason, nothing is
half-done, and the retry completes. The unit tests below cover the rules on both databases."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from jiuzhu.core import jobs
from jiuzhu.payments import actions
from jiuzhu.payments.models import RosterRun
from jiuzhu.payments.tests.conftest import NOV

ROOT = Path(__file__).resolve().parents[3]


def _drill(kind: str, rounds: int, seed: int, tmp_path: Path) -> dict[str, int]:
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
        "JIUZHU_MASTER_KEY": __import__("conftest").TEST_MASTER_KEY,
        "JIUZHU_MEDIA_ROOT": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "jiuzhu.payments.tests.job_kills", kind, str(rounds), str(seed)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="kill drills share the test database: PostgreSQL")
def test_every_long_job_survives_kill_9_at_random_moments(county, approved_case, tmp_path):
    for i in range(24):
        approved_case("张山子镇" if i % 2 else "涧头集镇")
    call_command("sync_source_catalog", verbosity=0)
    results = {
        "roster": _drill("roster", 10, 1, tmp_path),
        "reverify": _drill("reverify", 10, 2, tmp_path),
        "ingest": _drill("ingest", 8, 3, tmp_path),
    }
    kills = sum(r["kills"] for r in results.values())
    assert kills >= 20, results
    assert all(r["kills"] >= 4 for r in results.values()), results


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_marked_failed_audited_and_retried(county, approved_case, monkeypatch):
    from jiuzhu.audit.models import AuditEntry

    approved_case()
    run = actions.request_roster(by=county, area_code="370405", month=NOV)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    RosterRun.objects.filter(pk=run.pk).update(status="running", worker=f"{jobs.socket.gethostname()}:{dead.pid}")
    # A new request for the same month is not blocked by the dead run.
    again = actions.request_roster(by=county, area_code="370405", month=NOV)
    run.refresh_from_db()
    assert run.status == "failed" and "中断" in run.error and again.pk != run.pk
    entry = AuditEntry.objects.get(action="payments.job.dead")
    assert entry.changes["worker"].endswith(f":{dead.pid}")
    retried = actions.retry_roster_run(run, by=county)
    assert retried.status == "queued" and AuditEntry.objects.filter(action="payments.roster.retry").exists()
    from jiuzhu.core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        actions.retry_roster_run(retried, by=county)
    assert exc.value.code == "run_not_failed"


@pytest.mark.django_db
def test_a_live_worker_is_never_taken_for_dead(county, approved_case, settings):
    """The worker of this very process is alive; a worker on another host is judged by its
    heartbeat, which must be older than JOB_STALE_SECONDS."""
    import datetime as dt

    from django.utils import timezone

    approved_case()
    run = actions.request_roster(by=county, area_code="370405", month=NOV)
    RosterRun.objects.filter(pk=run.pk).update(status="running", worker=jobs.this_worker())
    assert actions.recover_roster_runs() == []
    settings.JOB_STALE_SECONDS = 60
    fresh = timezone.now() - dt.timedelta(seconds=30)
    RosterRun.objects.filter(pk=run.pk).update(worker="other-host:123", heartbeat_at=fresh)
    assert actions.recover_roster_runs() == []
    RosterRun.objects.filter(pk=run.pk).update(heartbeat_at=fresh - dt.timedelta(seconds=60))
    assert actions.recover_roster_runs() == [run.pk]


def test_the_heartbeat_beats_while_the_job_runs(db, county, approved_case, settings):
    import time

    settings.JOB_HEARTBEAT_SECONDS = 0.05
    approved_case()
    run = actions.request_roster(by=county, area_code="370405", month=NOV)
    with jobs.heartbeat(RosterRun, run.pk):
        run.refresh_from_db()
        assert run.worker == jobs.this_worker() and run.heartbeat_at is not None
        time.sleep(0.3)
    assert not [t for t in __import__("threading").enumerate() if t.name.startswith("heartbeat-")]


@pytest.mark.django_db
def test_retry_from_the_page_and_the_api(county, approved_case, client_of, api_of):
    approved_case()
    run = actions.request_roster(by=county, area_code="370405", month=NOV)
    RosterRun.objects.filter(pk=run.pk).update(status="failed", error="处理进程意外中断")
    page = client_of("tez_county").get(f"/payments/runs/{run.pk}/")
    assert 'data-testid="run-retry"' in page.content.decode()
    r = client_of("tez_county").post(f"/payments/runs/{run.pk}/")
    assert r.status_code == 302
    run.refresh_from_db()
    assert run.status in ("queued", "running", "done")
    RosterRun.objects.filter(pk=run.pk).update(status="failed")
    api = api_of("tez_county")
    r = api.post(f"/api/v1/payments/runs/{run.pk}/retry", "{}", content_type="application/json")
    assert r.status_code == 202, r.content
    assert r.json()["run"]["id"] == run.pk
    r = api.post(f"/api/v1/payments/runs/{run.pk}/retry", "{}", content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "run_not_failed"


@pytest.mark.django_db
def test_a_reverification_run_is_retried_through_the_api_and_the_page(world, approved_case, api_of, client_of):
    from jiuzhu.verification import actions as verification
    from jiuzhu.verification.models import ReverificationRun

    approved_case()
    run = verification.start_reverification(by=world.user("tez_hecha"), area_code="370405")
    ReverificationRun.objects.filter(pk=run.pk).update(status="failed", message="处理进程意外中断")
    page = client_of("tez_hecha").get(f"/verification/reverifications/{run.pk}/")
    assert 'data-testid="run-retry"' in page.content.decode()
    url = f"/api/v1/verifications/reverifications/{run.pk}/retry"
    r = api_of("tez_hecha").post(url, "{}", content_type="application/json")
    assert r.status_code == 202 and r.json()["id"] == run.pk
    assert api_of("tez_viewer").post(url, "{}", content_type="application/json").status_code in (403, 404)
