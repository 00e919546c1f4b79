"""部门数据预填 (一证申请, INT-3): what the departments already know about an ID number.

The 户籍人口 register (公安) gives the 户 and its members; the loaded department facts give
each member's disability (残联), school enrolment (教体), employment or unemployment (人社),
medical insurance (医保) and death (公安/民政), each with its source and date. The window
confirms the proposal instead of typing it; only what no department knows is asked.

The department facts are read by the verification app (``verification/prefill.py``), which
registers its reader here from its ``AppConfig.ready`` (``register_department_facts``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import in_scope
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.idnumber import mask_id_number, parse_id_number

from .models import RELATION_CHOICES, RELATION_ORDER, PopulationRecord
from .pii import blind_index, unseal

OUTSIDE_COUNTY = "户籍不在本县"
DECEASED = "已死亡"
RELATION_LABELS = dict(RELATION_CHOICES)


# What the departments' loaded facts say about ID blind indexes on a day: person key →
# (facts shown, registry fields suggested, deceased). Verification registers it from its
# ``AppConfig.ready`` (``verification.prefill.department_facts``); without it nothing is known.
DepartmentFacts = Callable[[list[str], dt.date], dict[str, tuple[list[dict[str, Any]], dict[str, Any], bool]]]
_department_facts: list[DepartmentFacts] = []


def register_department_facts(facts: DepartmentFacts) -> None:
    _department_facts[:] = [facts]


def _facts(indexes: list[str], on: dt.date) -> dict[str, tuple[list[dict[str, Any]], dict[str, Any], bool]]:
    return _department_facts[0](indexes, on) if _department_facts else {}


def _county_scope(user: Any) -> str | None:
    """The county whose register the user may read: their own ("" for all, superusers)."""
    if getattr(user, "is_superuser", False):
        return ""
    area = getattr(user, "area", None)
    if area is None or not user.has_perm_code("registry.view"):
        return None
    return str(area.code[:6])


def _village(user: Any, code: str) -> Area | None:
    """The record's 户籍地 when it is a village the user may register households in."""
    area = Area.objects.filter(code=code, level="village").first()
    if area is None:
        return None
    return area if in_scope(user, area.code) else None


def prefill_from_departments(id_number: str, *, by: User) -> dict[str, Any] | None:
    """The household the departments know for this ID number, for the clerk to confirm.

    ``None`` when the 户籍人口 register of the user's county does not hold the number.
    Members are returned with masked ID numbers; deceased members are listed but not
    proposed, members whose 户籍 lies outside the county are flagged (REG-7). The lookup
    is audited as a view of personal data (``registry.prefill.view``).
    """
    require(by, "registry.view")
    value = parse_id_number(id_number).value
    county = _county_scope(by)
    if county is None:
        return None
    record_of, result = find_proposal(value, by=by)
    with transaction.atomic():
        record(
            by,
            "registry.prefill.view",
            None,
            object_type="registry.populationrecord",
            object_id=str(record_of.pk) if record_of else "",
            area_code=_audit_area(record_of),
            changes={
                "id_number": mask_id_number(value),
                "found": result is not None,
                "members": len(result["members"]) if result else 0,
            },
        )
    return result


def _audit_area(found: PopulationRecord | None) -> str:
    """The audit chain of a lookup: the record's village, else its county ("" → the user's)."""
    if found is None:
        return ""
    return found.area_code if found.area_code[:6] == found.county_code else found.county_code.ljust(12, "0")


def find_proposal(value: str, *, by: User) -> tuple[PopulationRecord | None, dict[str, Any] | None]:
    """The register's record of a normalized ID number in the user's county and the
    proposal built from it (not audited: callers audit what they show or do)."""
    county = _county_scope(by)
    if county is None:
        return None, None
    found = PopulationRecord.objects.filter(id_number_index=blind_index("id_number", value))
    if county:
        found = found.filter(county_code=county)
    record_of = found.order_by("-loaded_at", "-id").first()
    return record_of, (_proposal(by, record_of) if record_of is not None else None)


def _proposal(by: User, found: PopulationRecord) -> dict[str, Any]:
    county = found.county_code
    rows = sorted(
        PopulationRecord.objects.filter(county_code=county, household_no=found.household_no),
        key=lambda r: (RELATION_ORDER.get(r.relation, 99), r.birth_date, r.pk),
    )
    today = timezone.localdate()
    facts = _facts([r.id_number_index for r in rows], today)
    members = []
    for r in rows:
        shown, suggested, deceased = facts.get(r.id_number_index, ([], {}, False))
        flags = []
        outside = r.area_code[:6] != county
        if outside:
            flags.append(OUTSIDE_COUNTY)
        if deceased:
            flags.append(DECEASED)
        age = today.year - r.birth_date.year - ((today.month, today.day) < (r.birth_date.month, r.birth_date.day))
        members.append(
            {
                "record_id": r.pk,
                "name": r.name,
                "id_number_masked": r.id_number_masked,
                "relation": r.relation,
                "relation_label": RELATION_LABELS.get(r.relation, ""),
                "relation_text": r.relation_text,
                "gender": r.gender,
                "birth_date": r.birth_date,
                "age": age,
                "area_code": r.area_code,
                "address": r.address,
                "outside_county": outside,
                "deceased": deceased,
                "proposed": not deceased,
                "is_applicant": r.pk == found.pk,
                "flags": flags,
                "facts": shown,
                "suggested": suggested,
                "source": "公安机关·户籍人口",
                "loaded_on": timezone.localtime(r.loaded_at).date().isoformat(),
            }
        )
    head = next((r for r in rows if r.relation == "self"), found)
    village = _village(by, head.area_code)
    return {
        "household_no": found.household_no,
        "county_code": county,
        "address": head.address,
        "area_code": head.area_code,
        "village": {"code": village.code, "name": village.full_name()} if village else None,
        "members": members,
        "loaded_on": timezone.localtime(found.loaded_at).date().isoformat(),
        "source": "公安机关·户籍人口",
    }


def registration_members(proposal: dict[str, Any], *, exclude: Collection[int] = ()) -> list[dict[str, Any]]:
    """Members as ``create_household`` takes them: the real ID numbers decrypted from the
    register (never from the page), relations and the facts the departments answered."""
    proposed = [m for m in proposal["members"] if m["proposed"] and m["record_id"] not in exclude]
    sealed = dict(
        PopulationRecord.objects.filter(pk__in=[m["record_id"] for m in proposed]).values_list("id", "id_number_enc")
    )
    return [
        {
            "name": m["name"],
            "id_number": unseal("id_number", sealed[m["record_id"]]),
            "relation": m["relation"],
            **m["suggested"],
        }
        for m in proposed
    ]
