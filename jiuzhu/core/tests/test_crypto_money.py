"""PII sealing (AES-GCM + blind index) and money in fen."""

import pytest

from jiuzhu.core.crypto import CryptoKeyError, PiiCipher, load_master_key, new_master_key
from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.money import fen_to_yuan, format_yuan, yuan_to_fen

KEY = load_master_key(new_master_key())


def test_it_round_trips_and_never_repeats_a_ciphertext():
    c = PiiCipher(KEY)
    a, b = c.encrypt("id_number", "11010519491231002X"), c.encrypt("id_number", "11010519491231002X")
    assert a != b
    assert b"11010519491231002X" not in a
    assert c.decrypt("id_number", a) == "11010519491231002X"


def test_a_ciphertext_cannot_move_to_another_field():
    c = PiiCipher(KEY)
    with pytest.raises(CryptoKeyError):
        c.decrypt("phone", c.encrypt("id_number", "11010519491231002X"))


def test_the_blind_index_is_stable_per_key_and_field():
    c = PiiCipher(KEY)
    assert c.blind_index("id_number", "x") == c.blind_index("id_number", "x")
    assert c.blind_index("id_number", "x") != c.blind_index("phone", "x")
    assert PiiCipher(load_master_key(new_master_key())).blind_index("id_number", "x") != c.blind_index("id_number", "x")


def test_a_wrong_key_fails_loudly():
    blob = PiiCipher(KEY).encrypt("phone", "13800000000")
    with pytest.raises(CryptoKeyError):
        PiiCipher(load_master_key(new_master_key())).decrypt("phone", blob)


@pytest.mark.parametrize(("raw", "fen"), [("1", 100), ("1,234.56", 123456), ("0.01", 1), ("890", 89000)])
def test_it_parses_yuan_into_fen(raw, fen):
    assert yuan_to_fen(raw) == fen


@pytest.mark.parametrize("raw", ["1.001", "abc", "", "NaN"])
def test_it_rejects_bad_amounts(raw):
    with pytest.raises(InvalidInput):
        yuan_to_fen(raw)


def test_it_prints_fen_as_yuan():
    assert fen_to_yuan(123456) == "1234.56"
    assert format_yuan(123456) == "1,234.56元"


@pytest.mark.parametrize("profile", ["standard", "gm"])
def test_both_profiles_seal_index_and_chain(profile):
    """Issue 19 item 8: the 国密 profile (SM4-GCM, HMAC-SM3) behaves as the standard one."""
    c = PiiCipher(KEY, profile)
    blob = c.encrypt("id_number", "11010519491231002X")
    assert blob[0] == (2 if profile == "gm" else 1) and c.current(blob)
    assert c.decrypt("id_number", blob) == "11010519491231002X"
    with pytest.raises(CryptoKeyError):
        c.decrypt("phone", blob)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(CryptoKeyError):
        c.decrypt("id_number", tampered)
    assert len(c.blind_index("id_number", "x")) == 64
    assert c.blind_indexes("id_number", ["x", "y"]) == [c.blind_index("id_number", v) for v in ("x", "y")]
    assert len(c.chain_mac(b"row")) == 64


def test_the_profiles_differ_and_each_reads_the_others_ciphertexts():
    import hashlib
    import hmac

    standard, gm = PiiCipher(KEY, "standard"), PiiCipher(KEY, "gm")
    assert standard.blind_index("id_number", "x") != gm.blind_index("id_number", "x")
    assert standard.chain_mac(b"row") == gm.chain_mac_of_other_profile(b"row")
    assert gm.chain_mac(b"row") == standard.chain_mac_of_other_profile(b"row")
    # SM3 really is the digest of the 国密 index: recompute it with OpenSSL's SM3.
    assert "sm3" in hashlib.algorithms_available
    assert gm.blind_index("id_number", "x") == hmac.new(gm._index_key, b"id_number\x00x", "sm3").hexdigest()
    old = standard.encrypt("phone", "13800000000")
    assert gm.decrypt("phone", old) == "13800000000" and not gm.current(old)
    assert standard.decrypt("phone", gm.encrypt("phone", "13800000000")) == "13800000000"
    with pytest.raises(CryptoKeyError):
        PiiCipher(KEY, "des")
