"""Daily housekeeping of payments: due reviews become tasks (run from cron or the worker)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jiuzhu.accounts.system import SystemActor
from jiuzhu.payments.actions import create_due_reviews


class Command(BaseCommand):
    help = "生成到期复核任务（定期复核、特困未成年人年满18周岁）"

    def handle(self, *args: Any, **options: Any) -> None:
        made = create_due_reviews(SystemActor("系统（定期复核）"))
        self.stdout.write(f"新建复核任务 {made} 件")
