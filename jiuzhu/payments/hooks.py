"""What the payments app tells the lower apps (called from ``PaymentsConfig.ready``):
the names of its codes (audit) and its sealed bank accounts
(registry's re-encryption)."""

from __future__ import annotations

from typing import Any

from jiuzhu.audit.changes import register_value_labels
from jiuzhu.registry.rekey import register_sealed_table, reindex, reseal

from .models import BENEFIT_STATUS, LINE_STATUS, ROSTER_STATUS, SCHEDULED_KINDS, BankLine


def _rekey_bank_line(line: Any) -> list[str]:
    return reseal(line, ("bank_account", "account_enc")) + reindex(line, "bank_account", "account_enc", "account_index")


def connect() -> None:
    register_value_labels(30, BENEFIT_STATUS, ROSTER_STATUS, LINE_STATUS, SCHEDULED_KINDS)
    register_sealed_table(30, BankLine, _rekey_bank_line)
