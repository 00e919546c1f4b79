"""Who is asking, the form round trip, and the year and area a funds page shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest
from django.utils import timezone

from jiuzhu.accounts.permissions import require
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError
from jiuzhu.registry.forms import apply_errors

from .. import forms, queries


def _viewer(request: HttpRequest, perm: str = "funds.view") -> Any:
    try:
        require(request.user, perm)
    except DomainError:
        raise Http404 from None
    return request.user


def _can_edit(user: Any) -> bool:
    return bool(user.is_superuser or user.has_perm_code("funds.edit"))


def _submit(request: HttpRequest, form: Any, fn: Callable[[dict[str, Any]], Any], ok: str) -> Any:
    """Run an action with a valid form's data, under the action's argument names
    (``forms.action_args``); its refusal goes onto the field it names."""
    if not form.is_valid():
        return None
    try:
        result = fn(forms.action_args(form.cleaned_data))
    except DomainError as exc:
        apply_errors(exc, form, field_map=forms.FIELD_MAP)
        return None
    messages.success(request, ok)
    return result


def _areas(user: Any) -> list[Area]:
    return list(Area.objects.visible_to(user).filter(level__in=("county", "town")).order_by("code"))


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else timezone.localdate().year


def _years() -> list[int]:
    this = timezone.localdate().year
    return list(range(this + 1, this - 6, -1))


def _root(request: HttpRequest, user: Any) -> Area | None:
    try:
        return queries.root_area(user, request.GET.get("area", ""))
    except DomainError:
        raise Http404 from None


def _filters(request: HttpRequest, user: Any) -> dict[str, Any]:
    return {"year": _year(request), "years": _years(), "areas": _areas(user), "root": _root(request, user)}
