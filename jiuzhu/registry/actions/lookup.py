"""Audited views of personal data: 按身份证号查询 and 查看完整信息."""

from __future__ import annotations

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.audit.log import record
from jiuzhu.core.errors import InvalidInput

from ..models import Person
from ..pii import unseal
from ._common import PII_FIELDS


def look_up_by_id(raw_id_number: str, *, by: User) -> Person | None:
    """按身份证号查询 (INT-3): find the person within the user's jurisdiction and audit the
    lookup (masked number, found or not) — an ID lookup is a view of personal data."""
    from jiuzhu.core.idnumber import mask_id_number, parse_id_number

    from ..queries import lookup_person

    value = parse_id_number(raw_id_number).value
    person = lookup_person(by, value)
    with transaction.atomic():
        record(
            by,
            "registry.id_lookup.view",
            person.household or person if person is not None else None,
            changes={"id_number": mask_id_number(value), "found": person is not None},
            area_code=person.area_code if person is not None else "",
        )
    return person


def reveal(person: Person, field: str, *, by: User) -> str:
    """查看完整信息: decrypt one PII value for an authorized user and audit the view."""
    require(by, "registry.reveal_pii")
    if field not in PII_FIELDS:
        raise InvalidInput("invalid_field", "只能查看身份证号码、联系电话或银行账号", field="field")
    value = unseal(field, getattr(person, f"{field}_enc"))
    with transaction.atomic():
        record(
            by,
            "registry.pii.reveal",
            person.household or person,
            changes={
                "person": person.pk,
                "name": person.name,
                "field": field,
            },
            area_code=person.area_code,
        )
    return value
