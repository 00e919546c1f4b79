from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiuzhu.audit.log import anchor_path, write_anchors


class Command(BaseCommand):
    help = "把各县审计日志链的链头（序号与带密钥的哈希）追加写入链外锚点文件；请定期运行"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", default=None, help="锚点文件（默认为 JIUZHU_AUDIT_ANCHOR_FILE）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]) if options["file"] else anchor_path()
        lines = write_anchors(path)
        self.stdout.write(self.style.SUCCESS(f"已写入 {len(lines)} 条链头锚点：{path}"))
