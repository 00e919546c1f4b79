"""管辖范围: the one jurisdiction rule (issue 15 item 3).

Reading: ``registry_scope(user)`` and ``AreaScopedQuerySet.visible_to(user)`` give the rows of
the user's subtree of 12-digit area codes. Writing: ``require_in_scope(by=…, area_code=…)``
before touching an object or an area. One answer everywhere: an object outside the user's
jurisdiction does not exist for that user (404 ``not_found``); a missing permission is 403.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from jiuzhu.areas.models import code_range
from jiuzhu.core.errors import NotFound

ALL = "all"


def registry_scope(user: Any) -> tuple[str, str] | str | None:
    """The registry rows a user may see: ``ALL``, ``None`` (nothing) or the (low, high)
    range of 12-digit area codes of the user's subtree; ``visible_to`` and the raw-SQL
    lookups both use it.

    Department users see no registry rows here: what referrals and data exchange expose
    to them is granted by those apps."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ALL
    if not user.has_perm_code("registry.view") or user.area is None:
        return None
    return code_range(user.area.prefix)


class AreaScopedQuerySet(models.QuerySet[Any]):
    """``visible_to(user)``: rows whose 12-digit ``area_id``/``area_code`` lies in the
    user's jurisdiction (see ``registry_scope``)."""

    area_field = "area_code"

    def visible_to(self, user: Any) -> Any:
        scope = registry_scope(user)
        if scope is None:
            return self.none()
        if isinstance(scope, str):  # ALL
            return self.all()
        low, high = scope
        return self.filter(**{f"{self.area_field}__gte": low, f"{self.area_field}__lte": high})


def in_scope(user: Any, area_code: str) -> bool:
    """True if the 12-digit (or shorter prefix) ``area_code`` lies in the user's area."""
    if getattr(user, "is_superuser", False):
        return True
    area = getattr(user, "area", None)
    return area is not None and bool(area_code) and area.contains(area_code)


def require_in_scope(*, by: Any, area_code: str, what: str = "对象", field: str | None = None) -> None:
    """Refuse (404) an object or area outside the acting user's jurisdiction."""
    if not in_scope(by, area_code):
        raise NotFound("not_found", f"{what}不存在或不在您的管辖范围内", field=field)
