"""A county's view of the 救助项目库 (PRG-2, INT-16, INT-18): which programs it runs, with its own
承办部门, contact, materials list and 取消的证明事项, and its local programs.

Read-only helpers; the changes are actions in ``programs.actions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypedDict

from django.db import models

from .exclusivity import CATALOG_CODES
from .models import AssistanceProgram, CountyProgram

# 临时救助 at intake: which catalog program a kind of 临时救助 is (急难型 / 支出型).
TEMPORARY_KIND_PROGRAMS = {
    "emergency": "temporary_emergency",
    "illness": "temporary_expense",
    "education": "temporary_expense",
}
ABOLISHED_LABEL = "已取消，无需提供"


class IntakeMaterials(TypedDict):  # one program's 申请材料 as intake tells the applicant
    program: str
    department: str
    contact: str
    materials: list[str]
    abolished: list[str]


@dataclass(frozen=True)
class MaterialItem:  # one line of the 申请材料 list as the county publishes it
    name: str
    abolished: bool = False
    document: str = ""  # 取消依据文号 of an abolished proof (取消的证明事项)

    @property
    def label(self) -> str:
        if not self.abolished:
            return self.name
        return f"{self.name}（{ABOLISHED_LABEL}，依据{self.document}）"


@dataclass(frozen=True)
class CountyProgramView:
    """One program as a county runs it: its own entries where set, the catalog's otherwise."""

    program: AssistanceProgram
    row: CountyProgram | None

    @property
    def runs(self) -> bool:
        return self.row is not None and self.row.is_active and self.program.is_active

    @property
    def local(self) -> bool:
        return bool(self.program.county_code)

    @property
    def department_name(self) -> str:
        if self.row is not None:
            if self.row.department_id is not None and self.row.department is not None:
                return self.row.department.name
            if self.row.department_name:
                return self.row.department_name
        return self.program.department_name

    @property
    def contact_person(self) -> str:
        return self.row.contact_person if self.row is not None else ""

    @property
    def contact_phone(self) -> str:
        if self.row is not None and self.row.contact_phone:
            return self.row.contact_phone
        if self.row is not None and self.row.department is not None:
            return self.row.department.contact
        return ""

    @property
    def note(self) -> str:
        return self.row.note if self.row is not None else ""

    @property
    def own_materials(self) -> bool:
        return self.row is not None and bool(self.row.materials)

    @property
    def materials(self) -> list[str]:
        """The county's list when it set one, else the catalog's."""
        if self.row is not None and self.row.materials:
            return list(self.row.materials)
        return list(self.program.documents)

    @property
    def abolished_proofs(self) -> list[dict[str, str]]:
        return [dict(p) for p in self.row.abolished_proofs] if self.row is not None else []

    @property
    def items(self) -> list[MaterialItem]:
        """Every material, the abolished proofs marked (those not in the list are added at the end)."""
        abolished = {p["name"]: p["document"] for p in self.abolished_proofs}
        out = [MaterialItem(m, m in abolished, abolished.get(m, "")) for m in self.materials]
        listed = set(self.materials)
        out += [MaterialItem(n, True, d) for n, d in abolished.items() if n not in listed]
        return out

    @property
    def required_materials(self) -> list[str]:
        """What the applicant is asked for: the materials minus the abolished proofs (一次性告知)."""
        return [i.name for i in self.items if not i.abolished]


def county_views(county_code: str, programs: Iterable[AssistanceProgram] | None = None) -> list[CountyProgramView]:
    """The county's view of each program (catalog-wide and its own local ones); two queries."""
    if programs is None:
        programs = AssistanceProgram.objects.for_county(county_code).filter(is_active=True)
    programs = list(programs)
    rows = {
        r.program_id: r
        for r in CountyProgram.objects.filter(county_code=county_code, program__in=programs).select_related(
            "department"
        )
    }
    return [CountyProgramView(p, rows.get(p.pk)) for p in programs]


def county_view(county_code: str, program: AssistanceProgram) -> CountyProgramView:
    return county_views(county_code, [program])[0]


