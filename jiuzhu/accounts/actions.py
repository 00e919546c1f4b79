"""Account state changes: API tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput

from .models import ApiToken, User, hash_token


def create_api_token(user: User, *, by: User | None, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """签发接口令牌. Returns the row and the plain token, shown once and never stored.

    Without ``days`` the token lives ``API_TOKEN_DEFAULT_DAYS``; no token outlives
    ``API_TOKEN_MAX_DAYS`` (issue 19 item 5: tokens expire by default)."""
    if by is not None and by.pk != user.pk and not (by.is_superuser or by.has_perm_code("accounts.manage")):
        raise Forbidden("permission_denied", "只能为自己签发令牌")
    if not user.is_active:
        raise DomainError("user_inactive", "该账号已停用，不能签发令牌")
    if days is not None and days <= 0:
        raise InvalidInput("invalid_days", "有效天数须为正整数", field="days")
    longest = settings.API_TOKEN_MAX_DAYS
    if days is not None and days > longest:
        raise InvalidInput("invalid_days", f"有效天数不能超过{longest}天", field="days")
    days = days or settings.API_TOKEN_DEFAULT_DAYS
    plain = ApiToken.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=(name or "").strip()[:64],
            prefix=plain[:10],
            token_hash=hash_token(plain),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        record(
            by,
            "accounts.token.create",
            token,
            area_code=user.area_id or "",
            changes={"user": user.username, "name": token.name, "prefix": token.prefix, "expires_at": token.expires_at},
        )
    return token, plain


def revoke_api_token(token: ApiToken, *, by: User | None) -> ApiToken:
    """吊销令牌: it stops working at once; the row stays for the record."""
    if by is not None and by.pk != token.user_id and not (by.is_superuser or by.has_perm_code("accounts.manage")):
        raise Forbidden("permission_denied", "只能吊销自己的令牌")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise DomainError("already_revoked", "该令牌已被吊销")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            by,
            "accounts.token.revoke",
            token,
            area_code=token.user.area_id or "",
            changes={"user": token.user.username, "prefix": token.prefix},
        )
    return token
