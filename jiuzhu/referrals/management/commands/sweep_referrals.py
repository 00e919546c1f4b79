from typing import Any

from django.core.management.base import BaseCommand

from jiuzhu.referrals.actions import sweep


class Command(BaseCommand):
    help = "派单到期提醒与超期督办（建议每日运行一次）"

    def handle(self, *args: Any, **options: Any) -> None:
        result = sweep()
        self.stdout.write(f"到期提醒 {result['reminded']} 件，超期督办 {result['escalated']} 件")
