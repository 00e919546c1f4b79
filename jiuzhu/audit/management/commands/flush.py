"""``flush`` that keeps working with the SQLite append-only triggers on the audit table.

Flushing wipes the whole database (tests, a fresh demo); on SQLite it deletes row by row,
which the audit triggers refuse, so they are dropped for the flush and recreated after.
On PostgreSQL flush truncates, which the row trigger does not see.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from jiuzhu.audit import triggers


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        with connection.cursor() as cursor:
            triggers.drop(cursor, "sqlite")
        try:
            super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                triggers.create(cursor, "sqlite")
