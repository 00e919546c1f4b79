from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuzhu.core.errors import DomainError
from jiuzhu.web.backup import backup, key_files_to_keep


class Command(BaseCommand):
    help = "备份数据库与附件到一个新目录（含清单与校验值；个人信息主密钥不在备份中，请另行保管）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", help="备份目录（须为新目录或空目录）")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["dir"])
        try:
            manifest = backup(target)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{target}（数据库 {manifest['database']}，附件 media.tar.gz，"
                f"主密钥指纹 {manifest['key_fingerprint']}）"
            )
        )
        kept_apart = key_files_to_keep()
        if kept_apart:
            self.stdout.write("以下密钥文件不在备份中，请与主密钥一同另行保管：" + "；".join(kept_apart))
