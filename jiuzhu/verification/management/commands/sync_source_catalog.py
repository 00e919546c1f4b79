from django.core.management.base import BaseCommand

from jiuzhu.verification.catalog import sync_catalog


class Command(BaseCommand):
    help = "载入或更新核对数据目录（data/sources.yaml）：部门、数据类型和数据格式版本"

    def handle(self, *args: object, **options: object) -> None:
        counts = sync_catalog()
        self.stdout.write(
            f"数据目录已同步：新增部门{counts['providers']}个、数据类型{counts['sources']}个、数据格式版本{counts['schemas']}个"
        )
