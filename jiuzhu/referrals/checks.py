"""避免重复救助、多头救助和遗漏救助 (REG-6): duplicates across programs and departments, and
qualifying households that nobody has referred."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from jiuzhu.programs.exclusivity import register_pairs
from jiuzhu.web.labels import department_label

from .conditions import context_for, matching_programs
from .models import AssistanceRecord, Referral

# Programs a person may not receive at the same time: the one table, in catalog codes.
EXCLUSIVE = register_pairs()


@dataclass(frozen=True)
class Flag:
    kind: str  # duplicate | exclusive | gap
    message: str
    household_id: int | None
    records: tuple[int, ...] = ()


def _active(qs: Any) -> Any:
    today = timezone.localdate()
    return qs.filter(Q(end_on__isnull=True) | Q(end_on__gte=today))


def duplicates(records: Any) -> list[Flag]:
    """The same program for the same person from two sources or departments (多头救助), and
    exclusive programs at once (重复救助)."""
    flags: list[Flag] = []
    active = _active(records)
    same = (
        active.values("id_number_index", "program_code")
        .annotate(n=Count("id"), d=Count("department_code", distinct=True))
        .filter(n__gt=1)
        .order_by()
    )
    for row in same:
        rows = list(active.filter(id_number_index=row["id_number_index"], program_code=row["program_code"]))
        if len({(r.department_code, r.source) for r in rows}) > 1 or row["d"] > 1:
            first = rows[0]
            departments = "、".join(sorted({department_label(r.department_code) for r in rows}))
            flags.append(
                Flag(
                    "duplicate",
                    f"{first.name}（{first.id_number_masked}）同时从{departments}领取“{first.program_name}”",
                    first.household_id,
                    tuple(r.pk for r in rows),
                )
            )
    by_person: dict[str, list[Any]] = {}
    for r in active.filter(program_code__in=set().union(*[a | b for a, b in EXCLUSIVE])):
        by_person.setdefault(r.id_number_index, []).append(r)
    for rows in by_person.values():
        codes = {r.program_code for r in rows}
        for a, b in EXCLUSIVE:
            if codes & a and codes & b:
                first = rows[0]
                flags.append(
                    Flag(
                        "exclusive",
                        f"{first.name}（{first.id_number_masked}）同时享受"
                        f"{'、'.join(sorted({r.program_name for r in rows}))}，两者不得重复享受",
                        first.household_id,
                        tuple(r.pk for r in rows),
                    )
                )
    return flags


def gaps(households: Any) -> list[Flag]:
    """遗漏救助: approved 低保/特困 households that qualify for a department program but have
    neither a referral nor a record of it."""
    from jiuzhu.programs.models import AssistanceProgram

    names = dict(AssistanceProgram.objects.values_list("code", "name"))
    approved = households.filter(
        applications__state="approved", applications__program__in=("dibao", "tekun")
    ).distinct()
    flags: list[Flag] = []
    for household in approved[:2000]:
        have = set(
            Referral.objects.filter(household=household)
            .exclude(status__in=("cancelled", "returned"))
            .values_list("program__code", flat=True)
        )
        have |= set(AssistanceRecord.objects.filter(household=household).values_list("program_code", flat=True))
        for code, reasons in matching_programs(context_for(household)).items():
            if code not in have:
                flags.append(
                    Flag(
                        "gap",
                        f"{household}符合“{names.get(code, code)}”条件（{reasons[0]}），但未派单、未享受",
                        household.pk,
                    )
                )
    return flags
