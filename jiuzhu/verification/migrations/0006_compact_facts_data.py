"""Compact fact storage: each fact row keeps only numbers (subject, texts by id), so a
department file loads at close to the speed of a raw COPY. The blind index and masked ID
live once per person in ``verification_subject``; categories, record keys and display texts
once each in ``verification_text``. ``verification_fact`` becomes a read-only view with the
old columns, so every reader stays as it was. PostgreSQL: the rows are partitioned by
source as before (0003), append-only, with a B-tree on the subject and a BRIN on the batch.
"""

from django.db import migrations


VIEW = """
CREATE VIEW verification_fact AS
SELECT f.id, f.source_id, f.batch_id, f.county_code, s.id_index, s.id_masked, f.row_number,
       f.period_start, f.period_end, f.amount_fen, c.value AS category, k.value AS record_key,
       f.active, d.value AS detail
FROM verification_fact_row f
JOIN verification_subject s ON s.id = f.subject_id
LEFT JOIN verification_text c ON c.id = f.category_id
LEFT JOIN verification_text k ON k.id = f.record_key_id
LEFT JOIN verification_text d ON d.id = f.detail_id
"""

COPY_OLD = """
INSERT INTO verification_subject (id_index, id_masked)
    SELECT id_index, MIN(id_masked) FROM {old} GROUP BY id_index;
INSERT INTO verification_text (value)
    SELECT category FROM {old} UNION SELECT record_key FROM {old} UNION SELECT detail FROM {old};
INSERT INTO verification_fact_row (id, source_id, batch_id, county_code, subject_id, row_number, period_start,
        period_end, amount_fen, category_id, record_key_id, active, detail_id)
    SELECT o.id, o.source_id, o.batch_id, o.county_code, s.id, o.row_number, o.period_start, o.period_end,
           o.amount_fen, c.id, k.id, o.active, d.id
    FROM {old} o JOIN verification_subject s ON s.id_index = o.id_index
    JOIN verification_text c ON c.value = o.category JOIN verification_text k ON k.value = o.record_key
    JOIN verification_text d ON d.value = o.detail;
"""

PG_TABLE = """
DROP TABLE verification_fact_row;
CREATE SEQUENCE verification_fact_row_id_seq;
CREATE TABLE verification_fact_row (
    id bigint NOT NULL DEFAULT nextval('verification_fact_row_id_seq'),
    source_id bigint NOT NULL,
    batch_id bigint NOT NULL,
    county_code varchar(6) NOT NULL,
    subject_id bigint NOT NULL,
    row_number integer NOT NULL,
    period_start date NULL,
    period_end date NULL,
    amount_fen bigint NULL,
    category_id bigint NOT NULL,
    record_key_id bigint NOT NULL,
    active boolean NOT NULL,
    detail_id bigint NOT NULL
) PARTITION BY LIST (source_id);
ALTER SEQUENCE verification_fact_row_id_seq OWNED BY verification_fact_row.id;
CREATE TABLE verification_fact_row_default PARTITION OF verification_fact_row DEFAULT;
CREATE INDEX fact_row_subject_idx ON verification_fact_row (subject_id);
CREATE INDEX fact_row_batch_idx ON verification_fact_row USING brin (batch_id);
CREATE TRIGGER verification_fact_append_only
    BEFORE UPDATE OR DELETE ON verification_fact_row
    FOR EACH ROW EXECUTE FUNCTION verification_fact_append_only();
ALTER TABLE verification_subject ALTER COLUMN id_index TYPE varchar(64) COLLATE "C";
ALTER TABLE verification_text ALTER COLUMN value TYPE varchar(300) COLLATE "C";
"""


