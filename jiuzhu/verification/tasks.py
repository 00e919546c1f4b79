"""Background jobs (django-tasks; the worker is ``manage.py db_worker``)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction
from django_tasks import task

from jiuzhu.accounts.system import system_user

from . import ingest, reverify
from .cases import cases
from .effects import batch_filter, person_key_sql
from .models import Batch
from .signals import batch_loaded

logger = logging.getLogger(__name__)


@task()
def process_batch_task(batch_id: int) -> dict[str, Any]:
    """Validate and load one department batch (all or nothing)."""
    batch = ingest.process_batch(batch_id)
    return {"batch": batch.pk, "status": batch.status, "rows": batch.rows_loaded, "errors": batch.error_count}


def batch_statistics(batch: Batch) -> dict[str, int]:
    """How many persons a batch names, and how many of them (and rows) are in the registry."""
    where, params = batch_filter(batch)
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(DISTINCT person) FROM verification_fact f WHERE {where}", params)
        persons = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*), COUNT(DISTINCT f.person) FROM verification_fact f "
            f"JOIN registry_person p ON {person_key_sql('p.id_number_index')} = f.person WHERE {where}",
            params,
        )
        matched_rows, matched_persons = cur.fetchone()
    return {"persons": persons, "matched_rows": matched_rows, "matched_persons": matched_persons}


@task()
def after_batch_loaded(batch_id: int) -> dict[str, Any]:
    """After a batch lands: its receivers run first (``batch_loaded``: deaths and moves out reach
    the money, the county's monitoring rules are queued), then match statistics, then the
    active cases it touches are re-verified."""
    from .actions import start_reverification

    batch = Batch.objects.select_related("source").get(pk=batch_id)
    # each receiver isolates and records its own failures (monitoring.after_load); one that
    # still raises is logged and does not stop the others nor the steps below
    for receiver, result in batch_loaded.send_robust(sender=Batch, by=system_user("系统（新数据入库）"), batch=batch):
        if isinstance(result, Exception):
            logger.error("batch_loaded receiver %r failed for batch %s: %r", receiver, batch.pk, result)
    stats = batch_statistics(batch)
    touched = reverify.touched_households(batch.pk)
    active = cases().households_with_approved(touched, reverify.CONTINUING)
    Batch.objects.filter(pk=batch.pk).update(touched_households=len(active), **stats)
    run_id = None
    if active:
        with transaction.atomic():
            run = start_reverification(
                by=system_user("系统（新数据入库）"),
                area_code=batch.county_code.ljust(12, "0"),
                trigger="batch",
                batch=batch,
            )
            run_id = run.pk
    return {"batch": batch.pk, "active_households": len(active), "run": run_id, **stats}


@task()
def reverify_task(run_id: int) -> dict[str, Any]:
    run = reverify.run_reverification(run_id)
    return {"run": run.pk, "status": run.status, "done": run.done, "findings": run.findings}
