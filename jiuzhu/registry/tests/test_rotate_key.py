"""Rotating the data key that seals personal data (密钥更新, issue 19 item 7; SUP-9): a new key
is first only known (pending), then put in use; every sealed value is re-encrypted in
resumable batches; lookups, decryption, the audit chain and backups keep working."""

import base64
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiuzhu.audit.log import verify_chain
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.crypto import CryptoKeyError, PiiCipher, load_key_ring, load_master_key, new_master_key
from jiuzhu.registry import rekey
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import cipher, unseal
from jiuzhu.registry.queries import lookup_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_file(settings, tmp_path):
    """The ring in a key file (the command rewrites files, not the environment)."""
    path: Path = tmp_path / "jiuzhu.key"
    path.write_text(settings.JIUZHU_MASTER_KEY + "\n")
    original = settings.JIUZHU_MASTER_KEY
    settings.JIUZHU_MASTER_KEY = ""
    settings.JIUZHU_KEY_FILE = path
    cipher.cache_clear()
    yield path
    settings.JIUZHU_MASTER_KEY = original
    cipher.cache_clear()


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_pii_key", *args, stdout=out)
    cipher.cache_clear()
    return out.getvalue()


def test_a_rotated_key_seals_and_every_value_is_reencrypted(world, household_in, key_file):
    h = household_in("张山子镇")
    person = h.members.get(relation="self")
    full = unseal("id_number", person.id_number_enc)
    index = person.id_number_index
    assert bytes(person.id_number_enc)[0] in (1, 2)

    said = run()
    assert "待启用" in said and "--activate" in said
    assert key_file.read_text().count("\npending ") == 1
    assert list(key_file.parent.glob("jiuzhu.key.*.bak"))  # the previous ring is kept
    assert cipher().data_key_id == ""  # pending: read, not yet sealing
    with pytest.raises(CommandError, match="已有待启用"):
        run()

    said = run("--activate")
    kid = cipher().data_key_id
    assert kid and kid in said and "reencrypt_pii" in said
    for p in Person.objects.all():
        blob = bytes(p.id_number_enc)
        assert blob[0] in (3, 4) and blob[1:5].hex() == kid
        assert p.phone_enc is None or bytes(p.phone_enc)[1:5].hex() == kid
    again = Person.objects.get(pk=person.pk)
    assert unseal("id_number", again.id_number_enc) == full
    assert again.id_number_index == index  # indexes stay keyed by the master key
    assert lookup_person(world.user("tez_zhangshanzi"), full).pk == person.pk
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"registry.pii.key_added", "registry.pii.key_activated", "registry.pii.reencrypt"} <= actions
    checked, bad, reason = verify_chain(with_anchors=False)
    assert bad is None and reason == "" and checked > 0

    # A second rotation reads values of the first data key and of the master key alike.
    run()
    run("--activate")
    assert cipher().data_key_id not in ("", kid)
    assert unseal("id_number", Person.objects.get(pk=person.pk).id_number_enc) == full
    with pytest.raises(CommandError, match="没有待启用"):
        run("--activate")


def test_an_interrupted_reencryption_resumes(world, household_in, key_file, monkeypatch):
    household_in("张山子镇")
    household_in("涧头集镇")
    run()
    monkeypatch.setattr(rekey, "BATCH", 1)
    calls = {"n": 0}
    real = Person.save

    def dies_on_the_second_batch(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Person, "save", dies_on_the_second_batch)
    with pytest.raises(RuntimeError):
        run("--activate")
    monkeypatch.setattr(Person, "save", real)
    cipher.cache_clear()
    kid = cipher().data_key_id
    states = [bytes(p.id_number_enc)[1:5].hex() == kid for p in Person.objects.order_by("pk")]
    assert states[0] and not all(states)  # the first batch is done, the rest is not
    out = io.StringIO()
    call_command("reencrypt_pii", stdout=out)  # resumes where it stopped
    assert all(bytes(p.id_number_enc)[1:5].hex() == kid for p in Person.objects.all())
    assert all(unseal("id_number", p.id_number_enc) for p in Person.objects.all())


def test_the_command_refuses_a_key_in_the_environment(settings):
    settings.JIUZHU_MASTER_KEY = new_master_key()
    with pytest.raises(CommandError, match="JIUZHU_MASTER_KEY"):
        call_command("rotate_pii_key")


def test_a_ring_without_the_key_that_sealed_a_value_says_so():
    master, rotated = load_master_key(new_master_key()), load_master_key(new_master_key())
    sealed = PiiCipher(master, "standard", [rotated]).encrypt("id_number", "370405199001011234")
    assert PiiCipher(master, "gm", [rotated]).decrypt("id_number", sealed) == "370405199001011234"
    with pytest.raises(CryptoKeyError, match="lacks the data key"):
        PiiCipher(master).decrypt("id_number", sealed)
    master_b64 = new_master_key()
    ring = load_key_ring(f"# 注释\n{master_b64}\n{new_master_key()}\npending {new_master_key()}\n")
    assert ring[0] == load_master_key(master_b64) and len(ring[1]) == 1 and len(ring[2]) == 1
    with pytest.raises(CryptoKeyError):
        load_key_ring(f"pending {master_b64}\n")
    plus = base64.b64encode(b"\xf8" + bytes(31)).decode()  # a key may itself start with "+"
    assert plus.startswith("+")
    assert load_key_ring(f"{master_b64}\npending {plus}\n")[2] == [load_master_key(plus)]
    assert load_key_ring(f"{master_b64}\n{plus}\n")[1] == [load_master_key(plus)]
