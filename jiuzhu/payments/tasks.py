"""Background jobs (django-tasks; the worker is ``manage.py db_worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def generate_roster_task(run_id: int) -> int:
    """花名册 generation with progress (see ``actions.run_roster``)."""
    from .actions import run_roster

    return run_roster(run_id).pk


@task()
def adjustment_notices_task(job_id: int) -> int:
    """调整告知书 for every case whose amount changed with a standard (DYN-4), as a job that
    recovers (see ``actions.run_adjustment_notices``)."""
    from .actions import run_adjustment_notices

    return run_adjustment_notices(job_id).done
