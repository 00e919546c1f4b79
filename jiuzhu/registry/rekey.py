"""Re-encryption (issue 19 item 8): bring every sealed value and blind index to the
deployment's crypto profile — the job that switches a live database between the standard and
the 国密 profile. Resumable and idempotent: it walks each table by primary key in batches,
each batch in its own transaction; a value already in the current algorithm is left alone,
so a run that was stopped simply runs again.

Department facts are keyed by the first 128 bits of the ID blind index and are append-only:
they are not rewritten. After a switch, each source's next full batch brings them back under
the new keys (docs/decisions.md); the job says which sources hold facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from .pii import blind_index, cipher, unseal

BATCH = 1000


@dataclass
class RekeyStats:
    rows: dict[str, int] = field(default_factory=dict)  # rows changed per table

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


def _batches(model: type[models.Model]) -> Iterator[list[Any]]:
    last = 0
    while True:
        rows = list(model._default_manager.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _rekey_table(
    model: type[models.Model], fix: Callable[[Any], list[str]], stats: RekeyStats, progress: Callable[[str], None]
) -> None:
    label = model._meta.label
    for rows in _batches(model):
        with transaction.atomic():
            for row in rows:
                changed = fix(row)
                if changed:
                    row.save(update_fields=changed)
                    stats.add(label, 1)
        progress(f"{label}：已处理至 #{rows[-1].pk}")


def fresh(field_name: str, blob: Any) -> Any:
    """The sealed value re-encrypted under the current profile, or None when already current."""
    if not blob or cipher().current(bytes(blob)):
        return None
    return cipher().encrypt(field_name, unseal(field_name, blob))


def reseal(row: Any, *sealed: tuple[str, str]) -> list[str]:
    """Re-encrypt each ``(field name, attribute)`` sealed value of ``row`` that is not under the
    current profile; returns the attributes changed (a table's fix: ``register_sealed_table``)."""
    changed = []
    for field_name, attr in sealed:
        new = fresh(field_name, getattr(row, attr))
        if new is not None:
            setattr(row, attr, new)
            changed.append(attr)
    return changed


def reindex(row: Any, field_name: str, sealed_attr: str, index_attr: str) -> list[str]:
    """Recompute ``row``'s blind index ``index_attr`` from its sealed value ``sealed_attr``
    (an empty value too: its index is the empty text's); returns ``[index_attr]`` if it changed."""
    index = blind_index(field_name, unseal(field_name, getattr(row, sealed_attr)))
    if index == getattr(row, index_attr):
        return []
    setattr(row, index_attr, index)
    return [index_attr]


# Sealed values and blind indexes of the higher apps' tables (bank lines, peers' keys, imported
# records): each app registers its tables from its ``AppConfig.ready``, with a rank (the order
# of the walk, after the registry's own persons and population records) and a fix that brings
# one row to the current profile and names the fields it changed.
Fix = Callable[[Any], list[str]]
_SEALED_TABLES: dict[str, tuple[int, type[models.Model], Fix]] = {}


def register_sealed_table(rank: int, model: type[models.Model], fix: Fix) -> None:
    _SEALED_TABLES[model._meta.label] = (rank, model, fix)


def rekey_all(progress: Callable[[str], None] = lambda _: None) -> RekeyStats:
    from .models import Person, PopulationRecord

    stats = RekeyStats()

    def person(p: Any) -> list[str]:
        changed = reseal(p, *((name, f"{name}_enc") for name in ("id_number", "phone", "bank_account")))
        changed += reindex(p, "id_number", "id_number_enc", "id_number_index")
        if p.bank_account_enc:
            changed += reindex(p, "bank_account", "bank_account_enc", "bank_account_index")
        return changed

    def population(r: Any) -> list[str]:
        return reseal(r, ("id_number", "id_number_enc")) + reindex(r, "id_number", "id_number_enc", "id_number_index")

    _rekey_table(Person, person, stats, progress)
    _rekey_table(PopulationRecord, population, stats, progress)
    for _, model, fix in sorted(_SEALED_TABLES.values(), key=lambda table: table[0]):
        _rekey_table(model, fix, stats, progress)
    return stats
