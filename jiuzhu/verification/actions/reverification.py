"""Batch re-verification runs (start, recover, retry) and handling their findings."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record, record_job_death
from jiuzhu.core import jobs
from jiuzhu.core.errors import DomainError, InvalidInput

from ..models import (
    Batch,
    Finding,
    ReverificationRun,
)
from .permissions import can, require_perm

# ---- batch re-verification and findings ---------------------------------------------------------


def start_reverification(
    *, by: User, area_code: str, trigger: str = "manual", batch: Batch | None = None
) -> ReverificationRun:
    """批量复核: re-verify every active case (approved application) in an area, as a job."""
    if trigger == "manual":
        require_perm(by, "verification.run")
    code = (area_code or "").strip()
    from jiuzhu.areas.models import Area, full_code

    area = Area.objects.filter(code=full_code(code)).first() if code.isdigit() else None
    if area is None:
        raise InvalidInput("unknown_area", f"区划代码“{code}”不存在", field="area_code")
    require_in_scope(by=by, area_code=area.code, what="该区域", field="area_code")
    with transaction.atomic():
        run = ReverificationRun.objects.create(
            area_code=area.code,
            county_code=area.code[:6],
            trigger=trigger,
            batch=batch,
            started_by=user_or_none(by),
        )
        record(
            by,
            "verification.reverify.start",
            run,
            changes={"run": run.pk, "area": area.code, "trigger": trigger, "batch": getattr(batch, "pk", None)},
        )
        transaction.on_commit(lambda: _enqueue_run(run.pk))
    return run


def _enqueue_run(run_id: int) -> None:
    from ..tasks import reverify_task

    reverify_task.enqueue(run_id)


def recover_reverification_runs(scope: Any = None) -> list[int]:
    """Runs whose worker died are marked failed with the reason (issue 19 item 3)."""
    return jobs.reap(ReverificationRun, scope=scope, message_field="message", audit=record_job_death)


def retry_reverification(run: ReverificationRun, *, by: User) -> ReverificationRun:
    """重试: a failed run continues after the last household it finished (each chunk commits
    its snapshots, findings and position together, so nothing is done twice)."""
    require_perm(by, "verification.run")
    return jobs.retry(
        run,
        recover=recover_reverification_runs,
        reset={"status": "queued", "message": "", "finished_at": None},
        audit=lambda locked: record(
            by,
            "verification.reverify.retry",
            locked,
            changes={"run": locked.pk, "done": locked.done, "attempts": locked.attempts},
        ),
        refusal="该任务当前为“{status}”，只有出错的任务可以重试",
        enqueue=_enqueue_run,
    )


def handle_finding(finding: Finding, *, by: User, note: str) -> Finding:
    """核查处理: a case worker records what was done about a finding."""
    if not (can(by, "verification.view") or can(by, "verification.run")):
        require_perm(by, "verification.view")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("required", "请填写处理说明", field="note")
    with transaction.atomic():
        locked: Finding = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.status == "handled":
            raise DomainError("finding_handled", "该预警已处理")
        locked.status = "handled"
        locked.handled_by = user_or_none(by)
        locked.handled_at = timezone.now()
        locked.handling_note = note[:300]
        locked.save(update_fields=["status", "handled_by", "handled_at", "handling_note"])
        record(by, "verification.finding.handle", locked.household, changes={"finding": locked.pk, "note": note})
    return locked
