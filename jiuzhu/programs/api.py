"""Programs API: the catalog, parameters and their changes, and 救助测算 (evaluate)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import BaseModel

from jiuzhu.accounts.auth import actor
from jiuzhu.accounts.scope import in_scope
from jiuzhu.areas.models import full_code
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.core.schemas import ErrorOut
from jiuzhu.programs.fact_schemas import HouseholdFactsIn
from jiuzhu.rules import RulesInputError, propose_standard

from . import actions, impact
from .county import CountyProgramView, county_view, county_views
from .engine import evaluate_household, parameter_store, resolve_area, rules_error
from .impact import Impact
from .models import AssistanceProgram, ParameterChange
from .settings import Setting, settings_in_force

programs = Router(tags=["救助项目库"])
parameters = Router(tags=["救助标准与参数"])
settings = Router(tags=["设置"])
eligibility = Router(tags=["救助测算"])


class AbolishedProofOut(Schema):  # 取消的证明事项 (INT-18)
    name: str
    document: str


class ProgramOut(Schema):
    code: str
    name: str
    layer: str
    department_code: str
    department_name: str
    engine_program: str
    target_group: str
    conditions: str
    benefits: str
    documents: list[str]
    legal_basis: list[str]
    procedure: str
    time_limit_working_days: int | None
    approval_level: str
    referral: bool
    requirements: list[str]
    seeds: list[str]
    county_code: str = Field("", description="按哪个县（市、区）的项目清单作答；空为救助项目库")
    runs: bool = Field(False, description="该县是否开展此项目")
    local: bool = Field(False, description="该县自设项目")
    department: str = Field("", description="承办部门（本县设置优先，否则为主管部门）")
    contact_person: str = ""
    contact_phone: str = ""
    materials: list[str] = Field(default_factory=list, description="申请人须提供的材料（已扣除取消的证明事项）")
    abolished_proofs: list[AbolishedProofOut] = Field(default_factory=list, description="取消的证明事项及其文号")
    note: str = ""


def _out(program: AssistanceProgram, view: CountyProgramView | None, county: str) -> dict[str, Any]:
    out = {f: getattr(program, f) for f in ProgramOut.model_fields if hasattr(program, f) and f != "county_code"}
    out["county_code"] = county
    out["local"] = bool(program.county_code)
    if view is None:
        return {**out, "department": program.department_name, "materials": list(program.documents)}
    return {
        **out,
        "runs": view.runs,
        "department": view.department_name,
        "contact_person": view.contact_person,
        "contact_phone": view.contact_phone,
        "materials": view.required_materials,
        "abolished_proofs": view.abolished_proofs,
        "note": view.note,
    }


def _county_for(request: HttpRequest, area_code: str) -> str:
    """The county whose view is asked: ``area_code``'s, or the caller's own (blank: the catalog)."""
    user = actor(request)
    own = getattr(getattr(user, "area", None), "county_code", "")
    if not area_code:
        return own if own and not own.endswith("00") else ""
    area = resolve_area(area_code)
    if area.level not in ("county", "town", "village"):
        raise InvalidInput("not_a_county", "请使用县级（如370405）或其下级区划代码", field="area_code")
    county = area.county_code
    if county != own and not in_scope(user, full_code(county)):
        raise NotFound("not_found", "该区划不存在或不在您的管辖范围内", field="area_code")
    return county


@programs.get("", response=list[ProgramOut], summary="救助项目库（按县：本县开展的项目、承办部门、联系方式与申请材料）")
def list_programs(
    request: HttpRequest, area_code: str = "", layer: str = "", department: str = "", runs: bool | None = None
) -> Any:
    """With ``area_code`` (or for a county user) each program as that county runs it (PRG-2,
    INT-16, INT-18): ``runs``, ``local``, its 承办部门 and contact, ``materials`` (the county's
    list, or the catalog's, minus the abolished proofs) and ``abolished_proofs`` with their
    document numbers. Another county's local programs never appear."""
    county = _county_for(request, area_code)
    qs = AssistanceProgram.objects.filter(is_active=True)
    qs = qs.for_county(county) if county else qs.filter(county_code="")
    if layer:
        qs = qs.filter(layer=layer)
    if department:
        qs = qs.filter(department_code=department)
    if not county:
        return [_out(p, None, "") for p in qs]
    views = county_views(county, qs)
    return [_out(v.program, v, county) for v in views if runs is None or v.runs == runs]


class CountyProgramIn(Schema):
    runs: bool = Field(True, description="本县是否开展")
    department_id: int | None = Field(None, description="承办部门（本县已登记的部门）")
    department_name: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    materials: list[str] = Field(default_factory=list, description="本县申请材料；为空则用救助项目库的")
    abolished_proofs: list[AbolishedProofOut] = Field(default_factory=list)
    note: str = ""
    area_code: str = Field("", description="县级区划代码；空为当前用户所在县")


@programs.put(
    "/county/{code}",
    response={200: ProgramOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="修改本县开展的救助项目（县级管理员，仅限本县）",
)
def edit_county_program(request: HttpRequest, code: str, body: CountyProgramIn) -> Any:
    user = actor(request)
    county = body.area_code.strip() or getattr(getattr(user, "area", None), "county_code", "")
    program = get_object_or_404(AssistanceProgram.objects.filter(county_code__in=["", county]), code=code)
    actions.set_county_program(
        program,
        by=user,
        county_code=county,
        is_active=body.runs,
        department_id=body.department_id,
        department_name=body.department_name,
        contact_person=body.contact_person,
        contact_phone=body.contact_phone,
        materials=body.materials,
        abolished_proofs=[p.dict() for p in body.abolished_proofs],
        note=body.note,
    )
    return _out(program, county_view(county, program), county)


class LocalProgramIn(Schema):
    code: str
    name: str
    layer: str
    department_name: str
    target_group: str
    conditions: str
    benefits: str
    documents: list[str]
    procedure: str = ""
    time_limit_working_days: int | None = None
    approval_level: str = "county"
    legal_basis: list[str] = Field(default_factory=list)
    area_code: str = Field("", description="县级区划代码；空为当前用户所在县")


@programs.post(
    "/county",
    response={201: ProgramOut, 403: ErrorOut, 422: ErrorOut},
    summary="新增本县自设救助项目（仅本县可见）",
)
def add_local_program(request: HttpRequest, body: LocalProgramIn) -> Any:
    user = actor(request)
    data = body.dict()
    county = data.pop("area_code").strip() or getattr(getattr(user, "area", None), "county_code", "")
    program = actions.add_local_program(by=user, county_code=county, **data)
    return Status(201, _out(program, county_view(county, program), county))


# After the /county routes: "/{code}" would otherwise answer for "county" too.
@programs.get("/{code}", response=ProgramOut, summary="救助项目详情")
def get_program(request: HttpRequest, code: str, area_code: str = "") -> Any:
    county = _county_for(request, area_code)
    qs = AssistanceProgram.objects.filter(is_active=True)
    program = get_object_or_404(qs.for_county(county) if county else qs.filter(county_code=""), code=code)
    return _out(program, county_view(county, program) if county else None, county)


class ParameterOut(Schema):
    name: str
    description: str
    unit: str
    value: Any
    display: str
    area: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    source: str


@parameters.get("", response=list[ParameterOut], summary="某区划某日生效的全部参数")
def list_parameters(request: HttpRequest, area_code: str, date: dt.date | None = None) -> list[dict[str, Any]]:
    area = resolve_area(area_code)
    on = date or timezone.localdate()
    store = parameter_store()
    out = []
    for name in store.names():
        try:
            v = store.lookup(name, area.short_code, on)
        except RulesInputError:
            continue
        out.append(
            {
                "name": name,
                "description": v.description,
                "unit": v.unit,
                "value": v.value,
                "display": v.display(),
                "area": v.area,
                "valid_from": v.valid_from,
                "valid_to": v.valid_to,
                "source": v.source,
            }
        )
    return out


class ParameterChangeIn(Schema):
    name: str
    area_code: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    value: Any
    reason: str = ""
    source: str = ""


class ChangeOut(Schema):
    id: int
    name: str
    area_code: str
    valid_from: dt.date
    valid_to: dt.date | None
    value: Any
    reason: str
    source: str
    status: str
    proposed_by: str
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str

    @staticmethod
    def resolve_proposed_by(obj: ParameterChange) -> str:
        return obj.proposed_by.username

    @staticmethod
    def resolve_decided_by(obj: ParameterChange) -> str | None:
        return obj.decided_by.username if obj.decided_by else None


class SettingOut(Schema):
    key: str
    label: str
    topic: str
    value: Any
    display: str
    unit: str
    valid_from: dt.date
    valid_to: dt.date | None
    area_code: str
    source: str
    warning: str


@settings.get("", response=list[SettingOut], summary="某区划某日生效的全部设置（含来源与有效期）")
def list_settings(request: HttpRequest, area_code: str, date: dt.date | None = None) -> list[Setting]:
    """Every setting in force: benefit parameters, deadlines, 公示 days, approval levels, town
    limits, review cycles, 渐退 months; ``area_code`` is the level the value came from (``CN``
    for the national default) and ``warning`` names a lapsed or expiring source."""
    area = resolve_area(area_code)
    return settings_in_force(area.short_code, date or timezone.localdate())


class DecisionIn(Schema):
    note: str = ""


@parameters.get("/changes", response=list[ChangeOut], summary="参数调整记录")
def list_changes(request: HttpRequest, status: str = "") -> Any:
    qs = ParameterChange.objects.visible_to(actor(request)).select_related("proposed_by", "decided_by")
    return list(qs.filter(status=status) if status else qs[:500])


@parameters.post("/changes", response={201: ChangeOut}, summary="提出参数调整（须另一人复核后生效）")
def propose(request: HttpRequest, body: ParameterChangeIn) -> Status[ParameterChange]:
    return Status(201, actions.propose_change(by=actor(request), **body.dict()))


@parameters.post("/changes/{change_id}/actions/{name}", response=ChangeOut, summary="复核参数调整：confirm 或 reject")
def decide(request: HttpRequest, change_id: int, name: str, body: DecisionIn) -> ParameterChange:
    change = get_object_or_404(ParameterChange.objects.visible_to(actor(request)), pk=change_id)
    if name == "confirm":
        return actions.confirm_change(change, by=actor(request), note=body.note)
    if name == "reject":
        return actions.reject_change(change, by=actor(request), note=body.note)
    raise Http404


class ImpactLineOut(Schema):
    application_id: int
    number: str
    household: str
    step: str
    old: str
    new: str
    is_deadline: bool


class NewCasesOut(Schema):
    county_code: str
    county: str
    old: str
    new: str
    note: str


class ImpactOut(Schema):
    change_id: int
    name: str
    label: str
    open_cases: int
    changed_cases: int
    moved_deadlines: int
    nothing_moves: bool
    summary: str
    reasons: list[str]
    lines: list[ImpactLineOut]
    new_cases: list[NewCasesOut]


@parameters.get("/changes/{change_id}/impact", response=ImpactOut, summary="参数调整影响预览：在办案件哪些时限将变化")
def change_impact(request: HttpRequest, change_id: int) -> Impact:
    """What confirming the change would move, for the cases the caller may see: each case
    (number, household, step, old → new) and what cases accepted from ``valid_from`` get."""
    user = actor(request)
    change = get_object_or_404(ParameterChange.objects.visible_to(user), pk=change_id)
    return impact.preview(change, user=user)


class StandardIn(Schema):
    area_code: str
    year: int
    consumption_per_capita_fen: int
    urban: bool
    share: str | None = None


@parameters.post("/standards/propose", summary="按上年人均消费支出比例测算下一年度低保标准（STD-1）")
def standard_proposal(request: HttpRequest, body: StandardIn) -> dict[str, Any]:
    area = resolve_area(body.area_code)
    try:
        proposal = propose_standard(
            parameter_store(),
            area.short_code,
            body.year,
            body.consumption_per_capita_fen,
            urban=body.urban,
            share=body.share,
        )
    except RulesInputError as exc:
        raise rules_error(exc, prefix="") from None
    return proposal.to_dict()


class EvaluateIn(Schema):
    area_code: str
    date: dt.date
    programs: list[str]
    household: HouseholdFactsIn  # type: ignore[valid-type]


@eligibility.post("/evaluate", summary="救助测算：按家庭情况判断可申请的救助项目并说明理由")
def evaluate(request: HttpRequest, body: EvaluateIn) -> dict[str, Any]:
    """Answers ``{program: {"eligible", "reasons": [{"code", "message", "passed"}],
    "monthly_amount_fen", "trace"}}`` for each requested program."""
    facts = cast(BaseModel, body.household)  # the schema is built at import time (fact_schemas)
    household = facts.model_dump(mode="json", exclude_unset=True)
    return evaluate_household(body.area_code, body.date, body.programs, household)
