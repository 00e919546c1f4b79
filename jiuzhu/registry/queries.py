"""Read-side helpers: search and lookup, always on a ``visible_to(user)`` queryset."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from jiuzhu.areas.models import Area, full_code, in_subtree
from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.idnumber import normalize, parse_id_number

from .models import Household, Person
from .pii import blind_index

_LAST4 = re.compile(r"^\d{3}[\dX]$")
_MASKED = re.compile(r"^\d{6}\*+\d{3}[\dX]$")


def search_households(qs: QuerySet[Household], q: str = "", area_code: str = "") -> QuerySet[Household]:
    """Search by full ID number (blind index), last four ID characters, masked ID, or name.

    ``area_code`` narrows to a subtree (town or village); jurisdiction is already in ``qs``.
    """
    if area_code:
        code = full_code(area_code.strip())
        area = Area.objects.filter(code=code).first()
        qs = qs.filter(in_subtree("area_id", area.prefix)) if area else qs.none()
    term = normalize(q or "")
    if not term:
        return qs
    members = Person.objects.filter(household=OuterRef("pk"))
    if len(term) in (15, 18) and term[:17].isdigit():
        try:
            value = parse_id_number(term).value
        except InvalidInput:
            return qs.none()
        return qs.filter(Exists(members.filter(id_number_index=blind_index("id_number", value))))
    if _MASKED.match(term):
        return qs.filter(
            Exists(members.filter(id_number_masked__startswith=term[:6], id_number_masked__endswith=term[-4:]))
        )
    if _LAST4.match(term):
        return qs.filter(Exists(members.filter(id_number_masked__endswith=term)))
    return qs.filter(Exists(members.filter(name__contains=q.strip())))


def lookup_person(user: Any, raw_id_number: str) -> Person | None:
    """一证申请的基础 (INT-3): the person with this ID number within the user's jurisdiction."""
    value = parse_id_number(raw_id_number).value
    return (
        Person.objects.visible_to(user)
        .select_related("household", "household__area")
        .filter(id_number_index=blind_index("id_number", value))
        .first()
    )
