from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiuzhu.accounts.system import system_user
from jiuzhu.core.errors import DomainError
from jiuzhu.verification.peers import add_peer


class Command(BaseCommand):
    help = "登记跨县核对对端（对端地址和共享密钥；两地须登记同一密钥）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--code", required=True, help="对端县级区划代码")
        parser.add_argument("--name", required=True)
        parser.add_argument("--url", required=True)
        parser.add_argument("--key", required=True, help="共享密钥（至少32个字符）")
        parser.add_argument("--our-code", required=True, help="本县县级区划代码（对端登记的代码）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            peer = add_peer(
                by=system_user("系统管理员（命令行）"),
                code=options["code"],
                name=options["name"],
                base_url=options["url"],
                key=options["key"],
                our_code=options["our_code"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已登记对端：{peer}")
