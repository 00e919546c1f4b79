# A decided case pays from the facts its decision used. Until now the decision computed its
# amount from the declaration corrected by the 核对报告 and kept the bare declaration as the
# case's facts, so every roster recomputed a different amount where the report had corrected
# something. Approved cases not reviewed since (a review already stores the facts it used) get
# the corrected facts now, their declaration kept in ``declared_facts``, and a new version, so
# that the next roster rebuilds their basis.

from django.db import migrations, models


def facts_decided_on(apps, schema_editor):
    from jiuzhu.verification.verified import with_verified

    Application = apps.get_model("applications", "Application")
    Report = apps.get_model("verification", "Report")
    Review = apps.get_model("monitoring", "Review")
    reviewed = Review.objects.filter(status="decided").values("application_id")
    cases = Application.objects.filter(decision="approved", declared_facts__isnull=True).exclude(pk__in=reviewed)
    for app in cases.iterator(chunk_size=500):
        report = Report.objects.filter(application_id=app.pk).order_by("-id").only("content").first()
        verified = report.content.get("verified") if report is not None else None
        decided = with_verified(app.facts, verified)
        if decided != app.facts:
            Application.objects.filter(pk=app.pk).update(
                declared_facts=app.facts, facts=decided, version=models.F("version") + 1
            )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0015_deadline_paused"),
        ("verification", "0008_facts_by_county"),
        ("monitoring", "0011_after_load_failures"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="declared_facts",
            field=models.JSONField(blank=True, null=True, verbose_name="申报的家庭情况（核对更正前）"),
        ),
        migrations.RunPython(facts_decided_on, migrations.RunPython.noop),
    ]
