"""Field encryption (AES-GCM) and blind indexes (HMAC-SHA256) for PII at rest.

One master key per deployment (a province shares one, so IDs match across counties).
Sub-keys are derived from it with HKDF: one encrypts, one indexes, one keys the audit chain. The field name is
bound into both (as AES-GCM associated data and as an HMAC prefix), so a ciphertext or an
index value cannot be moved from one field to another.

Ciphertext layout: 1 byte key version | 12 bytes nonce | ciphertext + 16 bytes tag.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_VERSION = 1


class CryptoKeyError(Exception):
    """The master key is missing or malformed (an operator error, not user input)."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def new_master_key() -> str:
    """A fresh master key, base64-encoded, for a key file."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def load_master_key(encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except ValueError as exc:
        raise CryptoKeyError("master key is not valid base64") from exc
    if len(key) != 32:
        raise CryptoKeyError("master key must be 32 bytes")
    return key


class PiiCipher:
    """Encrypts, decrypts and indexes PII fields with keys derived from one master key."""

    def __init__(self, master: bytes) -> None:
        self._aead = AESGCM(_derive(master, b"jiuzhu/pii/encrypt/v1"))
        self._index_key = _derive(master, b"jiuzhu/pii/index/v1")
        self._chain_key = _derive(master, b"jiuzhu/audit/chain/v1")

    def encrypt(self, field: str, plaintext: str) -> bytes:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), field.encode("ascii"))
        return bytes([KEY_VERSION]) + nonce + sealed

    def decrypt(self, field: str, blob: bytes) -> str:
        blob = bytes(blob)
        if not blob or blob[0] != KEY_VERSION:
            raise CryptoKeyError("unknown key version in ciphertext")
        try:
            plain = self._aead.decrypt(blob[1:13], blob[13:], field.encode("ascii"))
        except InvalidTag as exc:
            raise CryptoKeyError("ciphertext does not authenticate with this key and field") from exc
        return plain.decode("utf-8")

    def blind_index(self, field: str, normalized: str) -> str:
        """Deterministic keyed hash for exact lookup; 64 hex characters."""
        return hmac.digest(
            self._index_key, field.encode("ascii") + b"\x00" + normalized.encode("utf-8"), "sha256"
        ).hex()

    def chain_mac(self, data: bytes) -> str:
        """Keyed hash of an audit row or anchor (the key lives outside the database, so a
        chain recomputed by someone with database access only does not verify)."""
        return hmac.digest(self._chain_key, data, "sha256").hex()

    def blind_indexes(self, field: str, values: Iterable[str]) -> list[str]:
        """``blind_index`` of many values (bulk files)."""
        key, prefix, digest = self._index_key, field.encode("ascii") + b"\x00", hmac.digest
        return [digest(key, prefix + v.encode("utf-8"), "sha256").hex() for v in values]
