"""Jobs that recover, for the bank export and for notices rendered after commit (issue 19
item 3; SUP-9, DOC-1): each has a job row with status, heartbeat, attempts and error; a dead
worker is found, the job marked failed with the reason (audited), and retried from the page
and the API — the export never writes two files for the same lines, a notice keeps its
number. The kill drill kills both at random moments (PostgreSQL)."""

import subprocess
import sys

import pytest
from django.db import connection, transaction

from jiuzhu.applications import notices
from jiuzhu.applications.models import Notice, NoticeJob, NoticeSequence
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core import jobs
from jiuzhu.core.errors import DomainError
from jiuzhu.payments import actions
from jiuzhu.payments.models import BankBatch, BankExportJob, BankLine

from .test_job_recovery import _drill


def _dead_worker() -> str:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return f"{jobs.socket.gethostname()}:{dead.pid}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="kill drills share the test database: PostgreSQL")
def test_bank_export_and_notices_survive_kill_9_at_random_moments(county, approved_case, locked_roster, tmp_path):
    for i in range(8):
        approved_case("张山子镇" if i % 2 else "涧头集镇")
    locked_roster()
    results = {"bank": _drill("bank", 10, 4, tmp_path), "notices": _drill("notices", 8, 5, tmp_path)}
    assert sum(r["kills"] for r in results.values()) >= 10, results
    assert all(r["kills"] >= 4 for r in results.values()), results


@pytest.fixture
def dead_export(county, approved_case, locked_roster):
    """A first export whose worker was killed: its row is left running, nothing exported."""
    approved_case()
    approved_case("张山子镇")
    roster = locked_roster()
    job = BankExportJob.objects.create(
        roster=roster, area_code=roster.area_code, kind="initial", status="running", worker=_dead_worker(), attempts=1
    )
    return roster, job


@pytest.mark.django_db
def test_a_dead_export_is_marked_failed_audited_and_retried_once(county, dead_export):
    roster, job = dead_export
    # a new export is not blocked by the dead one: it is reaped first, then this one runs
    assert actions.recover_bank_exports() == [job.pk]
    job.refresh_from_db()
    assert job.status == "failed" and "中断" in job.error
    entry = AuditEntry.objects.get(action="payments.job.dead")
    assert entry.changes["worker"] == job.worker
    batch, content, _ = actions.retry_bank_export(job, by=county)
    job.refresh_from_db()
    assert (job.status, job.batch_id, job.attempts) == ("done", batch.pk, 2) and content
    assert AuditEntry.objects.filter(action="payments.bank.retry").exists()
    lines = BankLine.objects.filter(batch__roster=roster)
    assert lines.count() == lines.values("line").distinct().count() == batch.line_count > 0
    with pytest.raises(DomainError) as exc:
        actions.retry_bank_export(job, by=county)
    assert exc.value.code == "export_not_failed"
    # a second first export is refused: the lines went out once
    with pytest.raises(DomainError) as exc:
        actions.export_bank_file(roster, by=county)
    assert exc.value.code == "already_exported"
    assert BankBatch.objects.filter(roster=roster).count() == 1


@pytest.mark.django_db
def test_a_failed_retry_of_an_exported_roster_writes_nothing(county, dead_export):
    roster, job = dead_export
    actions.recover_bank_exports()
    actions.export_bank_file(roster, by=county)  # someone exported meanwhile
    job.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        actions.retry_bank_export(job, by=county)
    assert exc.value.code == "already_exported"
    job.refresh_from_db()
    assert job.status == "failed" and "已导出" in job.error and job.batch_id is None
    assert BankBatch.objects.filter(roster=roster).count() == 1


@pytest.mark.django_db
def test_an_export_refused_up_front_leaves_no_job(county, approved_case):
    approved_case()
    roster = actions.generate_roster(by=county, area_code="370405", month=__import__("datetime").date(2026, 11, 1))
    with pytest.raises(DomainError) as exc:
        actions.export_bank_file(roster, by=county)
    assert exc.value.code == "not_locked" and not BankExportJob.objects.exists()


