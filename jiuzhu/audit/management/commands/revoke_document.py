"""manage.py revoke_document CODE --reason …: declare a signed document no longer valid."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuzhu.accounts.system import SystemActor
from jiuzhu.audit.models import SignedDocument
from jiuzhu.core.errors import DomainError


class Command(BaseCommand):
    help = "作废电子文书：公开核验页将显示“已作废”及原因（写入审计日志）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="文书上的12位验证码")
        parser.add_argument("--reason", required=True, help="作废原因，如：决定已撤销，重新出具")

    def handle(self, *args: Any, **options: Any) -> None:
        from jiuzhu.web.seal import revoke

        record = SignedDocument.objects.filter(code=options["code"].strip().upper()).first()
        if record is None:
            raise CommandError(f"未找到验证码为 {options['code']} 的文书")
        try:
            revoke(SystemActor("系统管理员（命令行）"), record, reason=options["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已作废：{record.title} {record.number}")
