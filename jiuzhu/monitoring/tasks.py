"""Background jobs of dynamic management (django-tasks; the worker is ``manage.py db_worker``)."""

from __future__ import annotations

from typing import cast

from django_tasks import task

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import SystemActor


@task()
def due_reviews_task() -> int:
    """Daily: due reviews become tasks (DYN-1, DYN-5)."""
    from .actions import create_due_reviews

    return create_due_reviews(by=cast(User, SystemActor("系统（定期复核）")))


@task()
def evaluate_warnings_task(county_code: str) -> dict[str, int]:
    """After a department batch and nightly: the county's monitoring rules (DIS-1, DIS-7)."""
    from .warnings import evaluate_warnings

    result = evaluate_warnings(county_code, by=cast(User, SystemActor("系统（预警规则评估）")))
    return {"rules": result.rules, "hits": result.hits, "created": result.created}


@task()
def emergency_relief_task(job_id: int) -> int:
    """批量先行救助 of an 应急期 (WF-12, PRG-12), household by household with progress."""
    from .emergency import run_relief

    return run_relief(job_id).relieved
