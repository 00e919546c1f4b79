"""What the verification app tells the lower apps (called from ``VerificationConfig.ready``):
the names of its codes (audit), its peers' sealed keys (registry's re-encryption) and the
department facts that prefill 一证申请 (registry.prefill)."""

from __future__ import annotations

from typing import Any

from jiuzhu.audit.changes import LoadedLabels, register_value_labels
from jiuzhu.registry.prefill import register_department_facts
from jiuzhu.registry.rekey import register_sealed_table, reseal

from .models import BATCH_STATUS_CHOICES, FINDING_STATUS_CHOICES, REQUEST_STATUS, RUN_TRIGGER_CHOICES, Peer
from .prefill import department_facts


def _rekey_peer(p: Any) -> list[str]:
    return reseal(p, ("peer_key", "key_enc"))


def _source_names() -> list[tuple[str, str]]:
    """The catalog's department data types by name (gongan.hukou → 户籍登记、迁移和注销)."""
    from .catalog import load_catalog

    return [(s["code"], s["name"]) for p in load_catalog() for s in p.get("sources") or []]


def connect() -> None:
    register_value_labels(10, REQUEST_STATUS, BATCH_STATUS_CHOICES, RUN_TRIGGER_CHOICES, FINDING_STATUS_CHOICES)
    register_value_labels(1, LoadedLabels(_source_names))
    register_sealed_table(40, Peer, _rekey_peer)
    register_department_facts(department_facts)
