"""PostgreSQL: department facts partitioned by county, then by slot (issue 20 item 2).

The facts table becomes LIST(``county_code``); each county's partition is LIST(``slot``) as the
whole table was (a data type's partition with its BRIN on the batch, or a large batch's own
table). One county's re-verification, one-click verification and discovery name the county and
read only its partitions, whatever other counties hold. Existing facts are copied into the new
partitions (a batch's own table becomes its county's sub-partition for the same slot); the
person index and the append-only trigger are the parent's, as before. SQLite: nothing changes.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NEW_PARENT = """
CREATE TABLE verification_fact_by_county (
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
) PARTITION BY LIST (county_code);
"""


def by_county(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    codes = dict(apps.get_model("verification", "Source").objects.values_list("id", "code"))
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT DISTINCT county_code, slot FROM verification_fact ORDER BY 1, 2")
        parts = cur.fetchall()
    run(NEW_PARENT)
    renames = []  # built under new names, renamed once the old table and its partitions are gone
    for county in sorted({c for c, _ in parts}):
        if not (len(county) == 6 and county.isdigit()):
            raise ValueError(f"verification_fact holds a county code that is not 6 digits: {county!r}")
        run(
            f'CREATE TABLE "new_fact_c{county}" PARTITION OF verification_fact_by_county '
            f"FOR VALUES IN ('{county}') PARTITION BY LIST (slot)"
        )
        renames.append((f"new_fact_c{county}", f"verification_fact_c{county}"))
    for county, slot in parts:
        if slot >= 0:
            code = "".join(c if c.isalnum() else "_" for c in str(codes.get(slot, "")).lower())[:28]
            name = f"c{county}_s{slot}_{code}"
        else:
            name = f"c{county}_b{-slot}"
        run(f'CREATE TABLE "new_fact_{name}" PARTITION OF "new_fact_c{county}" FOR VALUES IN ({int(slot)})')
        if slot >= 0:
            run(f'CREATE INDEX "new_fact_{name[:47]}_batch" ON "new_fact_{name}" USING brin (batch_id)')
        renames.append((f"new_fact_{name}", f"verification_fact_{name}"))
    columns = (
        "slot, source_id, batch_id, county_code, person, row_number, period_start, period_end, amount_fen, "
        "active, text_number"
    )
    run(f"INSERT INTO verification_fact_by_county ({columns}) SELECT {columns} FROM verification_fact")
    run("DROP TABLE verification_fact CASCADE")
    run("ALTER TABLE verification_fact_by_county RENAME TO verification_fact")
    for old, new in renames:
        run(f'ALTER TABLE "{old}" RENAME TO "{new}"')
    run("CREATE INDEX fact_person_idx ON verification_fact (person)")
    run(
        "CREATE TRIGGER verification_fact_append_only BEFORE UPDATE OR DELETE ON verification_fact "
        "FOR EACH ROW EXECUTE FUNCTION verification_fact_append_only()"
    )
    run("ANALYZE verification_fact")


class Migration(migrations.Migration):
    dependencies = [("verification", "0007_peer_sm2_public_key")]

    operations = [migrations.RunPython(by_county, migrations.RunPython.noop, elidable=False)]
