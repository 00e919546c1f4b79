"""On PostgreSQL the charity passbook refuses UPDATE and DELETE in the database too."""

from django.db import migrations

from jiuzhu.core.appendonly import pg_append_only


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]
    operations = [pg_append_only("funds_append_only", funds_charityentry_append_only="funds_charityentry")]
