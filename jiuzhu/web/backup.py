"""Backup and restore of one deployment: the database, the media files and a key check.

A backup directory holds ``manifest.json`` (time, database vendor, applied migrations, a
fingerprint of the PII master key, a SHA-256 of every file), the database (SQLite through
its online backup API; PostgreSQL as a ``pg_dump`` custom archive) and ``media.tar.gz``.
The master key itself is never in a backup: without it the encrypted PII is unreadable, so
it is backed up apart, and a restore refuses a backup made under another key. The signing
and peer keys (``KEY_FILES``) are not in it either: the manifest keeps a fingerprint of each,
and a restore where one is missing or different warns by name (a county may have had its
certificate reissued, so this is not a refusal).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from jiuzhu.core.errors import InvalidInput

MANIFEST = "manifest.json"
MEDIA = "media.tar.gz"
# Department files in transit hold plain ID numbers: never copied into a backup.
MEDIA_EXCLUDED = ("verification/spool",)
# Key files kept apart from a backup, like the master key: setting, environment variable, name.
KEY_FILES = (
    ("SIGNING_KEY_FILE", "JIUZHU_SIGNING_KEY_FILE", "文书签章私钥"),
    ("SIGNING_CERT_FILE", "JIUZHU_SIGNING_CERT_FILE", "文书签章证书"),
    ("SM2_KEY_FILE", "JIUZHU_SM2_KEY_FILE", "国密文书签章私钥"),
    ("PEER_SM2_KEY_FILE", "JIUZHU_PEER_SM2_KEY_FILE", "跨县核对国密私钥"),
)


def key_fingerprint() -> str:
    from jiuzhu.registry.pii import cipher

    return cipher().chain_mac(b"jiuzhu/backup/key-check")[:16]


def _data_key_ids() -> list[str]:
    from jiuzhu.registry.pii import cipher

    return cipher().known_key_ids


def key_file_fingerprints() -> dict[str, str | None]:
    """Per key setting, a fingerprint of its file (its SHA-256, cut), or None where absent."""
    prints: dict[str, str | None] = {}
    for setting, _, _ in KEY_FILES:
        path = Path(getattr(settings, setting))
        prints[setting] = hashlib.sha256(path.read_bytes().strip()).hexdigest()[:16] if path.is_file() else None
    return prints


def key_files_to_keep() -> list[str]:
    """The key files this deployment has, each as 名称（路径）: to be kept apart from the backup."""
    return [
        f"{name}（{getattr(settings, setting)}）"
        for setting, _, name in KEY_FILES
        if Path(getattr(settings, setting)).is_file()
    ]


def key_file_warnings(manifest: dict[str, Any]) -> list[str]:
    """What a restore here would lose of the backup's signing and peer keys, in Chinese."""
    here = key_file_fingerprints()
    warnings = []
    for setting, env, name in KEY_FILES:
        then = manifest.get("key_files", {}).get(setting)
        if then is None or here[setting] == then:
            continue
        state = "不存在" if here[setting] is None else "与备份时不同"
        warnings.append(
            f"{name}（{env}={getattr(settings, setting)}）{state}：请先放回备份时的密钥文件，"
            "否则恢复后新出具的文书或跨县核对将使用另一把密钥"
        )
    return warnings


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env() -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = ["-h", str(s.get("HOST") or "127.0.0.1"), "-p", str(s.get("PORT") or 5432), "-U", str(s.get("USER") or "")]
    env = {**os.environ, "PGPASSWORD": str(s.get("PASSWORD") or "")}
    return args, env


def _dump_database(target: Path) -> str:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        name = "database.sqlite3"
        with sqlite3.connect(target / name) as out:
            connection.connection.backup(out)
        out.close()
        return name
    if connection.vendor == "postgresql":
        name = "database.pgdump"
        args, env = _pg_env()
        dbname = str(connection.settings_dict["NAME"])
        subprocess.run(["pg_dump", *args, "-Fc", "-f", str(target / name), dbname], check=True, env=env)
        return name
    raise InvalidInput("unsupported_database", f"不支持备份 {connection.vendor} 数据库")


