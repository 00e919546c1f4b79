from typing import Any

from django.core.management.base import BaseCommand

from jiuzhu.programs.catalog import sync_catalog


class Command(BaseCommand):
    help = "从 jiuzhu/programs/data/catalog.yaml 同步救助项目库（可重复执行）"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"救助项目库已同步，变更{sync_catalog()}项")
