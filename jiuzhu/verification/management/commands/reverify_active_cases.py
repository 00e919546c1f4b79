from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiuzhu.accounts.system import system_user
from jiuzhu.core.errors import DomainError
from jiuzhu.verification.actions import start_reverification
from jiuzhu.verification.reverify import run_reverification


class Command(BaseCommand):
    help = "定期批量复核：按最新部门数据复核某区域全部在保对象（供 cron/systemd 定时调用）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--area", required=True, help="县级或镇级区划代码，如 370405")
        parser.add_argument("--queue", action="store_true", help="交给后台任务执行，而不是在前台执行")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = start_reverification(
                by=system_user("系统（定期复核）"), area_code=options["area"], trigger="scheduled"
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if options["queue"]:
            self.stdout.write(f"批量复核#{run.pk}已排队")
            return
        run = run_reverification(run.pk)
        self.stdout.write(f"批量复核#{run.pk}：复核{run.done}户，发现{run.findings}处变化")
