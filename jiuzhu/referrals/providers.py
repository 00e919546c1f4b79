"""What referrals answer for a case (``applications.lookups``, registered in ``ReferralsConfig.ready``):
who receives which program now, and the 联动建议 of a decided case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from jiuzhu.applications.lookups import Receiving
from jiuzhu.programs.models import AssistanceProgram

from .actions import offer
from .conditions import context_for, matching_programs
from .models import AssistanceRecord


def receiving(id_indexes: Iterable[str], program_codes: Iterable[str], on: dt.date) -> list[Receiving]:
    """The register's records of these persons and programs in force on ``on``, oldest first."""
    records = AssistanceRecord.objects.filter(
        id_number_index__in=list(id_indexes), program_code__in=list(program_codes)
    )
    return [
        Receiving(name=r.name, program_name=r.program_name, source=r.get_source_display(), start_on=r.start_on)
        for r in records.filter(Q(end_on__isnull=True) | Q(end_on__gte=on)).order_by("start_on", "id")
    ]


def suggestions(app: Any) -> list[dict[str, str]]:
    """Department programs the family qualifies for but has no open or granted referral for,
    each with how it can be sent: online, or on paper to an office without an account."""
    have = set(
        app.household.referrals.exclude(status__in=("cancelled", "returned")).values_list("program__code", flat=True)
    )
    catalog = {p.code: p for p in AssistanceProgram.objects.filter(is_active=True)}
    out = []
    for code, reasons in matching_programs(context_for(app.household)).items():
        if code in have or code not in catalog:
            continue
        found = offer(catalog[code], app.county_code)
        if found.channel == "off":
            continue
        out.append(
            {
                "code": code,
                "name": catalog[code].name,
                "department": found.office,
                "reason": "；".join(reasons),
                "channel": found.channel,
                "note": found.note,
            }
        )
    return out
