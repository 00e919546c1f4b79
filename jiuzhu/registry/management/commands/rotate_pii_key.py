"""manage.py rotate_pii_key: rotate the data key that seals personal data (密钥更新, issue 19
item 7), in two phases so that no running process ever meets a value it cannot read:

1. ``rotate_pii_key`` adds a new data key to the key ring as *pending* (a ``pending <key>`` line): every
   process that is restarted learns to read it, none seals with it yet.
2. After every server and worker has restarted, ``rotate_pii_key --activate`` puts it in use
   and re-encrypts every sealed value in batches (resumable: ``reencrypt_pii`` continues an
   interrupted run). Restart the processes again, then run ``reencrypt_pii`` once more to
   sweep values written by processes that still sealed with the previous key.

Blind indexes and the audit chain stay keyed by the master key (first line of the ring).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jiuzhu.core.crypto import PENDING, key_id, load_key_ring, load_master_key, new_master_key


def _write_ring(path: Path, text: str) -> None:
    """Replace the key file atomically (mode 0600), keeping the previous one beside it."""
    backup = path.with_name(f"{path.name}.{dt.datetime.now():%Y%m%d%H%M%S}.bak")
    shutil.copy2(path, backup)
    os.chmod(backup, 0o600)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Command(BaseCommand):
    help = "更新个人信息数据密钥：先加入待启用密钥，全部服务重启后用 --activate 启用并重新加密（可中断后续跑）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--activate", action="store_true", help="启用待启用的数据密钥并重新加密全部个人信息")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.JIUZHU_MASTER_KEY:
            raise CommandError(
                "主密钥通过环境变量 JIUZHU_MASTER_KEY 配置，本命令无法改写：请在密钥管理处生成新密钥，"
                "以“,pending 新密钥”追加到该变量并重启全部服务，再改为“,新密钥”并运行 reencrypt_pii"
            )
        path: Path = settings.JIUZHU_KEY_FILE
        if not path.exists():
            raise CommandError(f"主密钥文件不存在：{path}（请先运行 ensure_data_key）")
        text = path.read_text()
        load_key_ring(text)  # refuse to touch a malformed ring
        if options["activate"]:
            self._activate(path, text)
        else:
            self._add(path, text)

    def _add(self, path: Path, text: str) -> None:
        _, _, pending = load_key_ring(text)
        if pending:
            raise CommandError("已有待启用的数据密钥：请在全部服务重启后运行 rotate_pii_key --activate")
        key = new_master_key()
        stamp = f"# 数据密钥 {key_id(load_master_key(key)).hex()}，{dt.datetime.now():%Y-%m-%d %H:%M} 加入（待启用）\n"
        _write_ring(path, text.rstrip("\n") + "\n" + stamp + PENDING + key + "\n")
        self._audit("registry.pii.key_added", key_id(load_master_key(key)).hex())
        self.stdout.write(f"已加入待启用的数据密钥（编号 {key_id(load_master_key(key)).hex()}），原密钥文件已备份。")
        self.stdout.write("下一步：重启全部服务和后台任务进程，然后运行 rotate_pii_key --activate")

    def _activate(self, path: Path, text: str) -> None:
        from jiuzhu.registry.pii import cipher
        from jiuzhu.registry.rekey import rekey_all

        lines = text.splitlines()
        pending = [i for i, line in enumerate(lines) if line.strip().startswith(PENDING)]
        if not pending:
            raise CommandError("没有待启用的数据密钥：请先运行 rotate_pii_key 加入新密钥")
        for i in pending:
            lines[i] = lines[i].strip()[len(PENDING) :]
        _write_ring(path, "\n".join(lines) + "\n")
        cipher.cache_clear()
        kid = cipher().data_key_id
        self._audit("registry.pii.key_activated", kid)
        self.stdout.write(f"数据密钥 {kid} 已启用，开始重新加密个人信息……")
        stats = rekey_all(progress=lambda line: self.stdout.write(line))
        self._audit("registry.pii.reencrypt", kid, stats.rows)
        for table, n in stats.rows.items():
            self.stdout.write(f"{table}：更新 {n} 行")
        self.stdout.write(
            "完成。请再次重启全部服务进程，然后运行 reencrypt_pii 处理重启前写入的数据；"
            "旧数据密钥须保留到所有仍可能恢复的备份过期为止。"
        )

    @staticmethod
    def _audit(action: str, kid: str, rows: dict[str, int] | None = None) -> None:
        from jiuzhu.accounts.system import SystemActor
        from jiuzhu.audit.log import record

        with transaction.atomic():
            record(SystemActor("系统（密钥更新）"), action, None, changes={"key_id": kid, **(rows or {})})
