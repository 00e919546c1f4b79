from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuzhu.accounts.actions import create_api_token
from jiuzhu.accounts.models import User
from jiuzhu.core.errors import DomainError


class Command(BaseCommand):
    help = "签发接口令牌：打印一个用于 Authorization: Bearer <token> 的令牌（只显示这一次）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="用途说明，如：医保局数据交换")
        parser.add_argument("--days", type=int, default=None, help="有效天数（默认与最长天数见设置；可随时吊销）")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户不存在：{options['username']}")
        try:
            _, plain = create_api_token(user, by=None, name=options["name"], days=options["days"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(plain)
