"""What the verification app tells the lower apps (called from ``VerificationConfig.ready``):
the names of its codes (audit), its peers' sealed keys (registry's re-encryption) and the
department facts that prefill 一证申请 (registry.prefill)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jiuzhu.audit.changes import register_value_labels
from jiuzhu.registry.prefill import register_department_facts
from jiuzhu.registry.rekey import register_sealed_table, reseal

from .models import BATCH_STATUS_CHOICES, FINDING_STATUS_CHOICES, REQUEST_STATUS, RUN_TRIGGER_CHOICES, Peer
from .prefill import department_facts


def _rekey_peer(p: Any) -> list[str]:
    return reseal(p, ("peer_key", "key_enc"))


class _SourceNames:
    """The catalog's department data types by name (gongan.hukou → 户籍登记、迁移和注销): read
    when the trail first needs its words (the audit caches them), not at start-up."""

    def __iter__(self) -> Iterator[tuple[str, str]]:
        from .catalog import load_catalog

        return iter([(s["code"], s["name"]) for p in load_catalog() for s in p.get("sources") or []])


def connect() -> None:
    register_value_labels(10, REQUEST_STATUS, BATCH_STATUS_CHOICES, RUN_TRIGGER_CHOICES, FINDING_STATUS_CHOICES)
    register_value_labels(1, _SourceNames())
    register_sealed_table(40, Peer, _rekey_peer)
    register_department_facts(department_facts)
