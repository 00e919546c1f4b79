"""On PostgreSQL the notice delivery log (SUP-16) refuses UPDATE and DELETE at the database level too."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_notice_delivery_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'portal_noticedelivery is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_notice_delivery_append_only
    BEFORE UPDATE OR DELETE ON portal_noticedelivery
    FOR EACH ROW EXECUTE FUNCTION portal_notice_delivery_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS portal_notice_delivery_append_only ON portal_noticedelivery;
DROP FUNCTION IF EXISTS portal_notice_delivery_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_applicant_site")]
    operations = [migrations.RunPython(create, drop)]
