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
