from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuzhu.areas.importer import import_areas
from jiuzhu.core.errors import DomainError


class Command(BaseCommand):
    help = "导入行政区划文件（CSV：code,name,parent,urban_rural[,demo]），全部成功或全部不导入"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = Path(options["path"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件：{exc}") from None
        try:
            result = import_areas(data)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"区划导入完成：新增{result.created}，更新{result.updated}，未变{result.unchanged}")
