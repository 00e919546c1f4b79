"""入库后处理 (issue 17 leftovers): what dynamic management does when a department batch has
loaded (``verification.signals.batch_loaded``), each step isolated from the others.

The steps (``AFTER_LOAD_STEPS``): 死亡、迁出信息同步 (``life_events``: deaths and moves out reach
the registry and the money, DYN-7, LNK-11), 预警规则评估 (``rules``: the county's monitoring
rules queued again, 政策找人) and 疑似困难人员名单处理 (``suspected``: a department's list matched,
scored and warned, DIS-3). Each step commits its own work as it goes (life events one event
at a time). One that fails — a missing setting, a notice that cannot be made — stops there and
keeps what it finished: the batch stays loaded, the other steps and the rest of the job after
the load (match statistics, re-verification) go on, and the failure is kept
(``AfterLoadFailure``, one per batch and step) with its Chinese reason, shown on the
疑似困难人员名单 page and ``GET /api/v1/monitoring/after-load-failures``, until a retry runs
the step again and completes it (``retry``; each step is idempotent, so what it had finished
is not done twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, NotFound
from jiuzhu.verification.models import Batch

from . import life_events, suspected
from .models import AFTER_LOAD_STEPS, AfterLoadFailure, MonitoringRule

logger = logging.getLogger(__name__)
STEP_NAMES = dict(AFTER_LOAD_STEPS)


def _life_events(batch: Batch, by: Any) -> Any:
    return life_events.apply_batch(batch, by=by)


def _rules(batch: Batch, by: Any) -> Any:
    """The county's enabled monitoring rules are evaluated again (a job of their own)."""
    from .tasks import evaluate_warnings_task

    if MonitoringRule.objects.filter(county_code=batch.county_code, enabled=True).exists():
        evaluate_warnings_task.enqueue(batch.county_code)
    return None


def _suspected(batch: Batch, by: Any) -> Any:
    if suspected.list_spec(batch.source) is None:
        return None
    return suspected.process_list(batch, by=by)


STEPS: dict[str, Callable[[Batch, Any], Any]] = {
    "life_events": _life_events,
    "rules": _rules,
    "suspected": _suspected,
}


def run_step(step: str, batch: Batch, *, by: Any) -> bool:
    """Run one step for a loaded batch; a failure is recorded, never raised. True when it ran."""
    try:
        STEPS[step](batch, by)
    except Exception as exc:  # isolated: one step's failure is kept, not raised
        logger.warning("step %s after batch %s failed: %r", step, batch.pk, exc)
        record_failure(batch, step, exc, by=by)
        return False
    AfterLoadFailure.objects.filter(batch=batch, step=step, resolved_at__isnull=True).update(resolved_at=timezone.now())
    return True


# ``batch_loaded`` receivers (connected in ``handlers.connect``), one per step


def on_loaded_life_events(sender: Any, *, by: Any, batch: Batch, **_: Any) -> None:
    run_step("life_events", batch, by=by)


def on_loaded_rules(sender: Any, *, by: Any, batch: Batch, **_: Any) -> None:
    run_step("rules", batch, by=by)


def on_loaded_suspected(sender: Any, *, by: Any, batch: Batch, **_: Any) -> None:
    run_step("suspected", batch, by=by)


def reason(step: str, exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    return f"{STEP_NAMES.get(step, step)}出错（{type(exc).__name__}），请联系系统管理员后重试"


def record_failure(batch: Batch, step: str, exc: Exception, *, by: Any) -> AfterLoadFailure:
    text = reason(step, exc)[:500]
    with transaction.atomic():
        failure, created = AfterLoadFailure.objects.select_for_update().get_or_create(
            batch=batch,
            step=step,
            defaults={
                "county_code": batch.county_code,
                "source_code": batch.source.code,
                "source_name": batch.source.name,
                "error": text,
            },
        )
        if not created:
            failure.error, failure.failed_at, failure.resolved_at = text, timezone.now(), None
            failure.attempts += 1
            failure.save(update_fields=["error", "failed_at", "resolved_at", "attempts"])
        # a list's failures keep the action they had before the other steps were isolated
        action = "monitoring.suspected.fail" if step == "suspected" else "monitoring.after_load.fail"
        record(
            by,
            action,
            failure,
            area_code=batch.county_code.ljust(12, "0"),
            changes={"batch": batch.pk, "source": batch.source.code, "step": step, "error": failure.error},
        )
    return failure


def retry(failure: AfterLoadFailure, *, by: User) -> Any:
    """重新处理: the county runs a failed step again once the cause is put right (the missing
    setting confirmed); a failure again is kept with its new reason and raised. Returns what
    the step returned (a list's report for ``suspected``)."""
    require(by, "parameters.propose")
    if not AfterLoadFailure.objects.visible_to(by).filter(pk=failure.pk).exists():
        raise NotFound("not_found", "处理记录不存在或不在您的管辖范围内")
    if failure.resolved_at is not None:
        raise DomainError("already_processed", "该批次的这一环节已处理完成，无需重试")
    batch = Batch.objects.select_related("source").get(pk=failure.batch_id)
    step = failure.step
    action = "monitoring.suspected.retry" if step == "suspected" else "monitoring.after_load.retry"
    with transaction.atomic():
        record(
            by,
            action,
            failure,
            area_code=failure.county_code.ljust(12, "0"),
            changes={"batch": batch.pk, "step": step, "attempts": failure.attempts + 1},
        )
    try:
        result = STEPS[step](batch, by)
    except Exception as exc:
        record_failure(batch, step, exc, by=by)
        if isinstance(exc, DomainError):
            raise
        raise DomainError("step_failed", reason(step, exc)) from exc
    if step == "suspected" and result is None:
        raise DomainError("not_a_list", "该批次不是已入库的疑似困难人员名单")
    AfterLoadFailure.objects.filter(pk=failure.pk).update(resolved_at=timezone.now(), attempts=F("attempts") + 1)
    return result
