"""PII sealing for the registry: encrypt, index and mask in one place (ARCHITECTURE rule 7).

``cipher`` is ``jiuzhu.core.keyring.cipher`` (the same cached function)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jiuzhu.core.keyring import cipher
from jiuzhu.core.masking import MASKERS

__all__ = ["Sealed", "blind_index", "blind_indexes", "cipher", "seal", "unseal"]


@dataclass(frozen=True, slots=True)
class Sealed:
    encrypted: bytes
    index: str
    masked: str


def seal(field: str, value: str, *, index: str | None = None) -> Sealed:
    """Encrypt, index and mask ``value``; ``index`` may be passed when already computed."""
    c = cipher()
    return Sealed(c.encrypt(field, value), index or c.blind_index(field, value), MASKERS[field](value))


def blind_index(field: str, value: str) -> str:
    return cipher().blind_index(field, value)


def blind_indexes(field: str, values: Iterable[str]) -> list[str]:
    return cipher().blind_indexes(field, values)


def unseal(field: str, blob: bytes | memoryview | None) -> str:
    if not blob:
        return ""
    return cipher().decrypt(field, bytes(blob))
