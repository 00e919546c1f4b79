"""Set-based writes for large imports: ids allocated up front, rows streamed with COPY on
PostgreSQL and ``executemany`` on SQLite. Used only inside ``transaction.atomic()``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def column_types(model: type[models.Model], columns: Sequence[str]) -> list[str]:
    """The PostgreSQL type names of ``model``'s columns, as a binary COPY needs them."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    return [str(fields[c].db_type(connection)).split("(")[0] for c in columns]


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` primary keys for ``model`` in the current transaction."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
            return [row[0] for row in cur.fetchall()]
        # SQLite: the IMMEDIATE transaction holds the write lock, so nobody else inserts meanwhile.
        cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        top = cur.fetchone()[0]
        cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cur.fetchone()
        start = max(top, (row[0] or 0) if row else 0) + 1  # seq is NULL after an empty insert of old
        return list(range(start, start + count))


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]], *, binary: bool = False
) -> None:
    """Insert plain tuples (values already in database form) into ``model``'s table.
    ``binary``: COPY in PostgreSQL's binary format, for rows of numbers and bytes (a bytea value
    in the text format travels as hex, twice its size, and is decoded again by the server)."""
    table = model._meta.db_table
    column_sql = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            form = " (FORMAT BINARY)" if binary else ""
            with cur.cursor.copy(f'COPY "{table}" ({column_sql}) FROM STDIN{form}') as copy:
                if binary:
                    copy.set_types(column_types(model, columns))
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cur.executemany(f'INSERT INTO "{table}" ({column_sql}) VALUES ({placeholders})', list(rows))
    if connection.vendor == "sqlite" and columns[0] == "id":
        # Keep AUTOINCREMENT's counter ahead of the ids we chose (never NULL: no rows may have
        # been inserted, e.g. locking a roster with nothing to pay).
        with connection.cursor() as cur:
            cur.execute(
                f'UPDATE sqlite_sequence SET seq = MAX(COALESCE(seq, 0), COALESCE((SELECT MAX(id) FROM "{table}"), 0)) '
                "WHERE name = %s",
                [table],
            )
