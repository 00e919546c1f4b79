"""The deployment's cipher: PII sealing, blind indexes and the audit chain's keyed hashes all
use the one master key (``JIUZHU_MASTER_KEY`` or ``JIUZHU_KEY_FILE``) under the configured
crypto profile. ``registry.pii`` seals with it; ``audit`` chains with it."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .crypto import PiiCipher, load_key_ring


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
    master, data_keys, pending = load_key_ring(encoded.replace(",", "\n"))  # env: keys separated by commas
    return PiiCipher(master, settings.JIUZHU_CRYPTO_PROFILE, data_keys, pending)
