"""What 政策找人 listens to: a loaded department batch re-evaluates the county's rules."""

from __future__ import annotations

from typing import Any

from jiuzhu.verification.signals import batch_loaded


def on_batch_loaded(sender: Any, *, batch: Any, **_: Any) -> None:
    from .models import MonitoringRule
    from .tasks import evaluate_warnings_task

    if MonitoringRule.objects.filter(county_code=batch.county_code, enabled=True).exists():
        evaluate_warnings_task.enqueue(batch.county_code)


def connect() -> None:
    batch_loaded.connect(on_batch_loaded, dispatch_uid="monitoring.warnings.batch_loaded")
