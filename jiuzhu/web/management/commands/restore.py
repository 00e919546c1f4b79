from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuzhu.audit.log import verify_chain
from jiuzhu.core.errors import DomainError
from jiuzhu.web.backup import check, key_file_warnings, restore


class Command(BaseCommand):
    help = "从备份目录恢复数据库与附件（覆盖当前数据；当前附件目录改名保留）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", help="由 manage.py backup 生成的备份目录")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive", help="不询问确认")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["dir"])
        try:
            manifest = check(source)
            for warning in key_file_warnings(manifest):
                self.stderr.write(self.style.WARNING(f"注意：{warning}"))
            if options["interactive"]:
                answer = input(f"将用 {manifest['created_at']} 的备份覆盖当前全部数据。确认请输入 yes：")
                if answer.strip() != "yes":
                    raise CommandError("已取消，未做任何更改")
            result = restore(source)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        checked, _, reason = verify_chain(with_anchors=False)
        if reason:
            raise CommandError(f"数据已恢复，但审计日志链校验失败：{reason}")
        aside = f"；原附件目录保留在 {result['media_aside']}" if result["media_aside"] else ""
        aside += "。链外锚点中晚于备份时间的记录所对应的操作已随恢复丢失：请归档现有锚点文件后重新开始锚定"
        self.stdout.write(
            self.style.SUCCESS(f"已恢复 {manifest['created_at']} 的备份；审计日志链完好（{checked} 条）{aside}")
        )
