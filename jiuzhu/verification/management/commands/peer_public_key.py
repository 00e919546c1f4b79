from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiuzhu.core import sm2


class Command(BaseCommand):
    help = (
        "输出本县跨县核对SM2公钥（国密配置），交对端以 add_peer --sm2-public-key 登记；"
        "私钥文件 JIUZHU_PEER_SM2_KEY_FILE 不存在时先生成（权限0600，请与数据库分开备份）"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        path = settings.PEER_SM2_KEY_FILE
        if sm2.create_key_file(path):
            self.stderr.write(
                self.style.WARNING(f"已生成跨县核对SM2私钥文件：{path}（请妥善备份；更换后须把新公钥交对端重新登记）")
            )
        try:
            public_key = sm2.public_key_of(sm2.read_key_file(path))
        except sm2.Sm2KeyError as exc:
            raise CommandError(f"SM2私钥文件 {path} 格式不正确（应为64位十六进制）：{exc}") from None
        self.stdout.write(public_key)
