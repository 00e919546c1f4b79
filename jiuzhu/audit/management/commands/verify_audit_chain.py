from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuzhu.audit.log import verify_chain


class Command(BaseCommand):
    help = "校验审计日志哈希链：完好时退出码为0；发现篡改时指出第一条异常记录并以非0退出"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", default=None, help="只校验一个县的链（6位县级代码）")
        parser.add_argument("--anchors", default=None, help="链外锚点文件（默认为 JIUZHU_AUDIT_ANCHOR_FILE）")

    def handle(self, *args: Any, **options: Any) -> None:
        checked, bad, reason = verify_chain(options["chain"], Path(options["anchors"]) if options["anchors"] else None)
        if reason:
            where = (
                f"链 {bad.chain} 第 {bad.seq} 条（id={bad.pk}，{bad.action}，{bad.at:%Y-%m-%d %H:%M:%S}）"
                if bad
                else ""
            )
            raise CommandError(f"审计日志链校验失败：{where} {reason}（已校验 {checked} 条）")
        self.stdout.write(self.style.SUCCESS(f"审计日志链完好：共校验 {checked} 条记录"))