def compact(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        if schema_editor.connection.vendor != "postgresql":
            cur.execute("ALTER TABLE verification_fact RENAME TO verification_fact_old")
            for statement in COPY_OLD.format(old="verification_fact_old").split(";"):
                if statement.strip():
                    cur.execute(statement)
            cur.execute("DROP TABLE verification_fact_old")
            cur.execute(VIEW)
            return
        cur.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c "
            "ON c.oid = i.inhrelid WHERE i.inhparent = 'verification_fact'::regclass"
        )
        partitions = [(name, bound) for name, bound in cur.fetchall() if bound != "DEFAULT"]
        cur.execute("ALTER TABLE verification_fact RENAME TO verification_fact_old")
        for i, (name, _) in enumerate(partitions):
            cur.execute(f'ALTER TABLE "{name}" RENAME TO verification_fact_old_{i}')
        cur.execute(PG_TABLE)
        for name, bound in partitions:
            cur.execute(f'CREATE TABLE "{name}" PARTITION OF verification_fact_row {bound}')
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('verification_subject', 'verification_text') "
            "AND indexname LIKE '%%_like'"
        )
        for (index,) in cur.fetchall():  # the unique key is compared byte-wise (COLLATE "C")
            cur.execute(f'DROP INDEX "{index}"')
        cur.execute(COPY_OLD.format(old="verification_fact_old"))
        cur.execute(
            "SELECT setval('verification_fact_row_id_seq', GREATEST(1, (SELECT COALESCE(MAX(id), 0) "
            "FROM verification_fact_row)))"
        )
        cur.execute("DROP TABLE verification_fact_old")
        cur.execute(VIEW)



SQLITE_OLD_TABLE = """
CREATE TABLE verification_fact (
    id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    county_code varchar(6) NOT NULL,
    id_index varchar(64) NOT NULL,
    id_masked varchar(18) NOT NULL,
    row_number integer unsigned NOT NULL CHECK (row_number >= 0),
    period_start date NULL,
    period_end date NULL,
    amount_fen bigint NULL,
    category varchar(40) NOT NULL,
    record_key varchar(100) NOT NULL,
    active bool NOT NULL,
    detail varchar(300) NOT NULL,
    batch_id bigint NOT NULL,
    source_id bigint NOT NULL
)
"""
OLD_COLUMNS = (
    "id, source_id, batch_id, county_code, id_index, id_masked, row_number, period_start, period_end, amount_fen, "
    "category, record_key, active, detail"
)


def expand(apps, schema_editor):
    """Back to one wide table (0003 on PostgreSQL); 0005's reverse then drops the new tables."""
    from importlib import import_module

    with schema_editor.connection.cursor() as cur:
        if schema_editor.connection.vendor != "postgresql":  # SQLite cannot rename a view
            cur.execute(SQLITE_OLD_TABLE.replace("verification_fact (", "verification_fact_wide ("))
            cur.execute(
                f"INSERT INTO verification_fact_wide ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM verification_fact"
            )
            cur.execute("DROP VIEW verification_fact")
            cur.execute("ALTER TABLE verification_fact_wide RENAME TO verification_fact")
            cur.execute("CREATE INDEX fact_id_index_idx ON verification_fact (id_index)")
            cur.execute("CREATE INDEX fact_batch_idx ON verification_fact (batch_id)")
            return
        cur.execute("ALTER VIEW verification_fact RENAME TO verification_fact_view")
        cur.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c "
            "ON c.oid = i.inhrelid WHERE i.inhparent = 'verification_fact_row'::regclass"
        )
        partitions = [(name, bound) for name, bound in cur.fetchall() if bound != "DEFAULT"]
        for i, (name, _) in enumerate(partitions):
            cur.execute(f'ALTER TABLE "{name}" RENAME TO verification_fact_row_old_{i}')
        create = import_module("jiuzhu.verification.migrations.0003_fact_partitions").CREATE
        cur.execute(create.replace("DROP TABLE verification_fact;", ""))
        for name, bound in partitions:
            cur.execute(f'CREATE TABLE "{name}" PARTITION OF verification_fact {bound}')
        cur.execute(f"INSERT INTO verification_fact ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM verification_fact_view")
        cur.execute("DROP VIEW verification_fact_view")
        cur.execute(
            "SELECT setval('verification_fact_id_seq', GREATEST(1, (SELECT COALESCE(MAX(id), 0) FROM verification_fact)))"
        )


class Migration(migrations.Migration):
    dependencies = [("verification", "0005_compact_facts")]
    operations = [migrations.RunPython(compact, expand)]
