"""Read-side helpers: search and lookup, always on a ``visible_to(user)`` queryset."""

from __future__ import annotations

import functools
import re
from typing import Any, cast

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from jiuzhu.accounts.scope import ALL, registry_scope
from jiuzhu.areas.models import Area, full_code, in_subtree
from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.idnumber import normalize, parse_id_number

from .models import Household, Person
from .pii import blind_index

_LAST4 = re.compile(r"^\d{3}[\dX]$")
_MASKED = re.compile(r"^\d{6}\*+\d{3}[\dX]$")


def search_households(
    qs: QuerySet[Household], q: str = "", area_code: str = "", *, id_token: str = ""
) -> QuerySet[Household]:
    """Search by full ID number (blind index), last four ID characters, masked ID, or name.

    ``area_code`` narrows to a subtree (town or village); jurisdiction is already in ``qs``.
    ``id_token`` is the blind index of a full ID number: what a page URL carries instead of
    the number itself.
    """
    if area_code:
        code = full_code(area_code.strip())
        area = Area.objects.filter(code=code).first()
        qs = qs.filter(in_subtree("area_id", area.prefix)) if area else qs.none()
    members = Person.objects.filter(household=OuterRef("pk"))
    if id_token:
        return qs.filter(Exists(members.filter(id_number_index=id_token)))
    term = normalize(q or "")
    if not term:
        return qs
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


_PERSON_FIELDS = Person._meta.concrete_fields
_PERSON_ATTNAMES = [f.attname for f in _PERSON_FIELDS]
_LOOKUP_SQL = (
    f"SELECT {', '.join(f.column for f in _PERSON_FIELDS)} FROM {Person._meta.db_table} WHERE id_number_index = %s"
)


@functools.cache
def _person_converters(vendor: str) -> list[tuple[int, list[Any], Any]]:
    """The ORM's value converters for each person column (dates on SQLite, etc.)."""
    out = []
    for i, field in enumerate(_PERSON_FIELDS):
        col = field.get_col(Person._meta.db_table)
        converters = connection.ops.get_db_converters(col) + cast(Any, field).get_db_converters(connection)
        if converters:
            out.append((i, converters, col))
    return out


def id_token_of(q: str) -> str:
    """The blind index of ``q`` when it is a full, valid ID number, else "" (names, tails)."""
    term = normalize(q or "")
    if len(term) not in (15, 18) or not term[:17].isdigit():
        return ""
    try:
        return blind_index("id_number", parse_id_number(term).value)
    except InvalidInput:
        return ""


def lookup_person(user: Any, raw_id_number: str) -> Person | None:
    """一证申请的基础 (INT-3): the person with this ID number within the user's jurisdiction.

    A hot path (every window, every applicant), so it is one hand-written indexed query
    filtered by ``registry_scope`` — the same rule as ``visible_to`` — not an ORM build.
    """
    value = parse_id_number(raw_id_number).value
    scope = registry_scope(user)
    if scope is None:
        return None
    sql, params = _LOOKUP_SQL, [blind_index("id_number", value)]
    if scope != ALL:
        sql += " AND area_code >= %s AND area_code <= %s"
        params += list(scope)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    if row is None:
        return None
    values = list(row)
    for i, converters, col in _person_converters(connection.vendor):
        for convert in converters:
            values[i] = convert(values[i], col, connection)
    return Person.from_db(connection.alias, _PERSON_ATTNAMES, values)


def household_of_member(user: Any, raw_id_number: str) -> Household | None:
    """The household of the person with this ID number (一证), within the user's jurisdiction; a
    malformed ID number is refused with its reason (``InvalidInput``)."""
    person = lookup_person(user, raw_id_number)
    if person is None or person.household_id is None:
        return None
    household: Household | None = Household.objects.visible_to(user).filter(pk=person.household_id).first()
    return household
