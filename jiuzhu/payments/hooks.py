"""What the payments app tells the lower apps (called from ``PaymentsConfig.ready``):
the names of its codes (audit) and its sealed bank accounts
(registry's re-encryption)."""

from __future__ import annotations

from typing import Any

from jiuzhu.audit.changes import register_value_labels
from jiuzhu.registry.pii import blind_index, unseal
from jiuzhu.registry.rekey import fresh, register_sealed_table

from .models import BENEFIT_STATUS, LINE_STATUS, ROSTER_STATUS, SCHEDULED_KINDS, BankLine


def _rekey_bank_line(line: Any) -> list[str]:
    changed = []
    new = fresh("bank_account", line.account_enc)
    if new is not None:
        line.account_enc = new
        changed.append("account_enc")
    index = blind_index("bank_account", unseal("bank_account", line.account_enc))
    if index != line.account_index:
        line.account_index = index
        changed.append("account_index")
    return changed


def connect() -> None:
    register_value_labels(30, BENEFIT_STATUS, ROSTER_STATUS, LINE_STATUS, SCHEDULED_KINDS)
    register_sealed_table(30, BankLine, _rekey_bank_line)
