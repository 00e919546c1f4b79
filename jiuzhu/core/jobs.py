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
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, models, transaction
from django.db.models import F
from django.utils import timezone


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
    running: Iterable[str],
    failed: str,
    message_field: str,
    scope: models.QuerySet[Any] | None = None,
    audit: Callable[[Any], object],
    heartbeats: Callable[[Any], Any] | None = None,
) -> list[int]:
    """Mark failed every running job (within ``scope``) whose process is dead, calling
    ``audit(job)`` for each in the same transaction; returns their ids. ``heartbeats`` gives a
    job's last sign of life where the row has no ``heartbeat_at`` (the ingest keeps it in
    its progress file)."""
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


def count_attempt(model: type[models.Model], pk: int) -> None:
    model._default_manager.filter(pk=pk).update(attempts=F("attempts") + 1)
