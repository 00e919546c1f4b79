from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuzhu.web import fonts


class Command(BaseCommand):
    help = "生成文书字体（思源宋体按 GB 2312 字符集精简，PDF 更快更小）；已是最新则不做任何修改"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="即使已是最新也重新生成")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = fonts.build(force=options["force"])
        except fonts.FontSourceMissing as error:
            raise CommandError(f"{error}；文书将直接使用完整字体") from error
        for path in written:
            self.stdout.write(f"已生成文书字体：{path}")
        if not written:
            self.stdout.write("文书字体已是最新")
