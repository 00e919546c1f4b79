"""What the payments app tells the lower apps (called from ``PaymentsConfig.ready``):
the names of its codes (audit) and its sealed bank accounts
(registry's re-encryption)."""

from __future__ import annotations

from typing import Any

from jiuzhu.audit.changes import register_key_labels, register_value_labels
from jiuzhu.registry.rekey import register_sealed_table, reindex, reseal

from .models import BENEFIT_STATUS, LINE_STATUS, ROSTER_STATUS, SCHEDULED_KINDS, STOP_REASONS, SUSPEND_REASONS, BankLine


def _rekey_bank_line(line: Any) -> list[str]:
    return reseal(line, ("bank_account", "account_enc")) + reindex(line, "bank_account", "account_enc", "account_index")


def connect() -> None:
    register_value_labels(30, BENEFIT_STATUS, ROSTER_STATUS, LINE_STATUS, SCHEDULED_KINDS)
    # a stop's, suspension's or recovery's reason (the 停发 of a review: stop_reason)
    register_key_labels("reason", STOP_REASONS, SUSPEND_REASONS)
    register_key_labels("stop_reason", STOP_REASONS)
    register_sealed_table(30, BankLine, _rekey_bank_line)
