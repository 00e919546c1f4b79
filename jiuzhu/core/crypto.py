"""Field encryption and blind indexes for PII at rest, in two profiles (issue 19 item 8):
``standard`` — AES-256-GCM, HMAC-SHA256, HKDF-SHA256 — and ``gm`` (国密, for 商用密码
assessment) — SM4-GCM, HMAC-SM3, HKDF-SM3 — selected by ``JIUZHU_CRYPTO_PROFILE``.

One master key per deployment (a province shares one, so IDs match across counties).
Sub-keys are derived from it with HKDF: one encrypts, one indexes, one keys the audit chain. The field name is
bound into both (as AES-GCM associated data and as an HMAC prefix), so a ciphertext or an
index value cannot be moved from one field to another.

Ciphertext layout: 1 byte key version | 12 bytes nonce | ciphertext + 16 bytes tag. The
version byte names the algorithm (1 AES-256-GCM, 2 SM4-GCM): a cipher of either profile reads
both, so a live database switches profile by re-encrypting in batches (``reencrypt_pii``).
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_VERSION = 1  # AES-256-GCM
SM4_KEY_VERSION = 2  # SM4-GCM (GB/T 32907)
PROFILES = ("standard", "gm")


class CryptoKeyError(Exception):
    """The master key is missing or malformed (an operator error, not user input)."""


def _derive(master: bytes, purpose: bytes, hash_algorithm: hashes.HashAlgorithm | None = None) -> bytes:
    return HKDF(algorithm=hash_algorithm or hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class _Sm4Gcm:
    """SM4 in GCM mode with the AESGCM calling convention (tag appended)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        enc = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        return enc.update(data) + enc.finalize() + enc.tag

    def decrypt(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        if len(sealed) < 16:
            raise InvalidTag
        dec = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, sealed[-16:])).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(sealed[:-16]) + dec.finalize()


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

    def __init__(self, master: bytes, profile: str = "standard") -> None:
        if profile not in PROFILES:
            raise CryptoKeyError(f"unknown crypto profile {profile!r} (standard or gm)")
        self.profile = profile
        gm = profile == "gm"
        kdf = hashes.SM3() if gm else hashes.SHA256()
        self._digest = "sm3" if gm else "sha256"
        # Both algorithms decrypt, whatever the profile: the switch is a re-encryption job.
        self._ciphers: dict[int, AESGCM | _Sm4Gcm] = {
            KEY_VERSION: AESGCM(_derive(master, b"jiuzhu/pii/encrypt/v1")),
            SM4_KEY_VERSION: _Sm4Gcm(_derive(master, b"jiuzhu/pii/encrypt/sm4/v1", hashes.SM3())[:16]),
        }
        self._version = SM4_KEY_VERSION if gm else KEY_VERSION
        suffix = b"/sm3" if gm else b""
        self._index_key = _derive(master, b"jiuzhu/pii/index/v1" + suffix, kdf)
        self._chain_key = _derive(master, b"jiuzhu/audit/chain/v1" + suffix, kdf)
        other = hashes.SHA256() if gm else hashes.SM3()
        self._other_chain = (
            "sha256" if gm else "sm3",
            _derive(master, b"jiuzhu/audit/chain/v1" + (b"" if gm else b"/sm3"), other),
        )

    def encrypt(self, field: str, plaintext: str) -> bytes:
        nonce = os.urandom(12)
        sealed = self._ciphers[self._version].encrypt(nonce, plaintext.encode("utf-8"), field.encode("ascii"))
        return bytes([self._version]) + nonce + sealed

    def current(self, blob: bytes) -> bool:
        """Whether a ciphertext is already in this profile's algorithm."""
        return bool(blob) and bytes(blob)[0] == self._version

    def decrypt(self, field: str, blob: bytes) -> str:
        blob = bytes(blob)
        aead = self._ciphers.get(blob[0]) if blob else None
        if aead is None:
            raise CryptoKeyError("unknown key version in ciphertext")
        try:
            plain = aead.decrypt(blob[1:13], blob[13:], field.encode("ascii"))
        except InvalidTag as exc:
            raise CryptoKeyError("ciphertext does not authenticate with this key and field") from exc
        return plain.decode("utf-8")

    def blind_index(self, field: str, normalized: str) -> str:
        """Deterministic keyed hash for exact lookup; 64 hex characters."""
        return hmac.digest(
            self._index_key, field.encode("ascii") + b"\x00" + normalized.encode("utf-8"), self._digest
        ).hex()

    def chain_mac(self, data: bytes) -> str:
        """Keyed hash of an audit row or anchor (the key lives outside the database, so a
        chain recomputed by someone with database access only does not verify)."""
        return hmac.digest(self._chain_key, data, self._digest).hex()

    def chain_mac_of_other_profile(self, data: bytes) -> str:
        """The chain MAC under the other profile: rows written before a profile switch."""
        digest, key = self._other_chain
        return hmac.digest(key, data, digest).hex()

    def blind_indexes(self, field: str, values: Iterable[str]) -> list[str]:
        """``blind_index`` of many values (bulk files)."""
        key, prefix, digest, name = self._index_key, field.encode("ascii") + b"\x00", hmac.digest, self._digest
        return [digest(key, prefix + v.encode("utf-8"), name).hex() for v in values]
