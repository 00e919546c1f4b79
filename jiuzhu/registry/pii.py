"""PII sealing for the registry: encrypt, index and mask in one place (ARCHITECTURE rule 7)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from jiuzhu.core.crypto import PiiCipher, load_master_key
from jiuzhu.core.masking import MASKERS


@functools.cache
def cipher() -> PiiCipher:
    encoded = settings.JIUZHU_MASTER_KEY
    if not encoded:
        try:
            encoded = settings.JIUZHU_KEY_FILE.read_text()
        except FileNotFoundError:
            raise ImproperlyConfigured(
                f"PII master key not found: set JIUZHU_MASTER_KEY or create {settings.JIUZHU_KEY_FILE} "
                "with `python manage.py ensure_data_key`"
            ) from None
    return PiiCipher(load_master_key(encoded), settings.JIUZHU_CRYPTO_PROFILE)


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
