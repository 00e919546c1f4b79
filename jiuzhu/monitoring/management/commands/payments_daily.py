"""Daily housekeeping of dynamic management: due reviews become tasks (run from cron or the
worker; the command keeps its name ``payments_daily``)."""

from __future__ import annotations

from typing import Any, cast

from django.core.management.base import BaseCommand

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import SystemActor
from jiuzhu.monitoring.actions import create_due_reviews


class Command(BaseCommand):
    help = "生成到期复核任务（定期复核、特困未成年人年满18周岁）"

    def handle(self, *args: Any, **options: Any) -> None:
        made = create_due_reviews(by=cast(User, SystemActor("系统（定期复核）")))  # the system, audited as such
        self.stdout.write(f"新建复核任务 {made} 件")
