"""What every payments page shares: the viewer check and running an action with its refusal
shown as a message."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest

from jiuzhu.accounts.permissions import require
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError
from jiuzhu.web.forms import run_action


def _viewer(request: HttpRequest) -> Any:
    try:
        require(request.user, "payments.view")
    except DomainError:
        raise Http404 from None
    return request.user


_do = run_action  # the pages' one way to run an action (web.forms)


def _areas(user: Any) -> list[Area]:
    qs = Area.objects.visible_to(user).filter(level__in=("county", "town"))
    return list(qs.order_by("code"))
