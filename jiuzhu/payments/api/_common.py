"""The payments router and who is asking."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from jiuzhu.accounts.permissions import require

router = Router(tags=["资金发放与动态管理"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _view(request: HttpRequest) -> Any:
    user = _actor(request)
    require(user, "payments.view")
    return user
