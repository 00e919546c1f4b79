"""On PostgreSQL the ledger and the reserve passbook refuse UPDATE and DELETE in the database too."""

from django.db import migrations

from jiuzhu.core.appendonly import pg_append_only


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [
        pg_append_only(
            "payments_append_only",
            payments_ledgerentry_append_only="payments_ledgerentry",
            payments_reserveentry_append_only="payments_reserveentry",
        )
    ]
