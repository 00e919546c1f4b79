"""Funds planning API (资金预算与统筹) at /api/v1/funds/: budget lines and monthly plans, execution
(JSON or Excel), forecast, sources, fiscal powers, fund plans, incentives, contracts, charity;
and the towns' reserve funds at /api/v1/payments/reserves (``reserve_router``, their old address).
Amounts are integer fen; errors are the one ``{"code", "message", "field"}`` format."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status

from jiuzhu.accounts.permissions import require
from jiuzhu.web.files import file_response

from . import actions, queries
from .actions._common import _year as parse_year
from .models import (
    BudgetLine,
    CharityAccount,
    CharityEntry,
    FiscalPower,
    FundPlan,
    Incentive,
    MonthlyPlan,
    ReserveEntry,
    ReserveFund,
    ServiceContract,
)

router = Router(tags=["资金预算与统筹"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _view(request: HttpRequest) -> Any:
    user = _actor(request)
    require(user, "funds.view")
    return user


def _year(year: int | None) -> int:
    return parse_year(year) if year else timezone.localdate().year


def line_out(line: BudgetLine, plan: dict[int, int] | None = None) -> dict[str, Any]:
    return {
        "id": line.pk,
        "year": line.year,
        "area_code": line.area_code,
        "program": line.program,
        "program_label": line.get_program_display(),
        "source": line.source,
        "source_label": line.get_source_display(),
        "amount_fen": line.amount_fen,
        "tilted": line.tilted,
        "tilt_note": line.tilt_note,
        "note": line.note,
        **({"months": {str(m): v for m, v in plan.items()}} if plan is not None else {}),
    }


def _plan(line: BudgetLine) -> dict[int, int]:
    stored = dict(MonthlyPlan.objects.filter(line=line).values_list("month", "amount_fen"))
    return {m: stored.get(m, 0) for m in range(1, 13)}


class LineIn(Schema):
    year: int
    area_code: str
    program: str
    source: str
    amount_fen: int
    tilted: bool = False
    tilt_note: str = ""
    note: str = ""


class LinePatch(Schema):
    amount_fen: int | None = None
    tilted: bool | None = None
    tilt_note: str | None = None
    note: str | None = None


class PlanIn(Schema):
    months: dict[str, int]


@router.get("/lines", summary="预算科目列表")
def list_lines(
    request: HttpRequest, year: int | None = None, area_code: str = "", program: str = "", source: str = ""
) -> dict[str, Any]:
    qs = BudgetLine.objects.visible_to(_view(request))
    if year:
        qs = qs.filter(year=year)
    if area_code:
        qs = qs.filter(area_code=area_code.ljust(12, "0"))
    if program:
        qs = qs.filter(program=program)
    if source:
        qs = qs.filter(source=source)
    rows = list(qs[:1000])
    return {"count": len(rows), "items": [line_out(x) for x in rows]}


@router.post("/lines", response={201: dict}, summary="新增预算科目（同一年度、区划、项目、来源不可重复）")
def create_line(request: HttpRequest, body: LineIn) -> Status[dict[str, Any]]:
    return Status(201, line_out(actions.create_budget_line(by=_actor(request), **body.dict())))


def _line(request: HttpRequest, line_id: int) -> BudgetLine:
    line: BudgetLine = get_object_or_404(BudgetLine.objects.visible_to(_view(request)), pk=line_id)
    return line


@router.get("/lines/{line_id}", summary="预算科目详情（含月度用款计划）")
def get_line(request: HttpRequest, line_id: int) -> dict[str, Any]:
    line = _line(request, line_id)
    return line_out(line, _plan(line))


@router.patch("/lines/{line_id}", summary="调整预算科目")
def update_line(request: HttpRequest, line_id: int, body: LinePatch) -> dict[str, Any]:
    line = actions.update_budget_line(_line(request, line_id), by=_actor(request), **body.dict())
    return line_out(line, _plan(line))


@router.put("/lines/{line_id}/plan", summary="设置月度用款计划（整年替换，合计不得超过年度预算）")
def set_plan(request: HttpRequest, line_id: int, body: PlanIn) -> dict[str, Any]:
    line = _line(request, line_id)
    actions.set_monthly_plan(line, by=_actor(request), months=body.months)
    return line_out(line, _plan(line))


@router.get("/execution", summary="预算执行情况（计划与实际发放按月对比；format=xlsx 导出Excel）")
def execution(
    request: HttpRequest, year: int | None = None, area_code: str = "", program: str = "", format: str = ""
) -> Any:
    user = _view(request)
    year = _year(year)
    report = queries.execution(user, year=year, root=queries.root_area(user, area_code), program=program)
    if format == "xlsx":
        return file_response(queries.execution_xlsx(report), f"预算执行-{year}.xlsx")
    root = report["root"]
    return {
        "year": year,
        "area_code": root.code if root else None,
        "rows": [{k: v for k, v in r.items() if k != "key"} for r in report["rows"]],
        "totals": report["totals"],
    }


@router.get("/sources", summary="预算按资金来源统计（含财政困难县倾斜、慈善捐赠收入）")
def sources(request: HttpRequest, year: int | None = None, area_code: str = "") -> dict[str, Any]:
    user = _view(request)
    return queries.by_source(user, year=_year(year), root=queries.root_area(user, area_code))


@router.get("/forecast", summary="全年资金需求预测与缺口")
def forecast(request: HttpRequest, year: int | None = None, area_code: str = "", as_of: dt.date | None = None) -> Any:
    user = _view(request)
    result = queries.forecast(user, year=_year(year), root=queries.root_area(user, area_code), as_of=as_of)
    return {**result, "as_of": result["as_of"].isoformat()}


# ---- fiscal powers -----------------------------------------------------------------------------


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
    rows = list(FiscalPower.objects.visible_to(_view(request)))
    return {"count": len(rows), "items": [power_out(p) for p in rows]}


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
    rows = list(FundPlan.objects.visible_to(_view(request)))
    return {"count": len(rows), "items": [plan_out(p) for p in rows]}


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
    qs = Incentive.objects.visible_to(_view(request))
    if year:
        qs = qs.filter(granted_on__year=year)
    if kind:
        qs = qs.filter(kind=kind)
    rows = list(qs[:1000])
    return {"count": len(rows), "items": [incentive_out(i) for i in rows]}


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
    qs = ServiceContract.objects.visible_to(_view(request))
    if line_id:
        qs = qs.filter(line_id=line_id)
    rows = list(qs[:1000])
    return {"count": len(rows), "items": [contract_out(c) for c in rows]}


@router.post("/contracts", response={201: dict}, summary="登记政府购买服务合同（计入所属预算科目）")
def create_contract(request: HttpRequest, body: ContractIn) -> Status[dict[str, Any]]:
    data = body.dict()
    line = _line(request, data.pop("line_id"))
    return Status(201, contract_out(actions.create_contract(line, by=_actor(request), **data)))


# ---- charity fund ---------------------------------------------------------------------------------


class AccountIn(Schema):
    area_code: str
    name: str = ""
    manager: str = ""
    note: str = ""


class InflowIn(Schema):
    amount_fen: int
    donor: str
    restricted_purpose: str = ""
    received_on: dt.date | None = None
    note: str = ""


class OutflowIn(Schema):
    amount_fen: int
    purpose: str
    application_id: int | None = None
    paid_on: dt.date | None = None
    note: str = ""


def account_out(row: dict[str, Any]) -> dict[str, Any]:
    a = row["account"]
    return {
        "id": a.pk,
        "area_code": a.area_code,
        "name": a.name,
        "manager": a.manager,
        "inflow_fen": row["inflow_fen"],
        "outflow_fen": row["outflow_fen"],
        "balance_fen": row["balance_fen"],
    }


def entry_out(e: CharityEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "kind_label": e.get_kind_display(),
        "amount_fen": e.amount_fen,
        "balance_after_fen": e.balance_after_fen,
        "donor": e.donor,
        "restricted_purpose": e.restricted_purpose,
        "purpose": e.purpose,
        "application_id": e.application_id,
        "occurred_on": e.occurred_on.isoformat(),
        "note": e.note,
    }


@router.get("/charity", summary="慈善救助资金账户及余额")
def list_accounts(request: HttpRequest) -> dict[str, Any]:
    rows = queries.charity_summary(list(CharityAccount.objects.visible_to(_view(request))))
    return {"count": len(rows), "items": [account_out(r) for r in rows]}


@router.post("/charity", response={201: dict}, summary="设立慈善救助资金账户")
def open_account(request: HttpRequest, body: AccountIn) -> Status[dict[str, Any]]:
    account = actions.open_charity_account(by=_actor(request), **body.dict())
    return Status(201, account_out(queries.charity_summary([account])[0]))


def _account(request: HttpRequest, account_id: int) -> CharityAccount:
    account: CharityAccount = get_object_or_404(CharityAccount.objects.visible_to(_view(request)), pk=account_id)
    return account


@router.get("/charity/{account_id}", summary="慈善救助资金收支明细")
def get_account(request: HttpRequest, account_id: int) -> dict[str, Any]:
    account = _account(request, account_id)
    entries = CharityEntry.objects.filter(account=account).order_by("-id")[:500]
    return {**account_out(queries.charity_summary([account])[0]), "entries": [entry_out(e) for e in entries]}


@router.post("/charity/{account_id}/inflows", response={201: dict}, summary="登记捐赠收入")
def inflow(request: HttpRequest, account_id: int, body: InflowIn) -> Status[dict[str, Any]]:
    return Status(
        201, entry_out(actions.charity_inflow(_account(request, account_id), by=_actor(request), **body.dict()))
    )


@router.post("/charity/{account_id}/outflows", response={201: dict}, summary="登记救助支出（余额不足时拒绝）")
def outflow(request: HttpRequest, account_id: int, body: OutflowIn) -> Status[dict[str, Any]]:
    return Status(
        201, entry_out(actions.charity_outflow(_account(request, account_id), by=_actor(request), **body.dict()))
    )


# ---- town reserve funds (备用金), at /api/v1/payments/reserves where they always were ---------------

reserve_router = Router(tags=["资金发放与动态管理"])


def _payments_view(request: HttpRequest) -> Any:
    user = _actor(request)
    require(user, "payments.view")
    return user


class ReserveIn(Schema):
    town_code: str
    low_balance_fen: int | None = None
    account_note: str = ""


class TopUpIn(Schema):
    amount_fen: int
    source: str = "fiscal"
    note: str = ""


def fund_out(row: dict[str, Any]) -> dict[str, Any]:
    fund = row["fund"]
    return {
        "id": fund.pk,
        "town_code": fund.area_code,
        "name": fund.name,
        "balance_fen": row["balance_fen"],
        "low_balance_fen": fund.low_balance_fen,
        "low_balance": row["low"],
        "disbursed_fen": row["disbursed_fen"],
        "top_up_fiscal_fen": row["top_up_fiscal_fen"],
        "top_up_donation_fen": row["top_up_donation_fen"],
    }


@reserve_router.get("/reserves", summary="临时救助备用金（余额、预警）", operation_id="jiuzhu_payments_api_reserves")
def reserves(request: HttpRequest) -> list[dict[str, Any]]:
    funds = list(ReserveFund.objects.visible_to(_payments_view(request)))
    return [fund_out(r) for r in queries.reserve_summary(funds)]


@reserve_router.post(
    "/reserves",
    response={201: dict},
    summary="设立镇（街道）备用金账户",
    operation_id="jiuzhu_payments_api_open_reserve",
)
def open_reserve(request: HttpRequest, body: ReserveIn) -> Status[dict[str, Any]]:
    fund = actions.open_reserve(
        by=_actor(request),
        town_code=body.town_code,
        low_balance_fen=body.low_balance_fen,
        account_note=body.account_note,
    )
    return Status(201, fund_out(queries.reserve_summary([fund])[0]))


def _fund(request: HttpRequest, fund_id: int) -> ReserveFund:
    fund: ReserveFund = get_object_or_404(ReserveFund.objects.visible_to(_payments_view(request)), pk=fund_id)
    return fund


@reserve_router.get("/reserves/{fund_id}", summary="备用金收支明细", operation_id="jiuzhu_payments_api_reserve")
def reserve(request: HttpRequest, fund_id: int) -> dict[str, Any]:
    fund = _fund(request, fund_id)
    entries = ReserveEntry.objects.filter(fund=fund).order_by("-id")[:500]
    return {
        **fund_out(queries.reserve_summary([fund])[0]),
        "entries": [
            {
                "id": e.pk,
                "kind": e.kind,
                "amount_fen": e.amount_fen,
                "balance_after_fen": e.balance_after_fen,
                "source": e.source,
                "application_id": e.application_id,
                "note": e.note,
                "created_at": e.created_at,
            }
            for e in entries
        ],
    }


@reserve_router.post(
    "/reserves/{fund_id}/top-ups", response={201: dict}, summary="拨付备用金", operation_id="jiuzhu_payments_api_top_up"
)
def top_up(request: HttpRequest, fund_id: int, body: TopUpIn) -> Status[dict[str, Any]]:
    entry = actions.top_up_reserve(
        _fund(request, fund_id), by=_actor(request), amount_fen=body.amount_fen, source=body.source, note=body.note
    )
    return Status(201, {"id": entry.pk, "balance_after_fen": entry.balance_after_fen})
