"""What the complaints app tells the lower apps (called from ``ComplaintsConfig.ready``): its
sealed reporter identities and 查询码 (registry's re-encryption) and the words of its codes
(audit; the lowest rank, so that a code another app also uses keeps that app's words)."""

from __future__ import annotations

from typing import Any

from jiuzhu.audit.changes import register_value_labels
from jiuzhu.registry.rekey import register_sealed_table, reindex, reseal

from .actions import QUERY_CODE, REPORTER_NAME
from .models import CATEGORIES, CHANNELS, STATUSES, Complaint


def _rekey_complaint(c: Any) -> list[str]:
    changed = reseal(
        c, (REPORTER_NAME, "reporter_name_enc"), ("phone", "reporter_phone_enc"), (QUERY_CODE, "query_code_enc")
    )
    for field, enc, index_attr in (
        ("phone", "reporter_phone_enc", "reporter_phone_index"),
        (QUERY_CODE, "query_code_enc", "query_code_index"),
    ):
        if getattr(c, enc):
            changed += reindex(c, field, enc, index_attr)
    return changed


def connect() -> None:
    register_value_labels(5, CATEGORIES, CHANNELS, STATUSES)
    register_sealed_table(60, Complaint, _rekey_complaint)
