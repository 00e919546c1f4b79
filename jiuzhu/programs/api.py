"""Programs API: the catalog, parameters and their changes, and 救助测算 (evaluate)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import BaseModel

from jiuzhu.accounts.auth import actor
from jiuzhu.programs.fact_schemas import HouseholdFactsIn
from jiuzhu.rules import RulesInputError, propose_standard

from . import actions, impact
from .engine import evaluate_household, parameter_store, resolve_area, rules_error
from .impact import Impact
from .models import AssistanceProgram, ParameterChange
from .settings import Setting, settings_in_force

programs = Router(tags=["救助项目库"])
parameters = Router(tags=["救助标准与参数"])
settings = Router(tags=["设置"])
eligibility = Router(tags=["救助测算"])


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


@programs.get("", response=list[ProgramOut], summary="救助项目库")
def list_programs(request: HttpRequest, layer: str = "", department: str = "") -> Any:
    qs = AssistanceProgram.objects.filter(is_active=True)
    if layer:
        qs = qs.filter(layer=layer)
    if department:
        qs = qs.filter(department_code=department)
    return list(qs)


@programs.get("/{code}", response=ProgramOut, summary="救助项目详情")
def get_program(request: HttpRequest, code: str) -> AssistanceProgram:
    return get_object_or_404(AssistanceProgram, code=code, is_active=True)


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
    on = date or dt.date.today()
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
    return settings_in_force(area.short_code, date or dt.date.today())


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
