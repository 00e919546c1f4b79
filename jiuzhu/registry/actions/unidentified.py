"""身份不明人员 (INT-24, PRG-13): a person found without an ID number (流浪乞讨, 失忆, 无证件)
gets a registry record under a 临时编号 so that 急难型临时救助 can be granted at once.

The 临时编号 (``LS-<county>-<yyyymmdd>-<nnnn>``, made by the field report) is sealed and blind-
indexed like an ID number: every lookup by a real ID misses it (a real ID is 18 digits, the
temporary number has letters and hyphens), a key rotation re-indexes it like any other value,
and ``Person.temp_number`` says plainly that the person has no ID yet. The person lives in a
one-person household at the village where found (address: the place found).

``retire_merged``: once the real ID is known and the cases moved (``monitoring.field_merge``),
the temporary record leaves its household, pointing at the real person (``merged_into``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput

from ..models import GENDER_CHOICES, RELATION_ORDER, Household, Membership, Person
from ..pii import cipher
from ._common import village_for

TEMP_PREFIX = "LS-"  # 临时编号 (临时): never the start of a real ID number


def register_unidentified(
    *,
    by: User,
    area_code: str,
    temp_number: str,
    name: str,
    gender: str,
    birth_date: dt.date,
    address: str,
) -> Person:
    """登记身份不明人员: a one-person household and a person under the temporary number."""
    require(by, "registry.edit")
    area = village_for(by, area_code)
    if not temp_number.startswith(TEMP_PREFIX) or len(temp_number) > 32:
        raise InvalidInput("invalid_temp_number", "临时编号格式不正确", field="temp_number")
    if gender not in dict(GENDER_CHOICES) and gender != "":  # "" 性别不详: seen in the field, not yet known
        raise InvalidInput("invalid_gender", "性别只能是男、女或不详", field="gender")
    name = (name or "").strip()[:32] or "身份不明人员"
    with transaction.atomic():
        household = Household.objects.create(
            area=area,
            county_code=area.county_code,
            urban_rural=area.urban_rural or "rural",
            address=(address or "").strip()[:200] or area.name,
            remarks=f"身份不明人员临时档案（临时编号{temp_number}），身份查明后并入其本人档案",
            head_name=name,
            member_count=1,
            created_by=user_or_none(by),
        )
        c = cipher()
        person = Person.objects.create(
            household=household,
            relation="self",
            relation_order=RELATION_ORDER.get("self", 0),
            area_code=area.code,
            county_code=area.county_code,
            name=name,
            gender=gender,
            birth_date=birth_date,
            id_number_enc=c.encrypt("id_number", temp_number),
            id_number_index=c.blind_index("id_number", temp_number),
            id_number_masked=temp_number,  # our own number, not personal data
            temp_number=temp_number,
        )
        Membership.objects.create(
            person=person,
            household=household,
            relation="self",
            joined_on=timezone.localdate(),
            reason_joined="身份不明人员临时登记",
        )
        record(
            by,
            "registry.unidentified.create",
            person,
            area_code=area.code,
            changes={"temp_number": temp_number, "name": name, "gender": gender, "birth_date": birth_date},
        )
    return person


def unidentified_edit(person: Person, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """修改身份不明人员的信息: he has no ID number, so an edit never validates one. The ID field
    left blank or holding his own 临时编号 (as a prefilled form sends it back) is dropped; a real ID
    number is refused with the way to give it: 认定身份 on the field report (``match_identity``),
    which merges the temporary record and its cases into the real person's — never an ID number
    typed over the temporary one, which would leave two records of one man."""
    if not person.temp_number or "id_number" not in data:
        return data
    value = str(data.get("id_number") or "").strip()
    if value and value.upper() != person.temp_number.upper():
        raise InvalidInput(
            "use_match_identity",
            f"{person.name}为身份不明人员（临时编号{person.temp_number}），不能在此直接填写身份证号码："
            "身份查明后请在“现场发现报告”中办理“认定身份”，临时档案及其救助案件将并入本人档案",
            field="member.id_number",
        )
    return {k: v for k, v in data.items() if k != "id_number"}


def retire_merged(temp: Person, into: Person, *, by: User) -> Person:
    """The temporary record, its cases already moved, leaves its household for good."""
    require(by, "registry.edit")
    with transaction.atomic():
        locked: Person = Person.objects.select_for_update().get(pk=temp.pk)
        if not locked.temp_number:
            raise DomainError("not_temporary", "只有临时登记的身份不明人员才能并入本人档案")
        if locked.merged_into_id is not None:
            raise DomainError("already_merged", "该临时档案已并入本人档案")
        household_id = locked.household_id
        Membership.objects.filter(person=locked, left_on__isnull=True).update(
            left_on=timezone.localdate(), reason_left=f"身份已认定，并入本人档案（{into.name}）"[:100]
        )
        locked.merged_into, locked.household = into, None
        locked.save(update_fields=["merged_into", "household", "updated_at"])
        if household_id is not None:
            Household.objects.filter(pk=household_id).update(member_count=0)
        record(
            by,
            "registry.unidentified.merge",
            locked,
            area_code=locked.area_code,
            changes={"temp_number": locked.temp_number, "merged_into": into.pk, "name": into.name},
        )
    return locked