def catalog_codes_for(engine_program: str, temporary_kind: str = "") -> list[str]:
    """The catalog programs an intake program (an engine program: dibao, tekun …) stands for."""
    if engine_program == "temporary" and temporary_kind in TEMPORARY_KIND_PROGRAMS:
        return [TEMPORARY_KIND_PROGRAMS[temporary_kind]]
    return list(
        AssistanceProgram.objects.filter(engine_program=engine_program, county_code="", is_active=True).values_list(
            "code", flat=True
        )
    )


def runs_engine_program(county_code: str, engine_program: str, temporary_kind: str = "") -> bool:
    """Whether the county runs a catalog program of this intake program (PRG-2)."""
    codes = catalog_codes_for(engine_program, temporary_kind)
    return CountyProgram.objects.filter(
        county_code=county_code, is_active=True, program__code__in=codes, program__is_active=True
    ).exists()


def _intake_programs(engines: list[str], temporary_kind: str, urban: bool | None) -> models.QuerySet[AssistanceProgram]:
    """The catalog programs an intake for these engine programs stands for: the one kind of
    临时救助 asked for, and with ``urban`` only the family's own variant of 低保."""
    programs = AssistanceProgram.objects.filter(engine_program__in=engines, county_code="", is_active=True)
    if urban is not None:
        city, country = CATALOG_CODES["dibao"]
        programs = programs.exclude(code=country if urban else city)
    if "temporary" in engines and temporary_kind in TEMPORARY_KIND_PROGRAMS:
        programs = programs.exclude(
            models.Q(engine_program="temporary") & ~models.Q(code=TEMPORARY_KIND_PROGRAMS[temporary_kind])
        )
    return programs


def intake_materials(
    county_code: str, engine_programs: Iterable[str], temporary_kind: str = "", *, urban: bool | None = None
) -> list[IntakeMaterials]:
    """The 申请材料 of the programs an intake is for, as the county runs them (INT-16, INT-18):
    ``[{"program", "department", "contact", "materials": [required…], "abolished": [labels…]}]``.

    With ``urban`` (the household's 城乡类别, ``exclusivity.urban_of``) a family is told only its
    own variant of 低保: 城市 or 农村, not both."""
    out: list[IntakeMaterials] = []
    for v in county_views(county_code, _intake_programs(list(engine_programs), temporary_kind, urban)):
        if not v.runs:
            continue
        contact = "，".join(x for x in (v.contact_person, v.contact_phone) if x)
        out.append(
            {
                "program": v.program.name,
                "department": v.department_name,
                "contact": contact,
                "materials": v.required_materials,
                "abolished": [i.label for i in v.items if i.abolished],
            }
        )
    return out


DEPARTMENT_DATA_MARKS = ("数据获取", "数据自动获取")  # how a county's list says 系统经…数据获取


def from_department_data(
    county_code: str, engine_program: str, temporary_kind: str = "", *, urban: bool | None = None
) -> dict[str, str]:
    """Materials of an intake program the county's list says the system gets from department
    data (e.g. 残疾人证（系统经残联数据获取）): each name a clerk may write for one — the item
    before its note, and each of its parts (户口簿 of 户口簿及家庭成员户籍信息) — → the item as listed.
    With ``urban``, only the family's own variant of 低保 (as ``intake_materials``)."""
    out: dict[str, str] = {}
    for view in county_views(county_code, _intake_programs([engine_program], temporary_kind, urban)):
        for item in view.required_materials:
            name, _, note = item.partition("（")
            if not any(mark in note for mark in DEPARTMENT_DATA_MARKS):
                continue
            for word in [name, *name.replace("及", "、").replace("等", "").split("、")]:
                if len(word.strip()) >= 2:
                    out.setdefault(word.strip(), item)
    return out


def abolished_proofs_for(county_code: str, engine_program: str, temporary_kind: str = "") -> dict[str, str]:
    """取消的证明事项 of an intake program in the county: proof name → the document abolishing it."""
    codes = catalog_codes_for(engine_program, temporary_kind)
    rows = CountyProgram.objects.filter(county_code=county_code, program__code__in=codes, is_active=True)
    return {p["name"]: p["document"] for r in rows for p in r.abolished_proofs}
