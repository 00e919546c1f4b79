"""部门数据预填 (一证申请, INT-3), the department side: what the loaded department facts say
about the members of a 户 — disability (残联), school enrolment (教体), employment or
unemployment (人社), medical insurance (医保) and death (公安/民政), each with its source and
date. ``registry.prefill`` builds the proposal and asks for these through its registry
(``register_department_facts``, called in ``VerificationConfig.ready``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from jiuzhu.registry.validation import DISABILITY_CATEGORY, SCHOOL

from .effects import Catalog, FactRow, fetch_current, measure_person
from .models import Batch, person_key

# Data types read for the proposal → what they say (None: only their death facts count).
FACT_KINDS: dict[str, str | None] = {
    "canlian.disability": "disability",
    "jiaoti.student": "student",
    "renshe.employment": "employed",
    "renshe.unemployment": "unemployed",
    "yibao.insurance": "insured",
    "gongan.hukou": None,
    "minzheng.funeral": None,
}
FACT_LABELS = {
    "disability": "持有残疾人证",
    "student": "在校就读",
    "employed": "就业登记",
    "unemployed": "失业登记",
    "insured": "医疗保险参保",
    "death": "死亡",
}
_GRADE = re.compile(r"([一二三四1-4])级")
_GRADES = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _date_of(f: Any) -> str:
    """The fact's own date (its period), as the department gave it."""
    if f.period_start and f.period_end and f.period_start != f.period_end:
        return f"{f.period_start:%Y-%m-%d}至{f.period_end:%Y-%m-%d}"
    day = f.period_start or f.period_end
    return day.isoformat() if day else ""


def _suggest(kind: str, f: Any, into: dict[str, Any]) -> None:
    """Registry fields a fact answers (so the clerk need not ask them)."""
    if kind == "disability":
        into["health_status"] = "disabled"
        category = DISABILITY_CATEGORY.get(f.category)
        grade = _GRADE.search(f.detail or "")
        if category and grade:
            into["disability_category"] = category
            into["disability_grade"] = _GRADES[grade.group(1)]
    elif kind == "student" and SCHOOL.get(f.category):
        into["school_status"] = SCHOOL[f.category]
    elif kind == "employed":
        into["employment_status"] = "employed"
    elif kind == "unemployed":
        into.setdefault("employment_status", "unemployed")


def department_facts(indexes: list[str], on: dt.date) -> dict[str, tuple[list[dict[str, Any]], dict[str, Any], bool]]:
    """person key → (facts shown, registry fields suggested, deceased)."""
    facts = fetch_current(indexes)
    if not facts:
        return {}
    catalog = Catalog()
    loaded = dict(Batch.objects.filter(pk__in={f.batch_id for f in facts}).values_list("id", "loaded_at"))
    per_person: dict[str, list[FactRow]] = {}
    for f in facts:
        per_person.setdefault(f.person, []).append(f)
    out: dict[str, tuple[list[dict[str, Any]], dict[str, Any], bool]] = {}
    for index in indexes:
        mine = per_person.get(person_key(index), [])
        measures = measure_person(mine, catalog, on)
        deaths = {id(f) for f in measures.statuses.get("death", [])}
        shown: list[dict[str, Any]] = []
        suggested: dict[str, Any] = {}
        for f in mine:
            source = catalog.sources[f.source_id]
            if source.code not in FACT_KINDS or not f.active:
                continue
            kind = "death" if id(f) in deaths else FACT_KINDS[source.code]
            if kind is None:
                continue
            at = loaded.get(f.batch_id)
            shown.append(
                {
                    "kind": kind,
                    "label": FACT_LABELS[kind],
                    "detail": f.detail,
                    "source": f"{source.provider.name}·{source.name}",
                    "date": _date_of(f),
                    "loaded_on": timezone.localtime(at).date().isoformat() if at else "",
                }
            )
            _suggest(kind, f, suggested)
        out[index] = (shown, suggested, bool(deaths))
    return out
