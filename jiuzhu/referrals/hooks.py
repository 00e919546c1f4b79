"""What the referrals app tells the lower apps (called from ``ReferralsConfig.ready``): its open
referral deadlines (holidays), the names of its codes (audit) and the blind indexes of its
imported records (registry's re-encryption)."""

from __future__ import annotations

from typing import Any

from django.db import models

from jiuzhu.audit.changes import register_value_labels
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


def connect() -> None:
    deadlines.register(open_deadlines)
    register_value_labels(20, STATUS_CHOICES)
    register_sealed_table(50, AssistanceRecord, _rekey_record)
