"""The 调整告知书 of a locked roster as a job that recovers (DYN-4; issue 19 item 3): locking
writes the job row and queues it after commit; the worker keeps its heartbeat while it issues
the notices; a job whose worker died is marked failed (audited) and can be retried. The work
itself is ``rosters.issue_adjustment_notices``: once per case and month, so a retry goes on
where the dead worker stopped and never issues a notice twice."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.audit.log import record, record_job_death
from jiuzhu.core import jobs

from ..models import AdjustmentNoticeJob, Roster


def queue_adjustment_notices(roster: Roster, *, requested_by: Any) -> AdjustmentNoticeJob:
    """In the lock's transaction: the job row, queued once the lock commits."""
    job = AdjustmentNoticeJob.objects.create(roster=roster, area_code=roster.area_code, requested_by=requested_by)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from ..tasks import adjustment_notices_task

    adjustment_notices_task.enqueue(job_id)


def run_adjustment_notices(job_id: int) -> AdjustmentNoticeJob:
    """The job: issue the roster's 调整告知书 under a heartbeat, recording how many."""
    from .rosters import issue_adjustment_notices

    job = AdjustmentNoticeJob.objects.get(pk=job_id)
    if job.status == "done":
        return job
    jobs.claim(AdjustmentNoticeJob, job.pk)
    jobs.run(
        AdjustmentNoticeJob,
        job.pk,
        lambda: issue_adjustment_notices(job.roster_id),
        crashed="生成失败：{error}",
        done=lambda count: {"done": count},
    )
    job.refresh_from_db()
    return job


def recover_adjustment_notice_jobs(scope: Any = None) -> list[int]:
    """Jobs whose worker died are marked failed with the reason (issue 19 item 3)."""
    return jobs.reap(AdjustmentNoticeJob, scope=scope, audit=record_job_death)


def retry_adjustment_notices(job: AdjustmentNoticeJob, *, by: User) -> AdjustmentNoticeJob:
    """重试: queue a failed job again; the notices already issued are not issued twice."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=job.area_code)
    return jobs.retry(
        job,
        recover=recover_adjustment_notice_jobs,
        reset={"status": "queued", "error": "", "finished_at": None},
        audit=lambda locked: record(
            by, "payments.notices.retry", locked, changes={"job": locked.pk, "attempts": locked.attempts}
        ),
        enqueue=_enqueue,
    )
