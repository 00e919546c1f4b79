"""manage.py reencrypt_pii: bring every sealed value and blind index to the crypto profile
set by JIUZHU_CRYPTO_PROFILE (the switch of a live database; resumable, see registry/rekey.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "按当前密码配置（JIUZHU_CRYPTO_PROFILE）重新加密个人信息并重算盲索引；可中断后重新运行"

    def handle(self, *args: Any, **options: Any) -> None:
        from jiuzhu.accounts.system import SystemActor
        from jiuzhu.audit.log import record
        from jiuzhu.registry.rekey import rekey_all
        from jiuzhu.verification.models import Fact, Source

        profile = settings.JIUZHU_CRYPTO_PROFILE
        names = {"gm": "国密（SM4-GCM、HMAC-SM3）", "standard": "标准（AES-256-GCM、HMAC-SHA256）"}
        self.stdout.write(f"当前密码配置：{names.get(profile, profile)}")
        stats = rekey_all(progress=lambda line: self.stdout.write(line))
        with transaction.atomic():
            actor = SystemActor("系统（重新加密）")
            record(actor, "registry.pii.reencrypt", None, changes={"profile": profile, **stats.rows})
        for table, n in stats.rows.items():
            self.stdout.write(f"{table}：更新 {n} 行")
        if not stats.rows:
            self.stdout.write("所有个人信息已是当前密码配置，无需更新")
        elif Fact.objects.exists():
            sources = Source.objects.filter(batches__status="loaded").distinct().values_list("name", flat=True)
            self.stdout.write(
                "注意：部门数据按盲索引存储且只增不改，切换后请各部门重新上报一次全量数据：" + "、".join(sources)
            )
