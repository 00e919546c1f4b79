"""What the registry tells the audit trail (called from ``RegistryConfig.ready``): the members
and households its entries refer to by id, named as on every staff page (masked)."""

from __future__ import annotations

from jiuzhu.audit.changes import register_reference
from jiuzhu.core.masking import mask_name

from .models import Household, Person


def person_names(ids: set[int]) -> dict[int, str]:
    return {pk: mask_name(name) for pk, name in Person.objects.filter(pk__in=ids).values_list("pk", "name")}


def household_names(ids: set[int]) -> dict[int, str]:
    rows = Household.objects.filter(pk__in=ids).values_list("pk", "head_name")
    return {pk: f"{mask_name(head)}户" for pk, head in rows}


def connect() -> None:
    register_reference(person_names, "person", "person_id", "person_ids", "applicant")
    register_reference(household_names, "household")
