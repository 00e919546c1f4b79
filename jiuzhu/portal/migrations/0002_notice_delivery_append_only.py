"""On PostgreSQL the notice delivery log (SUP-16) refuses UPDATE and DELETE at the database level too."""

from django.db import migrations

from jiuzhu.core.appendonly import pg_append_only


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_applicant_site")]
    operations = [
        pg_append_only(
            "portal_notice_delivery_append_only",
            portal_notice_delivery_append_only="portal_noticedelivery",
        )
    ]
