"""Payments API (资金发放与动态管理) at /api/v1/payments/: rosters and their jobs, bank files and
results, the ledger, reserve funds, reviews, stops, recoveries, statistics and reconciliation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from jiuzhu.accounts.permissions import require
from jiuzhu.applications.models import Application
from jiuzhu.core.errors import InvalidInput
from jiuzhu.web.files import file_response

from . import actions, queries
from .models import (
    EXCEPTION_LABELS,
    BankBatch,
    Benefit,
    CreditRecord,
    LedgerEntry,
    RepaymentPlan,
    ReserveEntry,
    ReserveFund,
    Roster,
    RosterLine,
    RosterRun,
)

router = Router(tags=["资金发放与动态管理"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _view(request: HttpRequest) -> Any:
    user = _actor(request)
    require(user, "payments.view")
    return user


def roster_out(r: Roster) -> dict[str, Any]:
    return {
        "id": r.pk,
        "area_code": r.area_code,
        "month": r.month.isoformat()[:7],
        "status": r.status,
        "status_label": r.get_status_display(),
        "line_count": r.line_count,
        "total_fen": r.total_fen,
        "exception_count": r.exception_count,
        "reconfirm_required": r.reconfirm_required,
        "summary": r.summary,
        "parameters_digest": r.parameters_digest,
        "lock_requested_by": getattr(r.lock_requested_by, "username", None),
        "locked_by": getattr(r.locked_by, "username", None),
        "batches": [
            {
                "id": b.pk,
                "seq": b.seq,
                "kind": b.kind,
                "status": b.status,
                "lines": b.line_count,
                "total_fen": b.total_fen,
            }
            for b in r.batches.all()
        ],
    }


def run_out(run: RosterRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "status": run.status,
        "phase": run.phase,
        "done": run.done,
        "total": run.total,
        "percent": run.percent,
        "error": run.error,
        "roster_id": run.roster_id,
        "attempts": run.attempts,
        "can_retry": run.status == "failed",
    }


def line_out(line: RosterLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "application_id": line.application_id,
        "household_id": line.household_id,
        "payee_id": line.payee_id,
        "payee_name": line.payee.name,
        "program": line.program,
        "area_code": line.area_code,
        "members": line.members,
        "amount_fen": line.amount_fen,
        "previous_fen": line.previous_fen,
        "change": line.change,
        "change_note": line.change_note,
        "exceptions": [{"code": c, "label": EXCEPTION_LABELS.get(c, c)} for c in line.exceptions],
        "status": line.status,
        "status_label": line.get_status_display(),
        "resolution_note": line.resolution_note,
    }


class RosterIn(Schema):
    area_code: str
    month: str
    refresh: bool = False


class NoteIn(Schema):
    note: str = ""
    reason: str = ""


class ResolveIn(Schema):
    decision: str
    note: str


class LayoutIn(Schema):
    layout_id: int | None = None


@router.get("/rosters", summary="花名册列表")
def list_rosters(request: HttpRequest, month: str = "", page: int = 1) -> dict[str, Any]:
    user = _view(request)
    qs = Roster.objects.visible_to(user).select_related("lock_requested_by", "locked_by")
    if month:
        qs = qs.filter(month=actions.parse_month(month))
    page = max(page, 1)
    rows = qs.order_by("-month", "area_code")[(page - 1) * 50 : page * 50]
    return {"count": qs.count(), "page": page, "items": [roster_out(r) for r in rows]}


@router.post("/rosters", response={200: dict, 202: dict}, summary="生成花名册（大区域在后台生成，返回任务进度）")
def create_roster(request: HttpRequest, body: RosterIn) -> Status[dict[str, Any]]:
    result = actions.request_roster(_actor(request), area_code=body.area_code, month=body.month, refresh=body.refresh)
    if isinstance(result, Roster):
        return Status(200, {"roster": roster_out(result)})
    return Status(202, {"run": run_out(result), "progress_url": f"/api/v1/payments/runs/{result.pk}"})


@router.get("/runs/{run_id}", summary="花名册生成进度（处理进程中断的任务显示为失败，可重试）")
def get_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    run = get_object_or_404(RosterRun.objects.visible_to(_view(request)), pk=run_id)
    if actions.recover_roster_runs(RosterRun.objects.filter(pk=run.pk)):
        run.refresh_from_db()
    return run_out(run)


@router.post("/runs/{run_id}/retry", response={202: dict}, summary="重试失败的花名册生成任务")
def retry_run(request: HttpRequest, run_id: int) -> Status[dict[str, Any]]:
    run = get_object_or_404(RosterRun.objects.visible_to(_view(request)), pk=run_id)
    run = actions.retry_roster_run(_actor(request), run)
    return Status(202, {"run": run_out(run), "progress_url": f"/api/v1/payments/runs/{run.pk}"})


def _roster(request: HttpRequest, roster_id: int) -> Roster:
    roster: Roster = get_object_or_404(Roster.objects.visible_to(_view(request)), pk=roster_id)
    return roster


@router.get("/rosters/{roster_id}", summary="花名册详情（与上月比较、异常统计）")
def get_roster(request: HttpRequest, roster_id: int) -> dict[str, Any]:
    return roster_out(_roster(request, roster_id))


@router.get("/rosters/{roster_id}/lines", summary="花名册明细（可按状态、异常、变化原因筛选）")
def roster_lines(
    request: HttpRequest,
    roster_id: int,
    status: str = "",
    exception: str = "",
    change: str = "",
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    roster = _roster(request, roster_id)
    qs = RosterLine.objects.filter(roster=roster)
    if status:
        qs = qs.filter(status=status)
    if exception == "any":
        qs = qs.exclude(exceptions=[])
    elif exception:
        qs = (
            qs.filter(exceptions__contains=[exception])
            if _json_contains()
            else qs.filter(exceptions__icontains=exception)
        )
    if change:
        qs = qs.filter(change=change)
    page_size, page = max(1, min(page_size, 500)), max(page, 1)
    rows = qs.select_related("payee").order_by("id")[(page - 1) * page_size : page * page_size]
    return {"count": qs.count(), "page": page, "items": [line_out(x) for x in rows]}


def _json_contains() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


ROSTER_ACTIONS = {"check", "request_lock", "cancel_lock", "confirm_lock", "reconfirm"}


@router.post(
    "/rosters/{roster_id}/actions/{name}",
    summary="花名册操作：check 核查、request_lock 提交锁定、confirm_lock 复核锁定（须另一人）、cancel_lock 退回、"
    "reconfirm 锁定后撤出明细的重新确认",
)
def roster_action(request: HttpRequest, roster_id: int, name: str, body: NoteIn) -> dict[str, Any]:
    user = _actor(request)
    roster = get_object_or_404(Roster.objects.visible_to(user), pk=roster_id)
    if name not in ROSTER_ACTIONS:
        raise InvalidInput("unknown_action", f"未知操作“{name}”", field="name")
    out: dict[str, Any] = {}
    if name == "check":
        out["check"] = actions.check_roster(user, roster)
    elif name == "request_lock":
        actions.request_lock(user, roster, note=body.note)
    elif name == "cancel_lock":
        actions.cancel_lock(user, roster, reason=body.reason or body.note)
    elif name == "reconfirm":
        actions.reconfirm_roster(user, roster, note=body.note or body.reason)
    else:
        actions.confirm_lock(user, roster)
    roster.refresh_from_db()
    return {**roster_out(roster), **out}


def _line(request: HttpRequest, line_id: int) -> RosterLine:
    line: RosterLine = get_object_or_404(RosterLine.objects.visible_to(_actor(request)), pk=line_id)
    return line


@router.post("/lines/{line_id}/resolve", summary="处理异常：hold 暂缓发放 / pay 确认发放")
def resolve(request: HttpRequest, line_id: int, body: ResolveIn) -> dict[str, Any]:
    line = actions.resolve_line(_actor(request), _line(request, line_id), decision=body.decision, note=body.note)
    return line_out(line)


@router.post("/lines/{line_id}/release", summary="补发暂缓发放的记录（随下一批重新发放）")
def release(request: HttpRequest, line_id: int, body: NoteIn) -> dict[str, Any]:
    return line_out(actions.release_line(_actor(request), _line(request, line_id), note=body.note or body.reason))


@router.get("/layouts", summary="银行文件格式")
def layouts(request: HttpRequest, county_code: str = "") -> list[dict[str, Any]]:
    user = _view(request)
    county = county_code or (user.area.county_code if getattr(user, "area", None) else "")
    return [
        {
            "id": x.pk,
            "code": x.code,
            "name": x.name,
            "file_format": x.file_format,
            "columns": x.columns,
            "result_columns": x.result_columns,
            "success_values": x.success_values,
            "is_default": x.is_default,
        }
        for x in actions.layouts_for(user, county)
    ]


@router.post("/rosters/{roster_id}/bank-file", summary="导出银行发放文件（首批）", response={200: None})
def export_bank(request: HttpRequest, roster_id: int, body: LayoutIn) -> HttpResponse:
    batch, content, name = actions.export_bank_file(_actor(request), _roster(request, roster_id), layout=body.layout_id)
    return file_response(content, name, {"X-Batch-Id": str(batch.pk)})


@router.post("/rosters/{roster_id}/reissue", summary="重新发放失败和补发的记录（新批次文件）", response={200: None})
def reissue(request: HttpRequest, roster_id: int, body: LayoutIn) -> HttpResponse:
    batch, content, name = actions.reissue(_actor(request), _roster(request, roster_id), layout=body.layout_id)
    return file_response(content, name, {"X-Batch-Id": str(batch.pk)})


def _batch(request: HttpRequest, batch_id: int) -> BankBatch:
    batch: BankBatch = get_object_or_404(
        BankBatch.objects.visible_to(_view(request)).select_related("roster", "layout"), pk=batch_id
    )
    return batch


@router.get("/batches/{batch_id}/file", summary="重新下载银行文件", response={200: None})
def download(request: HttpRequest, batch_id: int) -> HttpResponse:
    content, name = actions.bank_file(_actor(request), _batch(request, batch_id))
    return file_response(content, name)


@router.post("/batches/{batch_id}/results", summary="导入银行回盘文件（错误逐行报告；同一文件重复导入不重复记账）")
def results(request: HttpRequest, batch_id: int, file: File[UploadedFile]) -> dict[str, Any]:
    report = actions.import_bank_results(
        _actor(request), _batch(request, batch_id), file_name=file.name or "回盘", data=file.read()
    )
    return {**report.as_dict(), "message": report.message}


@router.get("/rosters/{roster_id}/reconciliation", summary="对账报告（format=xlsx 导出Excel）")
def reconciliation(request: HttpRequest, roster_id: int, format: str = "json") -> Any:
    roster = _roster(request, roster_id)
    rec = queries.reconciliation(roster)
    if format == "xlsx":
        return file_response(queries.reconciliation_xlsx(rec, roster), f"对账报告-{roster.month:%Y%m}.xlsx")
    return rec


def entry_out(e: LedgerEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "kind_label": e.get_kind_display(),
        "period": e.period,
        "amount_fen": e.amount_fen,
        "effect_fen": e.effect_fen,
        "attempt": e.attempt,
        "reason": e.reason,
        "source": e.source,
        "roster_id": e.roster_id,
        "reverses_id": e.reverses_id,
        "created_at": e.created_at,
    }


def _case(request: HttpRequest, application_id: int) -> Application:
    case: Application = get_object_or_404(Application.objects.visible_to(_view(request)), pk=application_id)
    return case


@router.get("/cases/{application_id}", summary="案件发放历史：待遇状态、台账明细与余额")
def case(request: HttpRequest, application_id: int) -> dict[str, Any]:
    app = _case(request, application_id)
    benefit = Benefit.objects.filter(application=app).first()
    return {
        "application_id": app.pk,
        "benefit": None
        if benefit is None
        else {
            "status": benefit.status,
            "start_month": benefit.start_month,
            "end_month": benefit.end_month,
            "stop_reason": benefit.stop_reason,
            "suspended_from": benefit.suspended_from,
            "suspend_reason": benefit.suspend_reason,
            "payee_id": benefit.payee_id,
            "next_review_on": benefit.next_review_on,
            "gradual_amount_fen": benefit.gradual_amount_fen,
        },
        "balance": actions.balance(app),
        "entries": [entry_out(e) for e in queries.case_history(app.pk)],
    }


class ReverseIn(Schema):
    reason: str
    amount_fen: int | None = None


@router.post("/ledger/{entry_id}/reverse", summary="冲回一笔实发（退汇或错账）")
def reverse(request: HttpRequest, entry_id: int, body: ReverseIn) -> dict[str, Any]:
    user = _actor(request)
    entry = get_object_or_404(LedgerEntry.objects.visible_to(user), pk=entry_id)
    return entry_out(actions.reverse_payment(user, entry, reason=body.reason, amount_fen=body.amount_fen))


# ---- reserve funds ---------------------------------------------------------------------------------


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


@router.get("/reserves", summary="临时救助备用金（余额、预警）")
def reserves(request: HttpRequest) -> list[dict[str, Any]]:
    funds = list(ReserveFund.objects.visible_to(_view(request)))
    return [fund_out(r) for r in queries.reserve_summary(funds)]


@router.post("/reserves", response={201: dict}, summary="设立镇（街道）备用金账户")
def open_reserve(request: HttpRequest, body: ReserveIn) -> Status[dict[str, Any]]:
    fund = actions.open_reserve(
        _actor(request), town_code=body.town_code, low_balance_fen=body.low_balance_fen, account_note=body.account_note
    )
    return Status(201, fund_out(queries.reserve_summary([fund])[0]))


def _fund(request: HttpRequest, fund_id: int) -> ReserveFund:
    fund: ReserveFund = get_object_or_404(ReserveFund.objects.visible_to(_view(request)), pk=fund_id)
    return fund


@router.get("/reserves/{fund_id}", summary="备用金收支明细")
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


@router.post("/reserves/{fund_id}/top-ups", response={201: dict}, summary="拨付备用金")
def top_up(request: HttpRequest, fund_id: int, body: TopUpIn) -> Status[dict[str, Any]]:
    entry = actions.top_up_reserve(
        _actor(request), _fund(request, fund_id), amount_fen=body.amount_fen, source=body.source, note=body.note
    )
    return Status(201, {"id": entry.pk, "balance_after_fen": entry.balance_after_fen})


# ---- recoveries -----------------------------------------------------------------------------------


class RecoveryIn(Schema):
    application_id: int
    reason: str
    note: str
    months: list[str]
    installments: list[dict[str, Any]] | None = None
    fraud_category: str = ""


def plan_out(p: RepaymentPlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "application_id": p.application_id,
        "total_fen": p.total_fen,
        "recovered_fen": actions.recovered(p),
        "reason": p.reason,
        "months": p.months,
        "installments": p.installments,
        "status": p.status,
        "note": p.note,
    }


@router.get("/recoveries", summary="追回计划")
def recoveries(request: HttpRequest) -> list[dict[str, Any]]:
    return [plan_out(p) for p in RepaymentPlan.objects.visible_to(_view(request))[:500]]


@router.post("/recoveries", response={201: dict}, summary="追回多发资金（分期计划；骗取的记入失信记录）")
def create_recovery(request: HttpRequest, body: RecoveryIn) -> Status[dict[str, Any]]:
    app = get_object_or_404(Application.objects.visible_to(_actor(request)), pk=body.application_id)
    plan = actions.create_recovery(
        _actor(request),
        app,
        reason=body.reason,
        note=body.note,
        months=body.months,
        installments=body.installments,
        fraud_category=body.fraud_category,
    )
    return Status(201, plan_out(plan))


class RepayIn(Schema):
    amount_fen: int
    note: str = ""


@router.post("/recoveries/{plan_id}/repayments", response={201: dict}, summary="登记退款")
def repay(request: HttpRequest, plan_id: int, body: RepayIn) -> Status[dict[str, Any]]:
    user = _actor(request)
    plan = get_object_or_404(RepaymentPlan.objects.visible_to(user), pk=plan_id)
    actions.record_repayment(user, plan, amount_fen=body.amount_fen, note=body.note)
    plan.refresh_from_db()
    return Status(201, plan_out(plan))


@router.get("/credit-records", summary="失信记录（SUP-6/7/8）")
def credit_records(request: HttpRequest) -> list[dict[str, Any]]:
    qs = CreditRecord.objects.visible_to(_view(request)).select_related("person")[:1000]
    return [
        {
            "id": c.pk,
            "person": c.person.name,
            "id_number": c.person.id_number_masked,
            "category": c.category,
            "category_label": c.get_category_display(),
            "facts": c.facts,
            "amount_fen": c.amount_fen,
            "decided_on": c.decided_on,
            "reported_at": c.reported_at,
        }
        for c in qs
    ]


@router.get("/stats", summary="资金统计：按月、项目、区域，及按保障对象需求（format=xlsx 导出Excel）")
def stats(request: HttpRequest, year: int | None = None, group: str = "town", format: str = "json") -> Any:
    user = _view(request)
    year = year or dt.date.today().year
    visible = LedgerEntry.objects.visible_to(user)
    rows = queries.funds_stats(visible, year=year, group=group)
    if format == "xlsx":
        return file_response(queries.stats_xlsx(rows), f"资金统计-{year}.xlsx")
    return {"rows": rows, "totals": queries.totals(rows), "by_need": queries.spending_by_need(visible, year=year)}


@router.get("/checks", summary="资金稽核：死亡后仍发放、多户共用账户（SUP-11）")
def checks(request: HttpRequest) -> dict[str, Any]:
    from jiuzhu.registry.models import Person

    user = _view(request)
    return {
        "payments_after_death": queries.payments_after_death(LedgerEntry.objects.visible_to(user)),
        "shared_accounts": queries.shared_accounts(Person.objects.visible_to(user)),
    }