@pytest.mark.django_db
def test_a_dead_export_is_retried_from_the_page_and_the_api(dead_export, client_of, api_of):
    roster, job = dead_export
    page = client_of("tez_county").get(f"/payments/rosters/{roster.pk}/").content.decode()
    assert 'data-testid="export-retry"' in page and "中断" in page
    r = client_of("tez_county").post(f"/payments/export-jobs/{job.pk}/retry/")
    assert r.status_code == 200 and r["X-Batch-Id"]
    api = api_of("tez_county")
    got = api.get(f"/api/v1/payments/export-jobs/{job.pk}")
    assert got.status_code == 200 and got.json()["status"] == "done" and got.json()["batch_id"] == int(r["X-Batch-Id"])
    again = api.post(f"/api/v1/payments/export-jobs/{job.pk}/retry", "{}", content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "export_not_failed"
    assert BankBatch.objects.filter(roster=roster).count() == 1
    assert api_of("tez_viewer").post(
        f"/api/v1/payments/export-jobs/{job.pk}/retry", "{}", content_type="application/json"
    ).status_code in (403, 404)


@pytest.mark.django_db
def test_a_dead_export_is_retried_through_the_api(dead_export, api_of):
    roster, job = dead_export
    r = api_of("tez_county").post(f"/api/v1/payments/export-jobs/{job.pk}/retry", "{}", content_type="application/json")
    assert r.status_code == 200, r.content
    assert BankBatch.objects.filter(roster=roster).count() == 1


@pytest.fixture
def dead_notice(county, approved_case, monkeypatch):
    """A notice numbered by an action whose process died before the PDF was kept."""
    app = approved_case()
    with monkeypatch.context() as m:
        m.setattr(notices, "_render_job", lambda job_id, prepared: None)  # the process dies here
        with notices.rendered_after(), transaction.atomic():
            notices.issue_after(county, "checklist", intake=app.intake, application=app, extra={"missing": []})
    job = NoticeJob.objects.get(kind="checklist", notice__isnull=True)
    NoticeJob.objects.filter(pk=job.pk).update(worker=_dead_worker())
    job.refresh_from_db()
    return app, job


def _numbers_given() -> int:
    return sum(NoticeSequence.objects.values_list("last", flat=True))


@pytest.mark.django_db
def test_a_dead_notice_rendering_is_failed_audited_and_retried_under_its_number(county, dead_notice):
    _, job = dead_notice
    assert job.status == "running" and not Notice.objects.filter(number=job.number).exists()
    assert notices.recover_notice_jobs() == [job.pk]
    job.refresh_from_db()
    assert job.status == "failed" and "中断" in job.error
    assert AuditEntry.objects.filter(action="applications.job.dead").exists()
    given = _numbers_given()
    notice = notices.retry_notice_job(job, by=county)
    job.refresh_from_db()
    assert notice.number == job.number and job.notice_id == notice.pk and job.status == "done"
    assert _numbers_given() == given  # no second number
    assert Notice.objects.filter(number=job.number).count() == 1
    with pytest.raises(DomainError) as exc:
        notices.retry_notice_job(job, by=county)
    assert exc.value.code == "notice_job_not_failed"


@pytest.mark.django_db
def test_a_rendered_notice_closes_its_job(county, approved_case):
    app = approved_case()
    with notices.rendered_after(), transaction.atomic():
        notices.issue_after(county, "checklist", intake=app.intake, application=app, extra={"missing": []})
    job = NoticeJob.objects.get(intake=app.intake)
    assert (job.status, job.attempts) == ("done", 1) and job.notice.number == job.number


@pytest.mark.django_db
def test_a_dead_notice_is_retried_from_the_page_and_the_api(dead_notice, client_of, api_of):
    app, job = dead_notice
    page = client_of("tez_county").get(f"/applications/{app.pk}/").content.decode()
    assert 'data-testid="notice-retry"' in page and job.number in page
    r = client_of("tez_county").post(f"/applications/notice-jobs/{job.pk}/retry/")
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.status == "done" and Notice.objects.filter(number=job.number).count() == 1
    api = api_of("tez_county")
    again = api.post(f"/api/v1/applications/notice-jobs/{job.pk}/retry", "{}", content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "notice_job_not_failed"
    # a job whose notice was kept but whose end was lost: the retry closes it, renders nothing
    NoticeJob.objects.filter(pk=job.pk).update(status="failed", notice=None)
    r = api.post(f"/api/v1/applications/notice-jobs/{job.pk}/retry", "{}", content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert Notice.objects.filter(number=job.number).count() == 1
    assert api.get(f"/api/v1/applications/notice-jobs/{job.pk}").json()["notice_id"] is not None


@pytest.mark.django_db
def test_a_notice_is_retried_by_the_roles_that_issue_notices_only(world, dead_notice, client_of, api_of):
    """Who may re-render a failed notice (issue 19): the town window, the town approver and the
    county civil affairs, who issue notices (受理、审核确认: seeds 001, 003) — not the village
    assistant nor the system administrator, although both may file documents of a case."""
    from jiuzhu.accounts.roles import ROLES
    from jiuzhu.core.errors import Forbidden

    app, job = dead_notice
    notices.recover_notice_jobs()
    issuers = {code for code, role in ROLES.items() if "applications.notices" in role.permissions}
    assert issuers == {"town_clerk", "town_approver", "county_officer"}
    for username in ("tez_beiluo", "tez_admin"):
        assert world.user(username).has_perm_code("registry.documents")
        with pytest.raises(Forbidden) as exc:
            notices.retry_notice_job(job, by=world.user(username))
        assert "无权重新生成文书" in exc.value.message
    refused = api_of("tez_admin").post(
        f"/api/v1/applications/notice-jobs/{job.pk}/retry", "{}", content_type="application/json"
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert 'data-testid="notice-retry"' not in client_of("tez_admin").get(f"/applications/{app.pk}/").content.decode()
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 1
    assert not AuditEntry.objects.filter(action="applications.notice.retry").exists()
    town = client_of("tez_zhangshanzi")
    assert 'data-testid="notice-retry"' in town.get(f"/applications/{app.pk}/").content.decode()
    r = api_of("tez_zhangshanzi").post(
        f"/api/v1/applications/notice-jobs/{job.pk}/retry", "{}", content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert Notice.objects.filter(number=job.number).count() == 1


@pytest.mark.django_db
def test_recover_jobs_reports_a_dead_export_and_a_dead_notice(dead_export, dead_notice):
    """Issue 19 item 3: the periodic ``recover_jobs`` finds every kind of dead job, bank
    exports and notices included, not only when someone opens their page."""
    from io import StringIO

    from django.core.management import call_command

    _, export = dead_export
    _, notice_job = dead_notice
    out = StringIO()
    call_command("recover_jobs", stdout=out)
    text = out.getvalue()
    assert f"银行文件导出：1个任务的处理进程已中断，已标记为失败（编号 {export.pk}）" in text
    assert f"文书生成：1个任务的处理进程已中断，已标记为失败（编号 {notice_job.pk}）" in text
    export.refresh_from_db()
    notice_job.refresh_from_db()
    assert export.status == "failed" and notice_job.status == "failed"
