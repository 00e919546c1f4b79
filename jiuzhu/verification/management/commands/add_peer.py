from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiuzhu.accounts.system import system_user
from jiuzhu.core.errors import DomainError
from jiuzhu.verification.peers import add_peer, scheme_for


class Command(BaseCommand):
    help = (
        "登记跨县核对对端（对端地址，及共享密钥或对端SM2公钥）：标准配置两地登记同一共享密钥；"
        "国密配置登记对端 manage.py peer_public_key 输出的SM2公钥"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--code", required=True, help="对端县级区划代码")
        parser.add_argument("--name", required=True)
        parser.add_argument("--url", required=True)
        parser.add_argument("--key", default="", help="共享密钥（至少32个字符；HMAC签名）")
        parser.add_argument("--sm2-public-key", default="", help="对端SM2公钥（十六进制，国密配置下签名验签）")
        parser.add_argument(
            "--hmac-only", action="store_true", help="国密配置下暂不登记SM2公钥，两地以共享密钥（HMAC-SM3）签名"
        )
        parser.add_argument("--our-code", required=True, help="本县县级区划代码（对端登记的代码）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            peer = add_peer(
                by=system_user("系统管理员（命令行）"),
                code=options["code"],
                name=options["name"],
                base_url=options["url"],
                key=options["key"],
                sm2_public_key=options["sm2_public_key"],
                hmac_only=options["hmac_only"],
                our_code=options["our_code"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已登记对端：{peer}（签名方式 {scheme_for(peer)}）")
