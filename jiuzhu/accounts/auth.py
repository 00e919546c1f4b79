"""API authentication: ``Authorization: Bearer <token>`` for systems, the session for the UI."""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler  # type: ignore[import-untyped]
from django.http import HttpRequest
from django.utils import timezone
from django_htmx.middleware import HtmxDetails
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from jiuzhu.core.errors import Forbidden

from .models import ApiToken, User, hash_token
from .permissions import READ_ONLY_MESSAGE, posts_to_read

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenRejected(AuthenticationError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(401, message)
        self.code = code


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user", "user__area", "user__department")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if row is None:
            raise TokenRejected("invalid_token", "访问令牌无效")
        if row.revoked_at is not None:
            raise TokenRejected("token_revoked", "访问令牌已被吊销")
        now = timezone.now()
        if row.expires_at is not None and row.expires_at <= now:
            raise TokenRejected("token_expired", "访问令牌已过期，请重新申请")
        if not row.user.is_active:
            raise TokenRejected("user_inactive", "令牌所属账号已停用")
        if row.user.is_read_only and request.method not in SAFE_METHODS and not posts_to_read(request.path):
            raise Forbidden("read_only", READ_ONLY_MESSAGE)
        if AxesProxyHandler.is_locked(request, credentials={"username": row.user.username}):
            # A lockout after repeated failed logins stops the account's tokens too.
            raise TokenRejected("user_locked", "令牌所属账号因多次登录失败已被临时锁定，请稍后再试或联系管理员解锁")
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


class StaffSessionAuth(SessionAuth):
    """The logged-in browser session (CSRF-checked for unsafe methods).

    Without a signed-in user there is no session to protect: the request is simply not
    authenticated and gets 401 in the error format — not ninja's 403 "CSRF check Failed"
    (issue 14 item 15)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


API_AUTH = [BearerTokenAuth(), StaffSessionAuth()]


class AuthedRequest(HttpRequest):
    """A page request behind ``login_required``: its user is a staff ``User``."""

    user: User
    htmx: HtmxDetails


def actor(request: HttpRequest) -> Any:
    """The authenticated user of an API request (token or session)."""
    return request.auth  # type: ignore[attr-defined]
