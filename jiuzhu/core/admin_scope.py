"""The Django admin within the administrator's jurisdiction (管辖范围, issue 16 item 6).

``ScopedAdmin`` shows a non-superuser only the rows whose area lies in their own area subtree,
offers only such rows in foreign-key choices, and refuses (a form error in Chinese) to save a
row outside it. A superuser sees and edits everything.

The area of a row is read through ``area_field``, a lookup path ending in an area code: a
12-digit 统计用区划代码 (``area__code``, ``code``, ``user__area__code``) or a 6-digit county code
(``county_code``). A code lies in the subtree of an area whose significant digits (its
``prefix``: 2/4/6/9/12 digits by level) it starts with, so one ``startswith`` filter serves
both: a county row is outside a town administrator's subtree, as it should be.

This module is in ``core`` (the lowest layer) so that every app's ``admin.py`` may use it; it
reads the user's area by duck typing (``user.area.prefix`` and ``.name``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

_M = TypeVar("_M", bound=models.Model)

# Related models whose rows carry an area, and the path to it: their foreign-key choices are
# limited to the administrator's subtree (keyed by ``app_label.model_name``).
AREA_OF_RELATED: dict[str, str] = {
    "areas.area": "code",
    "accounts.department": "area__code",
    "accounts.user": "area__code",
}


def admin_prefix(request: HttpRequest) -> str | None:
    """The significant digits of the administrator's area; ``None`` for a superuser (all);
    ``""`` never: a non-superuser without an area has no subtree (see ``scope_filter``)."""
    user: Any = request.user
    if user.is_superuser:
        return None
    area = getattr(user, "area", None)
    return str(area.prefix) if area is not None else "-"  # "-": no code starts with it


def area_name(request: HttpRequest) -> str:
    area = getattr(request.user, "area", None)
    return str(area.name) if area is not None else "无所属区划"


def scope_filter(queryset: QuerySet[Any], path: str, prefix: str | None) -> QuerySet[Any]:
    if prefix is None:
        return queryset
    return queryset.filter(**{f"{path}__startswith": prefix})


class ScopedAdmin(admin.ModelAdmin[_M]):
    """A ModelAdmin limited to the administrator's jurisdiction (see the module docstring)."""

    area_field: str = "area__code"
    area_label: str = "所属区划"  # the field named in the form error

    def get_queryset(self, request: HttpRequest) -> QuerySet[_M]:
        return scope_filter(super().get_queryset(request), self.area_field, admin_prefix(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        path = AREA_OF_RELATED.get(db_field.related_model._meta.label_lower)
        prefix = admin_prefix(request)
        if path is not None and prefix is not None:
            queryset = kwargs.get("queryset") or db_field.related_model._default_manager.all()
            kwargs["queryset"] = scope_filter(queryset, path, prefix)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def area_code_of(self, obj: Any, data: dict[str, Any]) -> str | None:
        """The area code of the row as the form would save it (``data`` first, then ``obj``)."""
        head, *rest = self.area_field.split("__")
        target = data[head] if head in data else getattr(obj, head, None)
        for part in rest:
            target = getattr(target, part, None) if target is not None else None
        return str(target) if target not in (None, "") else None

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form: Any = super().get_form(request, obj, change=change, **kwargs)
        scope = admin_prefix(request)
        if scope is None:
            return form
        prefix: str = scope
        model_admin, where = self, area_name(request)

        class ScopedForm(form):  # type: ignore[misc]
            def clean(self) -> dict[str, Any]:
                data: dict[str, Any] = super().clean() or {}
                field = model_admin.area_field.split("__")[0]
                if field in self.errors:
                    return data  # the choice itself was refused (not offered to this user)
                code = model_admin.area_code_of(self.instance, data)
                if code is None or not code.startswith(prefix):
                    shown = f"“{code}”" if code else "空"
                    message = f"{model_admin.area_label}为{shown}，不在您的管辖范围（{where}）内，不能保存"
                    if field in self.fields:
                        self.add_error(field, message)
                    else:
                        raise forms.ValidationError(message)
                return data

        ScopedForm.__name__ = form.__name__
        return ScopedForm


class NationalAdmin(admin.ModelAdmin[_M]):
    """A table shared by every county (the national 救助项目库): visible to administrators,
    changed only by a superuser; a county chooses from it on its own pages."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)
