"""What the referrals app tells the lower apps (called from ``ReferralsConfig.ready``): its open
referral deadlines (holidays), the names of its codes (audit) and the blind indexes of its
imported records (registry's re-encryption)."""

from __future__ import annotations

from typing import Any

from django.db import models

from jiuzhu.audit.changes import LoadedLabels, register_value_labels
from jiuzhu.holidays import deadlines
from jiuzhu.registry.models import Person
from jiuzhu.registry.rekey import register_sealed_table

from .models import STATUS_CHOICES, AssistanceRecord, Referral


def open_deadlines() -> list[tuple[models.QuerySet[Any], str]]:
    return [(Referral.objects.open(), "due_on")]


def _rekey_record(r: Any) -> list[str]:
    if r.person_id is None:
        return []  # an imported record of someone not in the registry: re-imported later
    index = Person.objects.filter(pk=r.person_id).values_list("id_number_index", flat=True).first()
    if index and index != r.id_number_index:
        r.id_number_index = index
        return ["id_number_index"]
    return []


def _catalog_names() -> list[tuple[str, str]]:
    """The 救助项目库's programs by name (medical_major_illness → 重特大疾病医疗救助), for a 派单's trail."""
    from jiuzhu.programs.catalog import load_entries

    return [(e["code"], e["name"]) for e in load_entries()]


def connect() -> None:
    deadlines.register(open_deadlines)
    register_value_labels(20, STATUS_CHOICES)
    register_value_labels(2, LoadedLabels(_catalog_names))  # low rank: 最低生活保障 names "dibao", not a catalog row
    register_sealed_table(50, AssistanceRecord, _rekey_record)
