"""Append-only rows: the model and queryset guards of ledgers and passbooks. A row is written
once; saving it again, ``update()`` and ``delete()`` raise ``AppendOnlyError``. On PostgreSQL
a trigger refuses the same (the migrations of the apps that use these).

``AppendOnlyQuerySet`` is a plain queryset; an app whose rows also need jurisdiction puts the
guard in front of its scoped queryset (``class EntryQuerySet(AppendOnly, AreaScopedQuerySet)``)."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


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


def pg_append_only(function: str, **triggers: str) -> migrations.RunPython:
    """A migration step: on PostgreSQL, ``function`` refuses UPDATE and DELETE and a row trigger
    per table calls it (``trigger_name=table``). Other engines rely on the model guards above."""
    create_function = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
"""

    def create(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(create_function)
        for trigger, table in triggers.items():
            schema_editor.execute(
                f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}();"
            )

    def drop(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for trigger, table in triggers.items():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table};")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}();")

    return migrations.RunPython(create, drop)
