"""manage.py recover_jobs: mark failed the long jobs whose worker died (issue 19 item 3)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "检查后台任务：处理进程已中断的花名册生成、数据批次、批量复核、调整告知书、银行文件导出、"
        "文书生成、应急批量先行救助标记为失败（可在页面或接口重试）"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from jiuzhu.applications.notices import recover_notice_jobs
        from jiuzhu.monitoring.emergency import recover_reliefs
        from jiuzhu.payments.actions import recover_adjustment_notice_jobs, recover_bank_exports, recover_roster_runs
        from jiuzhu.verification.actions import recover_reverification_runs
        from jiuzhu.verification.ingest import recover_batches

        found = {
            "花名册生成": recover_roster_runs(),
            "数据批次": recover_batches(),
            "批量复核": recover_reverification_runs(),
            "调整告知书": recover_adjustment_notice_jobs(),
            "银行文件导出": recover_bank_exports(),
            "文书生成": recover_notice_jobs(),
            "应急批量先行救助": recover_reliefs(),
        }
        for label, ids in found.items():
            if ids:
                self.stdout.write(
                    f"{label}：{len(ids)}个任务的处理进程已中断，已标记为失败（编号 {', '.join(map(str, ids))}）"
                )
        if not any(found.values()):
            self.stdout.write("没有中断的任务")
