"""预算科目 (FND-1, FND-11), 月度用款计划 (FND-5) and the purchase-of-service contracts charged
to a budget line (FND-12)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import SystemActor, user_or_none
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.money import format_yuan

from ..models import FUND_PROGRAM_LABELS, FUND_SOURCE_LABELS, MONTHS, BudgetLine, MonthlyPlan, ServiceContract
from ._common import EDIT, _amount, _area, _credit_code, _date, _program, _source, _text, _year

# ==== budget lines and monthly plans (FND-1, FND-5, FND-11) ======================================


def planned(line: BudgetLine) -> int:
    return int(MonthlyPlan.objects.filter(line=line).aggregate(t=Sum("amount_fen"))["t"] or 0)


def contracted(line: BudgetLine) -> int:
    return int(ServiceContract.objects.filter(line=line).aggregate(t=Sum("amount_fen"))["t"] or 0)


def _duplicate(area: Area, year: int, program: str, source: str) -> DomainError:
    return DomainError(
        "duplicate_budget_line",
        f"{area.name}{year}年{FUND_PROGRAM_LABELS[program]}（{FUND_SOURCE_LABELS[source]}）的预算科目已存在，"
        "请修改原科目的金额",
        field="source",
    )


def create_budget_line(
    *,
    by: User | SystemActor,
    year: Any,
    area_code: str,
    program: str,
    source: str,
    amount_fen: Any,
    tilted: bool = False,
    tilt_note: str = "",
    note: str = "",
) -> BudgetLine:
    """编制预算科目 (FND-1, FND-11): one year, county or town, programme and source of funds."""
    require(by, EDIT)
    area = _area(area_code)
    require_in_scope(by=by, area_code=area.code)
    year, program, source = _year(year), _program(program), _source(source)
    amount = _amount(amount_fen)
    tilt_note = _text(tilt_note, "tilt_note", "倾斜说明", max_length=200, required=False)
    if tilted and not tilt_note:
        raise InvalidInput("required", "勾选财政困难县倾斜时，请写明倾斜依据或说明", field="tilt_note")
    note = _text(note, "note", "预算文号或说明", max_length=200, required=False)
    with transaction.atomic():
        if BudgetLine.objects.filter(year=year, area_code=area.code, program=program, source=source).exists():
            raise _duplicate(area, year, program, source)
        try:
            with transaction.atomic():
                line = BudgetLine.objects.create(
                    year=year,
                    area_code=area.code,
                    county_code=area.county_code,
                    program=program,
                    source=source,
                    amount_fen=amount,
                    tilted=bool(tilted),
                    tilt_note=tilt_note,
                    note=note,
                    created_by=user_or_none(by),
                )
        except IntegrityError:  # two clerks at once: the unique index decides
            raise _duplicate(area, year, program, source) from None
        record(
            by,
            "funds.line.create",
            line,
            changes={"year": year, "program": program, "source": source, "amount_fen": amount, "tilted": tilted},
        )
    return line


def update_budget_line(
    line: BudgetLine,
    *,
    by: User | SystemActor,
    amount_fen: Any = None,
    tilted: bool | None = None,
    tilt_note: str | None = None,
    note: str | None = None,
) -> BudgetLine:
    """调整预算 (FND-5): never below what the monthly plan or the contracts already take."""
    require(by, EDIT)
    require_in_scope(by=by, area_code=line.area_code)
    with transaction.atomic():
        line = BudgetLine.objects.select_for_update().get(pk=line.pk)
        changes: dict[str, Any] = {}
        if amount_fen is not None:
            amount = _amount(amount_fen)
            plan_total, contract_total = planned(line), contracted(line)
            if amount < plan_total:
                raise InvalidInput(
                    "plan_exceeds_budget",
                    f"月度用款计划合计{format_yuan(plan_total)}将超过调整后的年度预算{format_yuan(amount)}，"
                    "请先调减月度用款计划",
                    field="amount_fen",
                )
            if amount < contract_total:
                raise DomainError(
                    "contract_exceeds_budget",
                    f"已签订的政府购买服务合同合计{format_yuan(contract_total)}，年度预算不能调减到"
                    f"{format_yuan(amount)}",
                    field="amount_fen",
                )
            if amount != line.amount_fen:
                changes["amount_fen"] = [line.amount_fen, amount]
                line.amount_fen = amount
        if tilted is not None and bool(tilted) != line.tilted:
            changes["tilted"] = [line.tilted, bool(tilted)]
            line.tilted = bool(tilted)
        if tilt_note is not None:
            text = _text(tilt_note, "tilt_note", "倾斜说明", max_length=200, required=False)
            if text != line.tilt_note:
                changes["tilt_note"] = [line.tilt_note, text]
                line.tilt_note = text
        if line.tilted and not line.tilt_note:
            raise InvalidInput("required", "勾选财政困难县倾斜时，请写明倾斜依据或说明", field="tilt_note")
        if note is not None:
            text = _text(note, "note", "预算文号或说明", max_length=200, required=False)
            if text != line.note:
                changes["note"] = [line.note, text]
                line.note = text
        if changes:
            line.save()
            record(by, "funds.line.update", line, changes=changes)
    return line


def _month_key(raw: Any) -> int:
    try:
        month = int(raw)
    except (TypeError, ValueError):
        month = 0
    if month not in MONTHS:
        raise InvalidInput("invalid_month", "月份应为1至12", field="months")
    return month


def set_monthly_plan(
    line: BudgetLine, *, by: User | SystemActor, months: Mapping[Any, Any] | list[Any]
) -> dict[int, int]:
    """月度用款计划 (FND-5): the whole year's plan at once; months not given plan nothing. The
    plan may not exceed the annual budget (``plan_exceeds_budget``)."""
    require(by, EDIT)
    require_in_scope(by=by, area_code=line.area_code)
    items = list(enumerate(months, start=1)) if isinstance(months, list) else list(months.items())
    if isinstance(months, list) and len(months) > 12:
        raise InvalidInput("invalid_month", "月度用款计划最多12个月", field="months")
    plan: dict[int, int] = {}
    for key, value in items:
        month = _month_key(key)
        if value in (None, ""):
            continue
        plan[month] = plan.get(month, 0) + _amount(value, f"months.{month}")
    total = sum(plan.values())
    with transaction.atomic():
        line = BudgetLine.objects.select_for_update().get(pk=line.pk)
        if total > line.amount_fen:
            raise InvalidInput(
                "plan_exceeds_budget",
                f"月度用款计划合计{format_yuan(total)}超过年度预算{format_yuan(line.amount_fen)}，"
                f"超出{format_yuan(total - line.amount_fen)}",
                field="months",
            )
        before = dict(MonthlyPlan.objects.filter(line=line).values_list("month", "amount_fen"))
        MonthlyPlan.objects.filter(line=line).delete()
        MonthlyPlan.objects.bulk_create(
            [MonthlyPlan(line=line, month=m, amount_fen=v) for m, v in sorted(plan.items()) if v]
        )
        record(
            by,
            "funds.line.plan",
            line,
            changes={
                "before": {str(m): v for m, v in before.items()},
                "months": {str(m): v for m, v in plan.items()},
                "total_fen": total,
                "budget_fen": line.amount_fen,
            },
        )
    return {m: plan.get(m, 0) for m in MONTHS}


# ==== purchase-of-service contracts (FND-12) =====================================================


def create_contract(
    line: BudgetLine,
    *,
    by: User | SystemActor,
    provider: str,
    content: str,
    amount_fen: Any,
    start_on: Any,
    end_on: Any,
    number: str = "",
    provider_credit_code: str = "",
) -> ServiceContract:
    """政府购买服务合同 (FND-12): charged to a budget line; the line's contracts may not exceed
    its annual budget (``contract_exceeds_budget``)."""
    require(by, EDIT)
    require_in_scope(by=by, area_code=line.area_code)
    provider = _text(provider, "provider", "服务承接方", max_length=100)
    content = _text(content, "content", "服务内容", max_length=300)
    amount = _amount(amount_fen, positive=True)
    start, end = _date(start_on, "start_on"), _date(end_on, "end_on")
    if end < start:
        raise InvalidInput("invalid_period", "服务期止不能早于服务期起", field="end_on")
    if not start.year <= line.year <= end.year:
        raise InvalidInput("period_outside_year", f"服务期应覆盖预算科目所属的{line.year}年度", field="start_on")
    credit = _credit_code(provider_credit_code, "provider_credit_code")
    number = _text(number, "number", "合同编号", max_length=48, required=False)
    with transaction.atomic():
        line = BudgetLine.objects.select_for_update().get(pk=line.pk)
        committed = contracted(line)
        if committed + amount > line.amount_fen:
            raise DomainError(
                "contract_exceeds_budget",
                f"预算科目余额不足：年度预算{format_yuan(line.amount_fen)}，已签合同{format_yuan(committed)}，"
                f"本合同{format_yuan(amount)}",
                field="amount_fen",
            )
        contract = ServiceContract.objects.create(
            line=line,
            area_code=line.area_code,
            county_code=line.county_code,
            number=number,
            provider=provider,
            provider_credit_code=credit,
            content=content,
            amount_fen=amount,
            start_on=start,
            end_on=end,
            created_by=user_or_none(by),
        )
        record(
            by,
            "funds.contract.create",
            contract,
            changes={"line": line.pk, "provider": provider, "amount_fen": amount, "committed_fen": committed + amount},
        )
    return contract
