"""Restore drill: back up, lose data, restore, check everything is back and verifiable
(issue 19 item 7; SUP-9, GOV-14)."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from jiuzhu.audit.log import verify_chain
from jiuzhu.audit.models import AuditEntry
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.pii import unseal

# pg_dump and the SQLite backup API see committed data only.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors.jsonl"
    (settings.MEDIA_ROOT / "scans").mkdir(parents=True)
    (settings.MEDIA_ROOT / "scans" / "授权书.pdf").write_bytes(b"%PDF-1.4 scan")
    (settings.MEDIA_ROOT / "verification" / "spool").mkdir(parents=True)
    (settings.MEDIA_ROOT / "verification" / "spool" / "incoming.part").write_text("370405199001011234")
    return settings.MEDIA_ROOT


def test_the_restore_drill_brings_back_data_files_and_a_verifiable_chain(household_in, media, tmp_path, capsys):
    kept = household_in("张山子镇")
    ids = sorted(unseal("id_number", p.id_number_enc) for p in kept.current_members())
    audit_rows = AuditEntry.objects.count()
    call_command("backup", str(tmp_path / "b1"))
    assert "备份完成" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "b1" / "manifest.json").read_text())
    assert manifest["files"].keys() == {manifest["database"], "media.tar.gz"}

    household_in("张山子镇")  # work after the backup, then a disaster
    Household.objects.filter(pk=kept.pk).update(address="被误改的地址")
    (media / "scans" / "授权书.pdf").unlink()

    call_command("restore", str(tmp_path / "b1"), "--noinput")
    out = capsys.readouterr().out
    assert "已恢复" in out and "审计日志链完好" in out
    assert list(Household.objects.values_list("pk", "address")) == [(kept.pk, kept.address)]
    assert sorted(unseal("id_number", p.id_number_enc) for p in Person.objects.all()) == ids
    assert AuditEntry.objects.count() == audit_rows
    assert verify_chain(with_anchors=False)[2] == ""
    assert (media / "scans" / "授权书.pdf").read_bytes() == b"%PDF-1.4 scan"
    assert not (media / "verification" / "spool" / "incoming.part").exists()  # plain IDs never backed up
    assert list(tmp_path.glob("media.before-restore-*"))  # the replaced files are kept aside


def test_a_damaged_backup_or_another_key_is_refused_and_changes_nothing(household_in, media, tmp_path, settings):
    household_in("张山子镇")
    call_command("backup", str(tmp_path / "b1"))
    household_in("张山子镇")
    database = tmp_path / "b1" / json.loads((tmp_path / "b1" / "manifest.json").read_text())["database"]
    original = database.read_bytes()
    database.write_bytes(original[:-10])
    with pytest.raises(CommandError) as exc:
        call_command("restore", str(tmp_path / "b1"), "--noinput")
    assert "已损坏" in str(exc.value)
    database.write_bytes(original)

    from jiuzhu.core.crypto import new_master_key
    from jiuzhu.registry.pii import cipher

    settings.JIUZHU_MASTER_KEY = new_master_key()
    cipher.cache_clear()
    try:
        with pytest.raises(CommandError) as exc:
            call_command("restore", str(tmp_path / "b1"), "--noinput")
        assert "另一把个人信息主密钥" in str(exc.value)
    finally:
        settings.JIUZHU_MASTER_KEY = ""
        cipher.cache_clear()
    assert Household.objects.count() == 2
    with pytest.raises(CommandError) as exc:
        call_command("backup", str(tmp_path / "b1"))
    assert "不是空目录" in str(exc.value)


def test_a_backup_names_the_data_keys_its_values_need(household_in, media, tmp_path, settings):
    """After a key rotation (issue 19 item 7) a backup needs the data key too: a key file
    without it is refused before anything is touched."""
    from jiuzhu.registry.pii import cipher

    key_file = tmp_path / "jiuzhu.key"
    key_file.write_text(settings.JIUZHU_MASTER_KEY + "\n")
    original = settings.JIUZHU_MASTER_KEY
    settings.JIUZHU_MASTER_KEY, settings.JIUZHU_KEY_FILE = "", key_file
    cipher.cache_clear()
    try:
        household_in("张山子镇")
        call_command("rotate_pii_key")
        call_command("rotate_pii_key", "--activate")
        cipher.cache_clear()
        call_command("backup", str(tmp_path / "b1"))
        ring = key_file.read_text().splitlines()
        assert json.loads((tmp_path / "b1" / "manifest.json").read_text())["data_key_ids"] == [cipher().data_key_id]
        key_file.write_text(ring[0] + "\n")  # the master key alone
        cipher.cache_clear()
        with pytest.raises(CommandError) as exc:
            call_command("restore", str(tmp_path / "b1"), "--noinput")
        assert "数据密钥" in str(exc.value)
        assert Household.objects.count() == 1
    finally:
        settings.JIUZHU_MASTER_KEY = original
        cipher.cache_clear()


def test_a_restore_names_the_signing_and_peer_keys_that_are_missing_or_different(
    household_in, media, tmp_path, settings, capsys
):
    """The key files stay out of a backup like the master key; the manifest keeps their
    fingerprints and a restore warns, by name and variable, where one is gone or replaced."""
    from jiuzhu.core import sm2

    settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE = tmp_path / "none.pem", tmp_path / "none-cert.pem"
    settings.SM2_KEY_FILE, settings.PEER_SM2_KEY_FILE = tmp_path / "sm2.hex", tmp_path / "peer.hex"
    sm2.load_or_create(settings.SM2_KEY_FILE)
    sm2.load_or_create(settings.PEER_SM2_KEY_FILE)
    household_in("张山子镇")
    call_command("backup", str(tmp_path / "b1"))
    out = capsys.readouterr().out
    assert "不在备份中" in out and "国密文书签章私钥" in out and "跨县核对国密私钥" in out
    assert "文书签章证书" not in out  # no such file here
    key_files = json.loads((tmp_path / "b1" / "manifest.json").read_text())["key_files"]
    assert key_files["SIGNING_KEY_FILE"] is None and len(key_files["SM2_KEY_FILE"]) == 16
    assert sm2.read_key_file(settings.SM2_KEY_FILE) not in (tmp_path / "b1" / "manifest.json").read_text()

    call_command("restore", str(tmp_path / "b1"), "--noinput")
    assert "注意" not in capsys.readouterr().err  # the same keys: nothing to say

    settings.SM2_KEY_FILE.write_text(sm2.new_private_key() + "\n")
    settings.PEER_SM2_KEY_FILE.unlink()
    call_command("restore", str(tmp_path / "b1"), "--noinput")
    captured = capsys.readouterr()
    assert "国密文书签章私钥（JIUZHU_SM2_KEY_FILE=" in captured.err and "与备份时不同" in captured.err
    assert "跨县核对国密私钥（JIUZHU_PEER_SM2_KEY_FILE=" in captured.err and "不存在" in captured.err
    assert "已恢复" in captured.out  # a warning, not a refusal
