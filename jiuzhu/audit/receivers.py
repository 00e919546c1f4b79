"""The audit rows of lower apps' events: they send a signal, the audit app records it in the
sender's transaction (connected in ``AuditConfig.ready``)."""

from __future__ import annotations

from typing import Any

from .log import record


def on_areas_imported(sender: Any, *, by: Any, created: int, updated: int, **kwargs: Any) -> None:
    record(
        by,
        "areas.import",
        None,
        object_type="areas.area",
        object_id="",
        changes={"created": created, "updated": updated},
    )
