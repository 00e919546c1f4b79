"""Progress of a batch (a file beside the spool, written outside the load's transaction):
also the batch's heartbeat, from which a dead worker is found."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from typing import Any

from jiuzhu.audit.log import record_job_death
from jiuzhu.core import jobs

from ..models import Batch
from .spool import (
    progress_path,
)

# ---- progress ----------------------------------------------------------------------------------


class Progress:
    """Progress of a running batch, in a small JSON file next to the spool (the load runs
    inside one transaction, so the database cannot show it meanwhile)."""

    def __init__(self, batch: Batch) -> None:
        self.path = progress_path(batch.pk)
        self.size = batch.size
        self.last = 0.0

    def update(self, phase: str, done_bytes: int, rows: int, errors: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.5:
            return
        self.last = now
        data = {
            "phase": phase,
            "bytes": done_bytes,
            "size": self.size,
            "rows": rows,
            "errors": errors,
            "at": time.time(),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)


def last_sign_of_life(batch: Batch) -> dt.datetime | None:
    """The batch's heartbeat: the time of its last progress write (the load runs in one
    transaction, so the row itself cannot carry one)."""
    at = read_progress(batch).get("at")
    return dt.datetime.fromtimestamp(at, tz=dt.UTC) if at else None


def recover_batches(scope: Any = None) -> list[int]:
    """Batches whose worker died are marked failed with the reason (issue 19 item 3)."""
    return jobs.reap(
        Batch,
        scope=scope,
        running=("processing",),
        message_field="message",
        heartbeats=last_sign_of_life,
        audit=record_job_death,
    )


def read_progress(batch: Batch) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(progress_path(batch.pk).read_text())
    except (OSError, ValueError):
        return {"phase": "queued", "bytes": 0, "size": batch.size, "rows": 0, "errors": 0, "at": None}
    size = data.get("size") or batch.size or 1
    data["percent"] = min(99, int(data.get("bytes", 0) * 100 / size)) if batch.is_processing else 100
    return data
