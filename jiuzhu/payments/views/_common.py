"""What every payments page shares: the viewer check and running an action with its refusal
shown as a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest

from jiuzhu.accounts.permissions import require
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError


def _viewer(request: HttpRequest) -> Any:
    try:
        require(request.user, "payments.view")
    except DomainError:
        raise Http404 from None
    return request.user


def _do(request: HttpRequest, fn: Callable[[], Any], ok: str) -> Any:
    """Run an action; its refusal is shown as a message, never a 500."""
    try:
        result = fn()
    except DomainError as exc:
        text = exc.message
        rows = getattr(exc, "rows", None)
        if rows:
            text += "：" + "；".join(f"第{e.row}行 {e.message}" for e in rows[:20])
            if len(rows) > 20:
                text += f"……共{len(rows)}处"
        messages.error(request, text)
        return None
    if ok:
        messages.success(request, ok)
    return result


def _areas(user: Any) -> list[Area]:
    qs = Area.objects.visible_to(user).filter(level__in=("county", "town"))
    return list(qs.order_by("code"))
