"""Nightly 政策找人: evaluate every county's monitoring rules (预警规则), then send overdue
核查任务 up to their town. ``--county 370405`` limits both to one county."""

from __future__ import annotations

from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import SystemActor
from jiuzhu.core.errors import DomainError
from jiuzhu.monitoring.actions.grid import escalate_overdue
from jiuzhu.monitoring.models import MonitoringRule
from jiuzhu.monitoring.warnings import evaluate_warnings


class Command(BaseCommand):
    help = "评估预警规则，生成预警和核查任务，并将超期核查任务上报乡镇"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--county", default="", help="县级区划代码（6位），不填则评估所有县")

    def handle(self, *args: Any, **options: Any) -> None:
        county = options["county"]
        if county and (len(county) != 6 or not county.isdigit()):
            raise CommandError("--county 须为6位县级区划代码，如 370405")
        by = cast(User, SystemActor("系统（预警规则评估）"))
        counties = [county] if county else sorted(set(MonitoringRule.objects.values_list("county_code", flat=True)))
        for code in counties:
            try:
                r = evaluate_warnings(code, by=by)
            except DomainError as exc:
                raise CommandError(f"{code}：{exc.message}") from None
            s = r.skipped
            self.stdout.write(
                f"{code}：规则 {r.rules} 条，命中 {r.hits} 人，新增预警 {r.created} 条"
                f"（在保 {s['recipient']}，在办 {s['open_case']}，已有预警 {s['open_warning']}）"
            )
            escalated = escalate_overdue(by=by, county_code=code)
            self.stdout.write(f"{code}：超期核查任务上报乡镇 {escalated} 件")
