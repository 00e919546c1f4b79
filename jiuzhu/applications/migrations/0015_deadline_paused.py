# 退回补正 stops the clock: a returned case's steps timed in days are paused, left out of the
# overdue board and its counts (the open-work indexes leave them out too), and moved by the
# days they waited when the case is resubmitted. Steps of cases already returned are paused.

from django.db import migrations, models


def pause_returned(apps, schema_editor):
    CaseDeadline = apps.get_model("applications", "CaseDeadline")
    CaseDeadline.objects.filter(met_on__isnull=True, due_at__isnull=True, application__state="returned").update(
        paused=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0014_deadline_clerk"),
    ]

    operations = [
        migrations.AddField(
            model_name="casedeadline",
            name="paused",
            field=models.BooleanField(default=False, verbose_name="补正暂停计时"),
        ),
        migrations.RunPython(pause_returned, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="casedeadline", name="deadline_open_idx"),
        migrations.RemoveIndex(model_name="casedeadline", name="deadline_open_due_idx"),
        migrations.AddIndex(
            model_name="casedeadline",
            index=models.Index(
                condition=models.Q(("met_on__isnull", True), ("paused", False)),
                fields=["area_code", "due_on", "due_at", "clerk"],
                name="deadline_open_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="casedeadline",
            index=models.Index(
                condition=models.Q(("met_on__isnull", True), ("paused", False)),
                fields=["due_on", "id"],
                name="deadline_open_due_idx",
            ),
        ),
    ]
