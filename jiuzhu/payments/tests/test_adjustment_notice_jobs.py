"""The 调整告知书 of a standard change as a job that recovers (DYN-4; issue 19 item 3): the lock
writes a job row; the worker issues each notice once per case and month under a heartbeat; a
dead worker's job is marked failed (audited) and retried through the API without a second notice."""

import re
import subprocess
import sys

import pytest

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core import jobs
from jiuzhu.core.errors import DomainError
from jiuzhu.payments import actions
from jiuzhu.payments.models import AdjustmentNoticeJob, PaymentNotice
from jiuzhu.payments.tests.conftest import DEC, raise_standard
from jiuzhu.registry.storage import path_of
from journeys.conftest import pdf_text

pytestmark = pytest.mark.django_db


def _dead_worker() -> str:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return f"{jobs.socket.gethostname()}:{dead.pid}"


@pytest.fixture
def standard_change_locked(county, admin, approved_case, locked_roster):
    """A case paid in November, a higher 低保标准 from December, December's roster locked."""
    app = approved_case()
    locked_roster()
    raise_standard(app, county=county, admin=admin)
    dec = locked_roster(month=DEC)
    assert dec.lines.get(application=app).change == "standard"
    return app, dec


def test_the_lock_queues_a_job_that_issues_each_notice_once(standard_change_locked):
    """DYN-4: the job row is written with the lock; running it twice issues one notice."""
    app, dec = standard_change_locked
    job = AdjustmentNoticeJob.objects.get(roster=dec)
    assert (job.status, job.attempts, job.area_code) == ("queued", 0, dec.area_code)
    job = actions.run_adjustment_notices(job.pk)
    assert (job.status, job.done, job.attempts) == ("done", 1, 1)
    assert job.worker == jobs.this_worker() and job.heartbeat_at is not None and job.finished_at is not None
    notice = PaymentNotice.objects.get(application=app, kind="adjustment", month=DEC)
    assert notice.notice.number
    # the family reads the new standard in the notice's sum, and the amount the roster pays
    text = re.sub(r"\s+", "", pdf_text(path_of(notice.notice.document.storage_name).read_bytes()))
    amount = dec.lines.get(application=app).amount_fen
    assert f"当地低保标准（城乡分设，每人每月）{1200 if app.facts['urban'] else 900:,}.00元" in text
    assert f"月低保金{amount / 100:,.2f}元" in text, text
    assert "金融资产上限" not in text and "台政字〔2026〕99号" in text
    assert actions.run_adjustment_notices(job.pk).done == 1  # a done job is not run again
    assert PaymentNotice.objects.filter(application=app, kind="adjustment").count() == 1


def test_a_dead_job_is_marked_failed_audited_and_retried_through_the_api(standard_change_locked, county, api_of):
    app, dec = standard_change_locked
    job = AdjustmentNoticeJob.objects.get(roster=dec)
    dead = _dead_worker()
    AdjustmentNoticeJob.objects.filter(pk=job.pk).update(status="running", worker=dead, attempts=1)
    api = api_of("tez_county")
    got = api.get(f"/api/v1/payments/notice-jobs/{job.pk}")
    assert got.status_code == 200
    body = got.json()
    assert body["status"] == "failed" and body["can_retry"] and "中断" in body["error"]
    assert AuditEntry.objects.get(action="payments.job.dead").changes["worker"] == dead
    r = api.post(f"/api/v1/payments/notice-jobs/{job.pk}/retry", "{}", content_type="application/json")
    assert r.status_code == 202 and r.json()["status"] == "queued"
    assert AuditEntry.objects.filter(action="payments.notices.retry").exists()
    job = actions.run_adjustment_notices(job.pk)
    assert (job.status, job.done, job.attempts) == ("done", 1, 2)
    assert PaymentNotice.objects.filter(application=app, kind="adjustment").count() == 1
    with pytest.raises(DomainError) as exc:
        actions.retry_adjustment_notices(job, by=county)
    assert exc.value.code == "run_not_failed"


def test_recover_jobs_reports_a_dead_notice_job(standard_change_locked):
    from io import StringIO

    from django.core.management import call_command

    _, dec = standard_change_locked
    job = AdjustmentNoticeJob.objects.get(roster=dec)
    AdjustmentNoticeJob.objects.filter(pk=job.pk).update(status="running", worker=_dead_worker())
    out = StringIO()
    call_command("recover_jobs", stdout=out)
    assert f"调整告知书：1个任务的处理进程已中断，已标记为失败（编号 {job.pk}）" in out.getvalue()
    job.refresh_from_db()
    assert job.status == "failed"


def test_another_county_cannot_see_or_retry_the_job(standard_change_locked, api_of):
    _, dec = standard_change_locked
    job = AdjustmentNoticeJob.objects.get(roster=dec)
    api = api_of("yc_county")
    assert api.get(f"/api/v1/payments/notice-jobs/{job.pk}").status_code == 404
    r = api.post(f"/api/v1/payments/notice-jobs/{job.pk}/retry", "{}", content_type="application/json")
    assert r.status_code == 404


def test_a_dead_job_is_retried_from_the_roster_page(standard_change_locked, client_of):
    """DYN-4, issue 19 item 3: the roster page lists the failed job with a 重试 button; one
    notice per case however often it is retried; a viewer sees no button and cannot retry."""
    app, dec = standard_change_locked
    job = AdjustmentNoticeJob.objects.get(roster=dec)
    AdjustmentNoticeJob.objects.filter(pk=job.pk).update(status="running", worker=_dead_worker(), attempts=1)
    county_web = client_of("tez_county")
    page = county_web.get(f"/payments/rosters/{dec.pk}/").content.decode()
    assert 'data-testid="notice-jobs"' in page and "调整告知书生成任务" in page
    assert 'data-testid="notice-retry"' in page and "中断" in page
    viewer_page = client_of("tez_viewer").get(f"/payments/rosters/{dec.pk}/").content.decode()
    assert 'data-testid="notice-retry"' not in viewer_page
    client_of("tez_viewer").post(f"/payments/notice-jobs/{job.pk}/retry/")
    job.refresh_from_db()
    assert job.status == "failed"  # refused: 查看 only

    r = county_web.post(f"/payments/notice-jobs/{job.pk}/retry/", follow=True)
    assert r.status_code == 200 and "已重新提交调整告知书生成任务" in r.content.decode()
    job.refresh_from_db()
    assert job.status == "queued"
    assert actions.run_adjustment_notices(job.pk).status == "done"
    assert PaymentNotice.objects.filter(application=app, kind="adjustment").count() == 1
    page = county_web.get(f"/payments/rosters/{dec.pk}/").content.decode()
    assert 'data-testid="notice-jobs"' not in page  # nothing left to do
