"""文书字号、出具单位和救济途径 become dated settings with a source (issue 16 item 1): each
county's ``ProcedureConfig`` row moves into confirmed ``ParameterChange`` rows, then the model
goes. A value equal to the shipped demo value (documents.yaml) is not copied: the file already
holds it with its source."""

import datetime as dt
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone

# The day the shipped document settings start (documents.yaml): a moved value starts the same
# day, so it replaces the shipped one for its county instead of hiding behind it.
SINCE = dt.date(2020, 1, 1)
SOURCE = "迁移自原办理流程配置"
TEXTS = {
    "notice_prefix": "documents.notice_prefix",
    "issuer_name": "documents.issuer_name",
    "remedy_review_body": "documents.remedy_review_body",
    "remedy_court": "documents.remedy_court",
}
PERIODS = {  # the law's periods (national); a county row differing from them is kept as its own
    "remedy_review_days": ("documents.remedy_review_days", 60),
    "remedy_litigation_months": ("documents.remedy_litigation_months", 6),
}
SHIPPED = {
    "370405": ("台民救", "台儿庄区民政局", "台儿庄区人民政府", "台儿庄区人民法院"),
    "370404": ("峄民救", "峄城区民政局", "峄城区人民政府", "峄城区人民法院"),
    "370481": ("滕民救", "滕州市民政局", "滕州市人民政府", "滕州市人民法院"),
    "370321": ("桓民救", "桓台县民政局", "桓台县人民政府", "桓台县人民法院"),
}


def _system_user(apps: StateApps) -> Any:
    """The actor of the move: the first superuser; without one, an inactive account 系统 that
    cannot log in (``ParameterChange`` names who entered and who confirmed each value)."""
    User = apps.get_model("accounts", "User")
    user = User.objects.filter(is_superuser=True).order_by("pk").first()
    if user is None:
        user, _ = User.objects.get_or_create(
            username="system",
            defaults={"password": make_password(None), "is_active": False, "full_name": "系统"},
        )
    return user


def move_to_settings(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    ProcedureConfig = apps.get_model("applications", "ProcedureConfig")
    ParameterChange = apps.get_model("programs", "ParameterChange")
    rows = list(ProcedureConfig.objects.order_by("county_code"))
    if not rows:
        return
    actor, now = None, timezone.now()
    for row in rows:
        shipped = dict(zip(TEXTS, SHIPPED.get(row.county_code, ("",) * 4), strict=True))
        values = {
            key: getattr(row, attr).strip()
            for attr, key in TEXTS.items()
            if getattr(row, attr).strip() and getattr(row, attr).strip() != shipped[attr]
        }
        values |= {key: getattr(row, attr) for attr, (key, law) in PERIODS.items() if getattr(row, attr) != law}
        for key, value in values.items():
            actor = actor or _system_user(apps)
            ParameterChange.objects.update_or_create(
                name=key,
                area_code=row.county_code,
                valid_from=SINCE,
                status="confirmed",
                defaults={
                    "area_full": row.county_code.ljust(12, "0"),
                    "value": value,
                    "reason": SOURCE,
                    "source": SOURCE,
                    "proposed_by": actor,
                    "decided_by": actor,
                    "decided_at": now,
                },
            )


def back_to_rows(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    ProcedureConfig = apps.get_model("applications", "ProcedureConfig")
    ParameterChange = apps.get_model("programs", "ParameterChange")
    counties = set(SHIPPED) | set(
        ParameterChange.objects.filter(name__startswith="documents.", status="confirmed").values_list(
            "area_code", flat=True
        )
    )
    for code in sorted(c for c in counties if len(c) == 6):
        values = dict(zip(TEXTS, SHIPPED.get(code, ("",) * 4), strict=True))
        for change in ParameterChange.objects.filter(
            area_code=code, name__startswith="documents.", status="confirmed"
        ).order_by("valid_from", "id"):
            attr = next(
                (a for a, k in (TEXTS | {a: k for a, (k, _) in PERIODS.items()}).items() if k == change.name), None
            )
            if attr is not None:
                values[attr] = change.value
        ProcedureConfig.objects.update_or_create(county_code=code, defaults=values)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0010_workflow_changes"),
        ("programs", "0004_county_program"),
        ("accounts", "0002_department_contact"),
    ]

    operations = [
        migrations.RunPython(move_to_settings, back_to_rows),
        migrations.DeleteModel(name="ProcedureConfig"),
    ]
