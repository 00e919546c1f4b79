from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiuzhu.verification.ingest import process_batch
from jiuzhu.verification.models import Batch


class Command(BaseCommand):
    help = "在前台校验并入库一个数据批次（与后台任务相同；用于排查或补处理）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("batch_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if not Batch.objects.filter(pk=options["batch_id"]).exists():
            raise CommandError(f"批次#{options['batch_id']}不存在")
        batch = process_batch(options["batch_id"])
        self.stdout.write(f"批次#{batch.pk}：{batch.get_status_display()}，{batch.message}")
