"""SQLite refuses UPDATE and DELETE of audit rows too (issue 19 item 6)."""

from django.db import migrations

from jiuzhu.audit import triggers


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            triggers.create(cursor, "sqlite")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            triggers.drop(cursor, "sqlite")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(create, drop)]
