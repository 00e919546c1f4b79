from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0006_program_names_from_rules"),
    ]

    # The town reserve (ReserveFund, ReserveEntry) moved to the funds app (issue 15 item 1). Its
    # tables keep their names and rows (funds 0004 takes them over): state only, no SQL.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ReserveEntry"),
                migrations.DeleteModel(name="ReserveFund"),
            ],
            database_operations=[],
        ),
    ]
