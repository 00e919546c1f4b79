# The amount of the approval itself, beside ``amount_fen`` (what is paid now, which a review may
# change). The case page read it back from the 审批 audit entry; existing approved cases take it
# from there once (the first ``applications.approve`` entry), else from ``amount_fen`` (a case
# approved by 补办登记 after 先行救助 is never reviewed).

from django.db import migrations, models


def fill_approved_amount(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    Application.objects.filter(decision="approved").update(approved_amount_fen=models.F("amount_fen"))
    approvals = (
        AuditEntry.objects.filter(object_type="applications.application", action="applications.approve")
        .order_by("seq")
        .values_list("object_id", "changes")
    )
    first: dict[int, int] = {}
    for object_id, changes in approvals.iterator(chunk_size=2000):
        amount = (changes or {}).get("amount_fen")
        if amount is not None:
            first.setdefault(int(object_id), int(amount))
    current = Application.objects.filter(decision="approved").values_list("pk", "amount_fen")
    for pk, amount_fen in current.iterator(chunk_size=2000):
        if pk in first and amount_fen != first[pk]:
            Application.objects.filter(pk=pk).update(approved_amount_fen=first[pk])


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0017_paused_working_days"),
        ("audit", "0005_signed_document_sm2"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="approved_amount_fen",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="批准救助金额（分）"),
        ),
        migrations.RunPython(fill_approved_amount, migrations.RunPython.noop),
    ]
