"""SM2 signatures (GB/T 32918, 国密 profile, issue 19 items 8 and 9) with the gmssl library.

A signature is SM2 with SM3 (the signer's Z value with the default user id
``1234567812345678`` of GM/T 0009) over a message — here the SM3 fingerprint of a signed PDF.
Keys are hex: the private key 64 hex digits, the public key 128 (x ‖ y, no ``04`` prefix).
The nonce comes from ``secrets`` (gmssl's own default uses ``random``, which is not fit for
signing), gmssl's constructor is bypassed for the public key (it strips a leading ``04`` with
``str.lstrip``, which eats every leading ``0`` and ``4`` digit of a key whose x coordinate
happens to begin with ``04`` — one key in 256), and a verification first checks that r and s
lie in [1, n−1] and that the public key is a point of the curve, which gmssl leaves to the
caller.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

from gmssl import sm2  # type: ignore[import-untyped]

_CURVE = sm2.default_ecc_table
_N = int(_CURVE["n"], 16)
_P = int(_CURVE["p"], 16)
_A = int(_CURVE["a"], 16)
_B = int(_CURVE["b"], 16)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX128 = re.compile(r"^[0-9a-f]{128}$")


class Sm2KeyError(Exception):
    """The SM2 key file is missing or malformed (an operator error)."""


def sm3_hex(data: bytes) -> str:
    """The SM3 fingerprint (GB/T 32905) of ``data``, 64 hex digits."""
    return hashlib.new("sm3", data).hexdigest()


def _on_curve(public_key: str) -> bool:
    if not _HEX128.fullmatch(public_key):
        return False
    x, y = int(public_key[:64], 16), int(public_key[64:], 16)
    return x < _P and y < _P and (y * y - (x * x * x + _A * x + _B)) % _P == 0


def _crypt(private_key: str, public_key: str) -> sm2.CryptSM2:
    crypt = sm2.CryptSM2(private_key=private_key, public_key="")
    crypt.public_key = public_key  # as given: see the module docstring
    return crypt


def normalized_public_key(text: str) -> str:
    """A public key as given by an operator (hex, uncompressed point, with or without the
    ``04`` prefix, any case, spaces and colons allowed) in the form kept here: 128 lowercase
    hex digits x ‖ y. Raises ``Sm2KeyError`` for anything that is not a point of the curve."""
    key = re.sub(r"[\s:]", "", text or "").lower()
    if len(key) == 130 and key.startswith("04"):
        key = key[2:]
    if not _on_curve(key):
        raise Sm2KeyError("SM2 public key must be an uncompressed point of the SM2 curve (128 or 04+128 hex digits)")
    return key


def create_key_file(path: Path) -> bool:
    """Make a new private key file at ``path`` (mode 0600 from the start); False when the file
    already exists (it is never overwritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(new_private_key() + "\n")
    return True


def read_key_file(path: Path) -> str:
    """The private key kept in ``path``; ``Sm2KeyError`` when it is missing or malformed."""
    try:
        key = path.read_text().strip().lower()
    except FileNotFoundError:
        raise Sm2KeyError(f"SM2 key file {path} does not exist") from None
    public_key_of(key)  # raises on a malformed key
    return key


def public_key_of(private_key: str) -> str:
    if not _HEX64.fullmatch(private_key) or not 1 <= int(private_key, 16) < _N - 1:
        raise Sm2KeyError("SM2 private key must be 64 hex digits in [1, n-2]")
    crypt = sm2.CryptSM2(private_key=private_key, public_key="")
    return str(crypt._kg(int(private_key, 16), _CURVE["g"]))


def new_private_key() -> str:
    return f"{secrets.randbelow(_N - 2) + 1:064x}"


def sign(private_key: str, message: bytes) -> str:
    """An SM2-with-SM3 signature r ‖ s (128 hex digits)."""
    crypt = _crypt(private_key, public_key_of(private_key))
    while True:
        signature = crypt.sign_with_sm3(message, f"{secrets.randbelow(_N - 1) + 1:064x}")
        if signature:  # None for the rare nonce that gives r = 0 or s = 0: draw again
            return str(signature)


def verify(public_key: str, message: bytes, signature: str) -> bool:
    """Whether ``signature`` is an SM2-with-SM3 signature of ``message`` by ``public_key``."""
    if not _on_curve(public_key) or not _HEX128.fullmatch(signature or ""):
        return False
    r, s = int(signature[:64], 16), int(signature[64:], 16)
    if not (1 <= r < _N and 1 <= s < _N):
        return False
    crypt = _crypt("", public_key)
    try:
        return bool(crypt.verify_with_sm3(signature, message))
    except (ValueError, ZeroDivisionError):  # a degenerate point: not a signature
        return False


def load_or_create(path: Path) -> str:
    """The private key kept in ``path`` (hex, one line); a new one is made and kept (mode
    0600) when the file does not exist — for the demo and the tests. A county in production
    installs the key its 密码 device or 电子印章 platform issued."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_private_key() + "\n")
        path.chmod(0o600)
    key = path.read_text().strip().lower()
    public_key_of(key)  # raises on a malformed key
    return key
