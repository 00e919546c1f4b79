from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from jiuzhu.core.crypto import new_master_key


class Command(BaseCommand):
    help = "若不存在则创建本地个人信息加密主密钥文件（JIUZHU_KEY_FILE）；已存在则不做任何修改"

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.JIUZHU_MASTER_KEY:
            self.stdout.write("已通过环境变量 JIUZHU_MASTER_KEY 配置主密钥")
            return
        path = settings.JIUZHU_KEY_FILE
        if path.exists():
            self.stdout.write(f"主密钥文件已存在：{path}")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(new_master_key() + "\n")
        self.stdout.write(
            self.style.WARNING(f"已创建主密钥文件：{path}（请妥善备份；丢失后已加密的个人信息将无法解密）")
        )
