"""Append-only at the database level: triggers that refuse UPDATE and DELETE of audit rows.

PostgreSQL: a row trigger (``flush`` uses TRUNCATE, which it does not fire on). SQLite: two
triggers that the ``flush`` command of this app drops and recreates around its DELETEs.
"""

from __future__ import annotations

from typing import Any

PG_CREATE = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit_auditentry is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""
SQLITE_CREATE = [
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit_auditentry is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit_auditentry is append-only: DELETE refused'); END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"]


def create(cursor: Any, vendor: str) -> None:
    if vendor == "postgresql":
        cursor.execute(PG_CREATE)
    elif vendor == "sqlite":
        for sql in SQLITE_CREATE:
            cursor.execute(sql)


def drop(cursor: Any, vendor: str) -> None:
    if vendor == "postgresql":
        cursor.execute(PG_DROP)
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            cursor.execute(sql)
