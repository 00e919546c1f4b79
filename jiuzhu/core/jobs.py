"""Long jobs that recover (issue 19 item 3): a job row records which process runs it and a
heartbeat; a job whose process died is found, marked failed with the reason, and retried.

A running job's row carries ``worker`` ("host:pid") and ``heartbeat_at``. While the job runs,
a thread with its own database connection refreshes ``heartbeat_at`` every
``JOB_HEARTBEAT_SECONDS`` — it stops with the process, whatever kills it. A job is dead when
its process is gone: on the same host the process table answers exactly; for a worker on
another host, a heartbeat older than ``JOB_STALE_SECONDS`` does.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, connections, models, transaction
from django.db.models import F
from django.utils import timezone

from .errors import DomainError

J = TypeVar("J", bound=models.Model)
T = TypeVar("T")


class JobModel(models.Model):
    """The columns of a long job's row that the helpers below read and write: who runs it
    (``worker``, "host:pid"), its last sign of life, how often it ran, and when it ended. A job
    model inherits them and adds its own status, message and work (issue 19 item 3)."""

    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField("处理进程", max_length=120, blank=True)  # host:pid of the worker running it
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("执行次数", default=0)

    class Meta:
        abstract = True


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def is_dead(worker: str, heartbeat_at: Any, now: Any = None) -> bool:
    """Whether the process that claimed a job is gone."""
    host, _, pid = worker.rpartition(":")
    if not host or not pid.isdigit():
        return False
    if host == socket.gethostname():
        return not _process_alive(int(pid))
    now = now or timezone.now()
    return heartbeat_at is None or (now - heartbeat_at).total_seconds() > settings.JOB_STALE_SECONDS


@contextmanager
def heartbeat(model: type[models.Model], pk: int) -> Iterator[None]:
    """Claim the job for this process and keep its heartbeat while the block runs."""
    manager = model._default_manager
    manager.filter(pk=pk).update(worker=this_worker(), heartbeat_at=timezone.now())
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                with contextlib.suppress(DatabaseError):  # SQLite busy with the job's own write
                    manager.filter(pk=pk).update(heartbeat_at=timezone.now())
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name=f"heartbeat-{model._meta.label}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


DEAD_MESSAGE = "处理进程意外中断（服务器重启或进程被终止），已标记为失败，可点击“重试”继续"


def reap(
    model: type[models.Model],
    *,
    audit: Callable[[Any], object],
    scope: models.QuerySet[Any] | None = None,
    running: Iterable[str] = ("running",),
    failed: str = "failed",
    message_field: str = "error",
    heartbeats: Callable[[Any], Any] | None = None,
) -> list[int]:
    """Mark failed every running job (within ``scope``) whose process is dead, calling
    ``audit(job)`` for each in the same transaction; returns their ids. ``heartbeats`` gives a
    job's last sign of life where the row has no ``heartbeat_at`` (the ingest keeps it in
    its progress file). Each job's public ``recover_*(scope=None)`` is this call with its
    model, its statuses and the audit of a death (``audit.log.record_job_death``)."""
    rows = (scope if scope is not None else model._default_manager.all()).filter(status__in=list(running))
    now = timezone.now()
    jobs: list[Any] = list(rows.exclude(worker=""))
    dead = [job.pk for job in jobs if is_dead(job.worker, heartbeats(job) if heartbeats else job.heartbeat_at, now)]
    if not dead:
        return []
    with transaction.atomic():
        locked: list[Any] = list(
            model._default_manager.select_for_update().filter(pk__in=dead, status__in=list(running))
        )
        for job in locked:
            model._default_manager.filter(pk=job.pk).update(
                status=failed, finished_at=now, **{message_field: DEAD_MESSAGE}
            )
            audit(job)
    return dead


def claim(model: type[models.Model], pk: int, **fields: Any) -> None:
    """The worker takes the job: running, this process as its worker, one more attempt, in one
    statement, so a kill right after still leaves a job that ``reap`` finds. ``fields`` are the
    job's own columns set at the same time (a progress reset, a start time)."""
    model._default_manager.filter(pk=pk).update(
        status="running",
        attempts=F("attempts") + 1,
        worker=this_worker(),
        heartbeat_at=timezone.now(),
        **fields,
    )


def fail(model: type[models.Model], pk: int, message: str, *, message_field: str = "error", **only: Any) -> None:
    """Mark the job failed with the reason shown to the user (``only``: extra filters, e.g.
    ``status="running"`` so that a job already ended is left alone)."""
    model._default_manager.filter(pk=pk, **only).update(
        status="failed", finished_at=timezone.now(), **{message_field: message[:500]}
    )


def run(
    model: type[models.Model],
    pk: int,
    work: Callable[[], T],
    *,
    crashed: str,
    message_field: str = "error",
    done: Callable[[T], dict[str, Any]] | None = None,
) -> None:
    """Run a claimed job's ``work`` under its heartbeat. A refusal (``DomainError``) fails the job
    with its message; any other error fails it with ``crashed`` (``{error}`` is the exception's
    class name) and is raised again. On success, when ``done`` is given, the job is marked done
    with the columns ``done(result)`` returns (a job that ends itself passes none)."""
    try:
        with heartbeat(model, pk):
            result = work()
    except DomainError as exc:
        fail(model, pk, exc.message, message_field=message_field)
    except Exception as exc:
        fail(model, pk, crashed.format(error=type(exc).__name__), message_field=message_field)
        raise
    else:
        if done is not None:
            model._default_manager.filter(pk=pk).update(status="done", finished_at=timezone.now(), **done(result))


NOT_FAILED = "该任务当前为“{status}”，只有失败的任务可以重试"


def retry(
    job: J,
    *,
    recover: Callable[[models.QuerySet[Any]], object],
    reset: dict[str, Any],
    audit: Callable[[J], object],
    code: str = "run_not_failed",
    refusal: str = NOT_FAILED,
    check: Callable[[J], None] | None = None,
    claim: bool = False,
    enqueue: Callable[[int], object] | None = None,
) -> J:
    """重试 a long job, the one shape every job shares (issue 19 item 3): its dead worker is
    reaped first (``recover`` on this job alone), then under the row's lock the job must be
    failed (else ``DomainError(code, refusal)``, ``{status}`` its status label; ``check``
    replaces that test where a job has its own rule), its columns are set to ``reset``, the
    retry is audited (``audit(job)``) in the same transaction, and ``enqueue(pk)`` queues it
    after commit. ``claim``: this process runs it now (worker set, one more attempt) instead
    of the task worker. Permissions are the caller's: each job has its own."""
    manager = type(job)._default_manager
    recover(manager.filter(pk=job.pk))
    with transaction.atomic():
        locked: Any = manager.select_for_update().get(pk=job.pk)  # a job model: status, attempts
        if check is not None:
            check(locked)
        elif locked.status != "failed":
            raise DomainError(code, refusal.format(status=locked.get_status_display()))
        fields = dict(reset)
        if claim:
            fields.update(worker=this_worker(), attempts=locked.attempts + 1)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        audit(locked)
        if enqueue is not None:
            transaction.on_commit(lambda: enqueue(locked.pk))
    retried: J = locked
    return retried
