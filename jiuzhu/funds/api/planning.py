"""Fiscal powers, fund plans, incentives and purchased-service contracts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Schema, Status

from .. import actions, queries
from ..models import (
    FiscalPower,
    FundPlan,
    Incentive,
    ServiceContract,
)
from ._common import _actor, _line, _listing, _view, router


class PowerIn(Schema):
    county_code: str
    program: str
    shares: dict[str, int]
    department: str
    legal_basis: str
    note: str = ""


def power_out(p: FiscalPower) -> dict[str, Any]:
    return {
        "id": p.pk,
        "county_code": p.county_code,
        "program": p.program,
        "program_label": p.get_program_display(),
        "shares": p.shares,
        "department": p.department,
        "legal_basis": p.legal_basis,
        "note": p.note,
    }


@router.get("/fiscal-powers", summary="财政事权和支出责任清单")
def list_powers(request: HttpRequest) -> dict[str, Any]:
    return _listing(FiscalPower.objects.visible_to(_view(request)), power_out)


@router.post("/fiscal-powers", summary="设置某救助项目的事权与支出责任（各级比例合计须为100%）")
def set_power(request: HttpRequest, body: PowerIn) -> dict[str, Any]:
    return power_out(actions.set_fiscal_power(by=_actor(request), **body.dict()))


# ---- fund plans ---------------------------------------------------------------------------------


class FundPlanIn(Schema):
    county_code: str
    name: str
    start_year: int
    end_year: int
    note: str = ""


class TargetsIn(Schema):
    program: str
    targets: dict[str, int]


def plan_out(p: FundPlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "county_code": p.county_code,
        "start_year": p.start_year,
        "end_year": p.end_year,
        "note": p.note,
    }


@router.get("/plans", summary="资金规划（如十四五）列表")
def list_plans(request: HttpRequest) -> dict[str, Any]:
    return _listing(FundPlan.objects.visible_to(_view(request)), plan_out)


@router.post("/plans", response={201: dict}, summary="新建资金规划")
def create_plan(request: HttpRequest, body: FundPlanIn) -> Status[dict[str, Any]]:
    return Status(201, plan_out(actions.create_fund_plan(by=_actor(request), **body.dict())))


def _fund_plan(request: HttpRequest, plan_id: int) -> FundPlan:
    plan: FundPlan = get_object_or_404(FundPlan.objects.visible_to(_view(request)), pk=plan_id)
    return plan


@router.post("/plans/{plan_id}/targets", summary="设置规划年度目标")
def set_targets(request: HttpRequest, plan_id: int, body: TargetsIn) -> dict[str, Any]:
    plan = _fund_plan(request, plan_id)
    values = actions.set_plan_targets(plan, by=_actor(request), program=body.program, targets=body.targets)
    return {"program": body.program, "targets": {str(y): v for y, v in values.items()}}


@router.get("/plans/{plan_id}/comparison", summary="规划目标与预算、实际发放对比")
def plan_comparison(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    plan = _fund_plan(request, plan_id)
    result = queries.plan_comparison(_actor(request), plan)
    return {**result, "plan": plan_out(plan)}


# ---- incentives, contracts ---------------------------------------------------------------------


class IncentiveIn(Schema):
    area_code: str
    kind: str
    organisation: str
    amount_fen: int
    granted_on: dt.date
    basis: str
    credit_code: str = ""
    note: str = ""


def incentive_out(i: Incentive) -> dict[str, Any]:
    return {
        "id": i.pk,
        "area_code": i.area_code,
        "kind": i.kind,
        "kind_label": i.get_kind_display(),
        "organisation": i.organisation,
        "credit_code": i.credit_code,
        "amount_fen": i.amount_fen,
        "granted_on": i.granted_on.isoformat(),
        "basis": i.basis,
        "note": i.note,
    }


@router.get("/incentives", summary="社会力量激励记录")
def list_incentives(request: HttpRequest, year: int | None = None, kind: str = "") -> dict[str, Any]:
    return _listing(
        Incentive.objects.visible_to(_view(request)), incentive_out, limit=1000, granted_on__year=year, kind=kind
    )


@router.post("/incentives", response={201: dict}, summary="登记税收优惠、资金奖补或费用减免")
def create_incentive(request: HttpRequest, body: IncentiveIn) -> Status[dict[str, Any]]:
    return Status(201, incentive_out(actions.record_incentive(by=_actor(request), **body.dict())))


class ContractIn(Schema):
    line_id: int
    provider: str
    content: str
    amount_fen: int
    start_on: dt.date
    end_on: dt.date
    number: str = ""
    provider_credit_code: str = ""


def contract_out(c: ServiceContract) -> dict[str, Any]:
    return {
        "id": c.pk,
        "line_id": c.line_id,
        "area_code": c.area_code,
        "number": c.number,
        "provider": c.provider,
        "provider_credit_code": c.provider_credit_code,
        "content": c.content,
        "amount_fen": c.amount_fen,
        "start_on": c.start_on.isoformat(),
        "end_on": c.end_on.isoformat(),
    }


@router.get("/contracts", summary="政府购买服务合同")
def list_contracts(request: HttpRequest, line_id: int | None = None) -> dict[str, Any]:
    return _listing(ServiceContract.objects.visible_to(_view(request)), contract_out, limit=1000, line_id=line_id)


@router.post("/contracts", response={201: dict}, summary="登记政府购买服务合同（计入所属预算科目）")
def create_contract(request: HttpRequest, body: ContractIn) -> Status[dict[str, Any]]:
    data = body.dict()
    line = _line(request, data.pop("line_id"))
    return Status(201, contract_out(actions.create_contract(line, by=_actor(request), **data)))