def _media_filter(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    relative = info.name.removeprefix("media").lstrip("/")
    return None if relative.startswith(MEDIA_EXCLUDED) else info


def backup(target: Path) -> dict[str, Any]:
    """Write a complete backup into ``target`` (created; must be empty)."""
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise InvalidInput("backup_dir_not_empty", f"备份目录 {target} 不是空目录，请指定新的目录")
    database = _dump_database(target)
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(target / MEDIA, "w:gz") as tar:
        if media_root.exists():
            tar.add(media_root, arcname="media", filter=_media_filter)
    applied = sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())
    manifest = {
        "format": 1,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "vendor": connection.vendor,
        "database": database,
        "migrations": applied,
        "key_fingerprint": key_fingerprint(),
        "data_key_ids": _data_key_ids(),
        "key_files": key_file_fingerprints(),
        "files": {name: _sha256(target / name) for name in (database, MEDIA)},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def check(source: Path) -> dict[str, Any]:
    """The manifest of a backup that can be restored here; a precise refusal otherwise."""
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InvalidInput("backup_invalid", f"{source} 不是完整的备份目录（缺少或无法读取 {MANIFEST}）") from None
    for name, expected in manifest.get("files", {}).items():
        path = source / name
        if not path.exists() or _sha256(path) != expected:
            raise InvalidInput("backup_corrupt", f"备份文件 {name} 缺失或已损坏（校验值不符），不能用于恢复")
    if manifest.get("vendor") != connection.vendor:
        raise InvalidInput(
            "backup_vendor", f"该备份来自 {manifest.get('vendor')} 数据库，当前为 {connection.vendor}，不能直接恢复"
        )
    if manifest.get("key_fingerprint") != key_fingerprint():
        raise InvalidInput(
            "backup_key_mismatch",
            "该备份由另一把个人信息主密钥加密：请先配置备份时所用的主密钥"
            "（JIUZHU_KEY_FILE 或 JIUZHU_MASTER_KEY），否则恢复后的个人信息无法解密",
        )
    missing = sorted(set(manifest.get("data_key_ids", [])) - set(_data_key_ids()))
    if missing:
        raise InvalidInput(
            "backup_key_mismatch",
            f"该备份中的个人信息由数据密钥 {'、'.join(missing)} 加密，当前密钥文件中没有："
            "请先把备份时的数据密钥加回密钥文件",
        )
    return manifest


def _restore_database(source: Path, manifest: dict[str, Any]) -> None:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        with sqlite3.connect(source / manifest["database"]) as src:
            src.backup(connection.connection)
        src.close()
        return
    args, env = _pg_env()
    dbname = str(connection.settings_dict["NAME"])
    connection.close()  # holds no lock while pg_restore drops and recreates the tables
    subprocess.run(
        [
            "pg_restore",
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "-d",
            dbname,
            str(source / manifest["database"]),
        ],
        check=True,
        env=env,
    )


def _restore_media(source: Path) -> Path | None:
    """Unpack the media files; the current ones are kept aside, never deleted."""
    media_root = Path(settings.MEDIA_ROOT)
    aside = None
    if media_root.exists():
        aside = media_root.with_name(f"{media_root.name}.before-restore-{timezone.now():%Y%m%d%H%M%S}")
        shutil.move(media_root, aside)
    media_root.mkdir(parents=True)
    with tarfile.open(source / MEDIA, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("media/")]
        for m in members:
            m.name = m.name.removeprefix("media/")
        tar.extractall(media_root, members=members, filter="data")
    return aside


def restore(source: Path) -> dict[str, Any]:
    """Restore the database and media of ``source`` over this deployment."""
    manifest = check(source)
    _restore_database(source, manifest)
    aside = _restore_media(source)
    return {**manifest, "media_aside": str(aside) if aside else ""}
