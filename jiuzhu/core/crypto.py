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

Key rotation (密钥更新, issue 19 item 7): the key file is a key ring — the master key on its first
line, then the data keys added by ``rotate_pii_key``, the newest last. Blind indexes and the
audit chain stay keyed by the master key (department facts are filed under the index and are
append-only); PII is sealed with the newest data key, in versions 3 (AES-256-GCM) and 4
(SM4-GCM), which carry the key's 4-byte id after the version byte:
version | key id | nonce | ciphertext + tag. Older data keys stay in the ring to read what
the re-encryption job has not reached yet.
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
ROTATED_VERSIONS = {KEY_VERSION: 3, SM4_KEY_VERSION: 4}  # the same algorithms under a rotated data key
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


# A key-file line so marked is known (read) but does not seal yet; a space never occurs in base64
# (a key may itself start with "+" or "/", so no single base64 character can serve as the mark).
PENDING = "pending "


def load_key_ring(text: str) -> tuple[bytes, list[bytes], list[bytes]]:
    """The master key, the data keys in use (oldest first) and the pending ones of a key file.
    ``#`` lines are notes; a line starting with ``pending `` is a pending key (rotation, phase one)."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        raise CryptoKeyError("key file holds no key")
    if lines[0].startswith(PENDING):
        raise CryptoKeyError("the first key of a key file is the master key and cannot be pending")
    active = [load_master_key(line) for line in lines[1:] if not line.startswith(PENDING)]
    pending = [load_master_key(line[len(PENDING) :]) for line in lines[1:] if line.startswith(PENDING)]
    return load_master_key(lines[0]), active, pending


def key_id(key: bytes) -> bytes:
    """A data key's public 4-byte id, written into each ciphertext it seals."""
    return _derive(key, b"jiuzhu/pii/key-id/v1")[:4]


class PiiCipher:
    """Encrypts, decrypts and indexes PII fields with keys derived from one master key."""

    def __init__(
        self, master: bytes, profile: str = "standard", data_keys: Iterable[bytes] = (), pending: Iterable[bytes] = ()
    ) -> None:
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
        # Rotated data keys by id: the same two algorithms, keyed from each data key.
        self._rotated: dict[bytes, dict[int, AESGCM | _Sm4Gcm]] = {}
        self._kid = b""
        for key in [*pending, *data_keys]:
            self._rotated[key_id(key)] = {
                ROTATED_VERSIONS[KEY_VERSION]: AESGCM(_derive(key, b"jiuzhu/pii/encrypt/v1")),
                ROTATED_VERSIONS[SM4_KEY_VERSION]: _Sm4Gcm(
                    _derive(key, b"jiuzhu/pii/encrypt/sm4/v1", hashes.SM3())[:16]
                ),
            }
        for key in data_keys:
            self._kid = key_id(key)  # the newest key in use seals
        suffix = b"/sm3" if gm else b""
        self._index_key = _derive(master, b"jiuzhu/pii/index/v1" + suffix, kdf)
        self._chain_key = _derive(master, b"jiuzhu/audit/chain/v1" + suffix, kdf)
        other = hashes.SHA256() if gm else hashes.SM3()
        self._other_chain = (
            "sha256" if gm else "sm3",
            _derive(master, b"jiuzhu/audit/chain/v1" + (b"" if gm else b"/sm3"), other),
        )

    @property
    def data_key_id(self) -> str:
        """Hex id of the data key that seals new values ("" while the master key does)."""
        return self._kid.hex()

    @property
    def known_key_ids(self) -> list[str]:
        """Hex ids of every data key in the ring (in use or pending)."""
        return sorted(kid.hex() for kid in self._rotated)

    def encrypt(self, field: str, plaintext: str) -> bytes:
        nonce = os.urandom(12)
        data, aad = plaintext.encode("utf-8"), field.encode("ascii")
        if self._kid:
            version = ROTATED_VERSIONS[self._version]
            sealed = self._rotated[self._kid][version].encrypt(nonce, data, aad)
            return bytes([version]) + self._kid + nonce + sealed
        return bytes([self._version]) + nonce + self._ciphers[self._version].encrypt(nonce, data, aad)

    def current(self, blob: bytes) -> bool:
        """Whether a ciphertext is already in this profile's algorithm under the newest key."""
        blob = bytes(blob)
        if not blob:
            return False
        if self._kid:
            return blob[0] == ROTATED_VERSIONS[self._version] and blob[1:5] == self._kid
        return blob[0] == self._version

    def decrypt(self, field: str, blob: bytes) -> str:
        blob = bytes(blob)
        aead: AESGCM | _Sm4Gcm | None = None
        if blob and blob[0] in self._ciphers:
            aead, rest = self._ciphers[blob[0]], blob[1:]
        elif blob and blob[0] in ROTATED_VERSIONS.values():
            ring = self._rotated.get(blob[1:5])
            if ring is None:
                raise CryptoKeyError(
                    f"the key ring lacks the data key that sealed this value (key id {blob[1:5].hex()})"
                )
            aead, rest = ring[blob[0]], blob[5:]
        if aead is None:
            raise CryptoKeyError("unknown key version in ciphertext")
        try:
            plain = aead.decrypt(rest[:12], rest[12:], field.encode("ascii"))
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
