"""Append-only rows: the model and queryset guards of ledgers and passbooks. A row is written
once; saving it again, ``update()`` and ``delete()`` raise ``AppendOnlyError``. On PostgreSQL
a trigger refuses the same (the migrations of the apps that use these).

``AppendOnlyQuerySet`` is a plain queryset; an app whose rows also need jurisdiction puts the
guard in front of its scoped queryset (``class EntryQuerySet(AppendOnly, AreaScopedQuerySet)``)."""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a ledger or passbook row."""


class AppendOnly:
    """The queryset guard: put it before the queryset class it guards."""

    model: Any  # the queryset's

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: update refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: delete refused")

    def _raw_delete(self, using: Any) -> int:
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: delete refused")


class AppendOnlyQuerySet(AppendOnly, models.QuerySet[Any]):
    """An append-only queryset without jurisdiction."""


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} is append-only: update refused")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{self._meta.label} is append-only: delete refused")
