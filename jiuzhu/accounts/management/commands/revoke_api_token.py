from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiuzhu.accounts.actions import revoke_api_token
from jiuzhu.accounts.models import ApiToken, hash_token
from jiuzhu.core.errors import DomainError


class Command(BaseCommand):
    help = "吊销接口令牌：参数为完整令牌，或令牌前缀（如 jz_AbC123x）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token")

    def handle(self, *args: Any, **options: Any) -> None:
        value = options["token"]
        rows = list(ApiToken.objects.filter(token_hash=hash_token(value))) or list(
            ApiToken.objects.filter(prefix=value[:10], revoked_at__isnull=True)
        )
        if len(rows) != 1:
            raise CommandError("找不到该令牌" if not rows else "前缀对应多个令牌，请提供完整令牌")
        try:
            revoke_api_token(rows[0], by=None)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已吊销令牌 {rows[0].prefix}…（{rows[0].user.username}）")
