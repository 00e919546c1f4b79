"""救助对象单位 on the register, and each existing household grant counted once (issue 14 item 6)."""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# Household programs of the catalog when this migration was written (catalog.yaml ``unit``).
HOUSEHOLD_PROGRAMS = [
    "dibao_urban",
    "dibao_rural",
    "dibao_edge",
    "rigid_expense",
    "special_hardship_family",
    "housing_public_rental",
    "housing_rural_renovation",
    "zero_employment_family",
    "heating_assistance",
    "heroic_deed_assistance",
    "return_poverty_monitoring",
    "temporary_emergency",
    "temporary_expense",
    "disaster_emergency_relief",
    "disaster_transition_relief",
    "disaster_hardship_relief",
    "accident_family_relief",
    "charity_poverty_fund",
    "pairing_care",
    "temporary",
]


def count_household_grants_once(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """A household grant copied onto every member keeps its amount on one row: the applicant's
    for our own approvals, else the first row; the other members' rows carry 0."""
    Record = apps.get_model("referrals", "AssistanceRecord")
    Application = apps.get_model("applications", "Application")
    household = Record.objects.filter(program_code__in=HOUSEHOLD_PROGRAMS)
    household.update(unit="household")
    groups = household.values_list("source", "source_ref", "program_code").distinct()
    for source, ref, code in groups.iterator():
        rows = list(
            Record.objects.filter(source=source, source_ref=ref, program_code=code).order_by("id").values_list(
                "id", "person_id"
            )
        )
        if len(rows) < 2:
            continue
        holder = rows[0][0]
        if source == "application":
            applicant = Application.objects.filter(number=ref).values_list("applicant_id", flat=True).first()
            holder = next((pk for pk, person in rows if person == applicant), holder)
        Record.objects.filter(id__in=[pk for pk, _ in rows if pk != holder]).update(amount_fen=0)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0002_visits"),
        ("applications", "0003_open_deadline_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="assistancerecord",
            name="unit",
            field=models.CharField(
                choices=[("person", "个人"), ("household", "家庭")],
                default="person",
                max_length=10,
                verbose_name="救助对象单位",
            ),
        ),
        migrations.RunPython(count_household_grants_once, migrations.RunPython.noop),
    ]
