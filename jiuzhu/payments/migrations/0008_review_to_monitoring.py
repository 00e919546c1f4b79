# The review (复核) model moves to the monitoring app (issue 15 item 1). Its table stays
# ``payments_review``: this migration drops the model from payments' state only, and
# monitoring 0001 adds it to monitoring's state only; the database is not touched.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0007_reserve_to_funds'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Review')],
            database_operations=[],
        ),
    ]
