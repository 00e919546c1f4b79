"""Narrow fact rows: the person as 128 bits of the blind index (uuid), texts once per batch
in ``verification_fact_text``, no row id (a fact is batch + row number), no masked ID.

PostgreSQL: the facts table is partitioned by ``slot`` — the source's id for ordinary
batches, minus the batch id for a large batch that the loader writes into a table of its
own, indexes after the load and attaches (see ``ingest``). The person index is the
parent's; a source's partition also has a BRIN index on the batch (its batches are
appended one after the other), a batch's own partition needs none. Existing facts are
copied.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

PG_TABLE = """
DROP TABLE verification_fact;
CREATE TABLE verification_fact (
    slot bigint NOT NULL,
    source_id bigint NOT NULL,
    batch_id bigint NOT NULL,
    county_code varchar(6) NOT NULL,
    person uuid NOT NULL,
    row_number integer NOT NULL,
    period_start date NULL,
    period_end date NULL,
    amount_fen bigint NULL,
    active boolean NOT NULL,
    text_number integer NOT NULL
) PARTITION BY LIST (slot);
CREATE INDEX fact_person_idx ON verification_fact (person);
CREATE TRIGGER verification_fact_append_only
    BEFORE UPDATE OR DELETE ON verification_fact
    FOR EACH ROW EXECUTE FUNCTION verification_fact_append_only();
CREATE TRIGGER verification_fact_text_append_only
    BEFORE UPDATE OR DELETE ON verification_fact_text
    FOR EACH ROW EXECUTE FUNCTION verification_fact_append_only();
"""

COPY_TEXTS = """
INSERT INTO verification_fact_text (batch_id, number, category, record_key, detail)
SELECT batch_id, ROW_NUMBER() OVER (PARTITION BY batch_id ORDER BY category, record_key, detail),
       category, record_key, detail
FROM (SELECT DISTINCT batch_id, category, record_key, detail FROM verification_fact_old) t
"""

COPY_FACTS = """
INSERT INTO verification_fact (slot, source_id, batch_id, county_code, person, row_number, period_start, period_end,
                               amount_fen, active, text_number)
SELECT o.source_id, o.source_id, o.batch_id, o.county_code, {person}, o.row_number, o.period_start, o.period_end,
       o.amount_fen, o.active, t.number
FROM verification_fact_old o
JOIN verification_fact_text t ON t.batch_id = o.batch_id AND t.category = o.category
     AND t.record_key = o.record_key AND t.detail = o.detail
"""


def set_old_aside(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute("ALTER TABLE verification_fact RENAME TO verification_fact_old")
    if schema_editor.connection.vendor == "sqlite":  # index names are global in SQLite
        schema_editor.execute("DROP INDEX IF EXISTS fact_id_index_idx")
        schema_editor.execute("DROP INDEX IF EXISTS fact_batch_idx")


def build(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # the plain table's indexes, still deferred, would clash with the partitioned table's
        schema_editor.deferred_sql = [
            sql
            for sql in schema_editor.deferred_sql
            if not (hasattr(sql, "references_table") and sql.references_table("verification_fact"))
        ]
        schema_editor.execute(PG_TABLE)
        for source_id, code in apps.get_model("verification", "Source").objects.values_list("id", "code"):
            name = f"verification_fact_s{source_id}_" + "".join(c if c.isalnum() else "_" for c in code.lower())[:36]
            schema_editor.execute(f'CREATE TABLE "{name}" PARTITION OF verification_fact FOR VALUES IN ({source_id})')
            schema_editor.execute(f'CREATE INDEX "{name[:56]}_batch" ON "{name}" USING brin (batch_id)')
    schema_editor.execute(COPY_TEXTS)
    person = "CAST(LEFT(o.id_index, 32) AS uuid)" if postgres else "substr(o.id_index, 1, 32)"
    schema_editor.execute(COPY_FACTS.format(person=person))
    schema_editor.execute("DROP TABLE verification_fact_old" + (" CASCADE" if postgres else ""))


class Migration(migrations.Migration):
    dependencies = [("verification", "0004_peer_our_code")]

    operations = [
        migrations.RunPython(set_old_aside, elidable=False),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Fact")]),
        migrations.CreateModel(
            name="Fact",
            fields=[
                ("pk", models.CompositePrimaryKey("batch_id", "row_number", blank=True, editable=False, primary_key=True, serialize=False)),
                ("slot", models.BigIntegerField()),
                ("county_code", models.CharField(max_length=6)),
                ("person", models.UUIDField()),
                ("row_number", models.PositiveIntegerField()),
                ("period_start", models.DateField(null=True)),
                ("period_end", models.DateField(null=True)),
                ("amount_fen", models.BigIntegerField(null=True)),
                ("active", models.BooleanField(default=True)),
                ("text_number", models.PositiveIntegerField()),
                (
                    "batch",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="verification.batch",
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="verification.source",
                    ),
                ),
            ],
            options={
                "verbose_name": "部门数据",
                "verbose_name_plural": "部门数据",
                "indexes": [
                    models.Index(fields=["person"], name="fact_person_idx"),
                    models.Index(fields=["batch"], name="fact_batch_block_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="FactText",
            fields=[
                ("pk", models.CompositePrimaryKey("batch_id", "number", blank=True, editable=False, primary_key=True, serialize=False)),
                ("number", models.PositiveIntegerField()),
                ("category", models.CharField(blank=True, max_length=40)),
                ("record_key", models.CharField(blank=True, max_length=100)),
                ("detail", models.CharField(blank=True, max_length=300)),
                (
                    "batch",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="verification.batch",
                    ),
                ),
            ],
            options={
                "verbose_name": "部门数据文本",
                "verbose_name_plural": "部门数据文本",
                "db_table": "verification_fact_text",
            },
        ),
        migrations.RunPython(build, elidable=False),
    ]
