"""State changes of 资金预算与统筹. Each checks permission, input and jurisdiction, runs in one
transaction with its rows locked, and writes its audit row there. Views and the API call these
only. Amounts are integer fen; a negative amount is refused with the field it came from."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.applications.models import Application
from jiuzhu.areas.models import Area, full_code
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput, NotFound
from jiuzhu.core.money import format_yuan

from .models import (
    FUND_PROGRAM_LABELS,
    FUND_SOURCE_LABELS,
    INCENTIVE_KINDS,
    MONTHS,
    SHARE_LEVELS,
    BudgetLine,
    CharityAccount,
    CharityEntry,
    FiscalPower,
    FundPlan,
    Incentive,
    MonthlyPlan,
    PlanTarget,
    ServiceContract,
)

EDIT = "funds.edit"
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
MIN_YEAR, MAX_YEAR = 2000, 2100


# ==== input checks ==============================================================================


def _area(code: Any, *, field: str = "area_code", levels: tuple[str, ...] = ("county", "town")) -> Area:
    text = str(code or "").strip()
    area = Area.objects.filter(code=full_code(text)).first() if text.isdigit() and len(text) <= 12 else None
    if area is None or area.level not in levels:
        what = "县（区）或镇（街道）" if len(levels) > 1 else "县（区）"
        raise InvalidInput("invalid_area", f"区划应为{what}，请填写6位县级或9位镇级区划代码", field=field)
    return area


def _year(raw: Any, field: str = "year") -> int:
    try:
        year = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_year", "年度应为四位数字，如2026", field=field) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput("invalid_year", f"年度应在{MIN_YEAR}至{MAX_YEAR}之间", field=field)
    return year


def _amount(raw: Any, field: str = "amount_fen", *, positive: bool = False) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        try:
            amount = int(raw)
        except (TypeError, ValueError):
            raise InvalidInput("invalid_amount", "金额格式不正确", field=field) from None
    else:
        amount = raw
    if amount < 0:
        raise InvalidInput("invalid_amount", "金额不能为负数", field=field)
    if positive and amount == 0:
        raise InvalidInput("invalid_amount", "金额应大于0", field=field)
    return amount


def _program(code: str) -> str:
    if code not in FUND_PROGRAM_LABELS:
        raise InvalidInput("invalid_program", "请选择救助项目", field="program")
    return code


def _source(code: str) -> str:
    if code not in FUND_SOURCE_LABELS:
        raise InvalidInput("invalid_source", "资金来源应为本级财政、上级补助、社会捐赠或其他", field="source")
    return code


def _date(raw: Any, field: str, default: dt.date | None = None) -> dt.date:
    if raw in (None, "") and default is not None:
        return default
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise InvalidInput("invalid_date", "日期格式应为YYYY-MM-DD", field=field) from None


def _text(raw: Any, field: str, label: str, *, max_length: int, required: bool = True) -> str:
    text = str(raw or "").strip()
    if required and not text:
        raise InvalidInput("required", f"请填写{label}", field=field)
    if len(text) > max_length:
        raise InvalidInput("too_long", f"{label}不能超过{max_length}个字", field=field)
    return text


def _credit_code(raw: Any, field: str) -> str:
    code = str(raw or "").strip().upper()
    if code and not CREDIT_CODE.match(code):
        raise InvalidInput("invalid_credit_code", "统一社会信用代码应为18位数字或大写字母", field=field)
    return code


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
    by: Any,
    *,
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
    by: Any,
    line: BudgetLine,
    *,
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


def set_monthly_plan(by: Any, line: BudgetLine, *, months: Mapping[Any, Any] | list[Any]) -> dict[int, int]:
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


# ==== fiscal powers (FND-6) ======================================================================


def set_fiscal_power(
    by: Any,
    *,
    county_code: str,
    program: str,
    shares: Mapping[str, Any],
    department: str,
    legal_basis: str,
    note: str = "",
) -> FiscalPower:
    """财政事权清单 (FND-6): per programme the shares borne by 中央/省/市/县/镇 (percent, summing
    to 100), the department responsible for spending and the legal basis. Creates or replaces."""
    require(by, EDIT)
    area = _area(county_code, field="county_code", levels=("county",))
    require_in_scope(by=by, area_code=area.code)
    program = _program(program)
    known = {level for level, _ in SHARE_LEVELS}
    unknown = set(shares) - known
    if unknown:
        raise InvalidInput("invalid_share", "分担层级应为中央、省、市、县（区）、镇（街道）", field="shares")
    values: dict[str, int] = {}
    for level, label in SHARE_LEVELS:
        raw = shares.get(level) or 0
        try:
            pct = int(raw)
        except (TypeError, ValueError):
            raise InvalidInput("invalid_share", f"{label}承担比例应为0至100的整数", field=f"shares.{level}") from None
        if not 0 <= pct <= 100:
            raise InvalidInput("invalid_share", f"{label}承担比例应为0至100的整数", field=f"shares.{level}")
        values[f"{level}_pct"] = pct
    total = sum(values.values())
    if total != 100:
        raise InvalidInput("shares_not_100", f"各级承担比例合计应为100%，当前合计{total}%", field="shares")
    department = _text(department, "department", "支出责任部门", max_length=64)
    legal_basis = _text(legal_basis, "legal_basis", "政策依据", max_length=2000)
    note = _text(note, "note", "说明", max_length=200, required=False)
    with transaction.atomic():
        power = FiscalPower.objects.select_for_update().filter(county_code=area.county_code, program=program).first()
        before = {**power.shares, "department": power.department, "legal_basis": power.legal_basis} if power else None
        if power is None:
            power = FiscalPower(county_code=area.county_code, program=program)
        for k, v in values.items():
            setattr(power, k, v)
        power.department, power.legal_basis, power.note = department, legal_basis, note
        power.updated_by = user_or_none(by)
        power.save()
        record(
            by,
            "funds.fiscal_power.set",
            power,
            area_code=area.code,
            changes={"program": program, "before": before, "shares": power.shares, "department": department},
        )
    return power


# ==== multi-year fund plans (FND-9) ==============================================================


def create_fund_plan(
    by: Any, *, county_code: str, name: str, start_year: Any, end_year: Any, note: str = ""
) -> FundPlan:
    """资金规划 such as 十四五 (FND-9): a named range of years of one county."""
    require(by, EDIT)
    area = _area(county_code, field="county_code", levels=("county",))
    require_in_scope(by=by, area_code=area.code)
    name = _text(name, "name", "规划名称", max_length=64)
    start, end = _year(start_year, "start_year"), _year(end_year, "end_year")
    if end < start:
        raise InvalidInput("invalid_years", "截止年度不能早于起始年度", field="end_year")
    if end - start >= 10:
        raise InvalidInput("invalid_years", "规划期最长10年", field="end_year")
    with transaction.atomic():
        if FundPlan.objects.filter(county_code=area.county_code, name=name).exists():
            raise DomainError("duplicate_plan", f"已有名为“{name}”的资金规划", field="name")
        plan = FundPlan.objects.create(
            county_code=area.county_code,
            area_code=area.code,
            name=name,
            start_year=start,
            end_year=end,
            note=_text(note, "note", "说明", max_length=200, required=False),
            created_by=user_or_none(by),
        )
        record(by, "funds.plan.create", plan, changes={"name": name, "start_year": start, "end_year": end})
    return plan


def set_plan_targets(by: Any, plan: FundPlan, *, program: str, targets: Mapping[Any, Any]) -> dict[int, int]:
    """规划年度目标 (FND-9): the yearly amounts of one programme; years outside the plan are refused."""
    require(by, EDIT)
    require_in_scope(by=by, area_code=plan.area_code)
    program = _program(program)
    values: dict[int, int] = {}
    for raw_year, raw_amount in targets.items():
        year = _year(raw_year, "targets")
        if not plan.start_year <= year <= plan.end_year:
            raise InvalidInput(
                "year_out_of_plan", f"{year}年不在规划期{plan.start_year}—{plan.end_year}年内", field="targets"
            )
        if raw_amount in (None, ""):
            continue
        values[year] = _amount(raw_amount, f"targets.{year}")
    with transaction.atomic():
        plan = FundPlan.objects.select_for_update().get(pk=plan.pk)
        for year, amount in values.items():
            PlanTarget.objects.update_or_create(plan=plan, program=program, year=year, defaults={"amount_fen": amount})
        record(
            by,
            "funds.plan.targets",
            plan,
            changes={"program": program, "targets": {str(y): v for y, v in values.items()}},
        )
    return values


# ==== incentives for social forces (FND-10) ======================================================


def record_incentive(
    by: Any,
    *,
    area_code: str,
    kind: str,
    organisation: str,
    amount_fen: Any,
    granted_on: Any,
    basis: str,
    credit_code: str = "",
    note: str = "",
) -> Incentive:
    """登记社会力量激励 (FND-10): 税收优惠、资金奖补或费用减免 to an organisation."""
    require(by, EDIT)
    area = _area(area_code)
    require_in_scope(by=by, area_code=area.code)
    if kind not in dict(INCENTIVE_KINDS):
        raise InvalidInput("invalid_kind", "激励方式应为税收优惠、资金奖补或费用减免", field="kind")
    values = {
        "organisation": _text(organisation, "organisation", "受益社会组织或企业", max_length=100),
        "credit_code": _credit_code(credit_code, "credit_code"),
        "amount_fen": _amount(amount_fen, positive=True),
        "granted_on": _date(granted_on, "granted_on"),
        "basis": _text(basis, "basis", "政策依据", max_length=200),
        "note": _text(note, "note", "说明", max_length=200, required=False),
    }
    with transaction.atomic():
        incentive = Incentive.objects.create(
            area_code=area.code, county_code=area.county_code, kind=kind, created_by=user_or_none(by), **values
        )
        record(by, "funds.incentive.record", incentive, changes={"kind": kind, **values})
    return incentive


# ==== purchase-of-service contracts (FND-12) =====================================================


def create_contract(
    by: Any,
    line: BudgetLine,
    *,
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


# ==== charity assistance fund (FND-15) ===========================================================


def open_charity_account(
    by: Any, *, area_code: str, name: str = "", manager: str = "", note: str = ""
) -> CharityAccount:
    """设立慈善救助资金账户 (FND-15) for a county or town."""
    require(by, EDIT)
    area = _area(area_code)
    require_in_scope(by=by, area_code=area.code)
    with transaction.atomic():
        if CharityAccount.objects.filter(area_code=area.code).exists():
            raise DomainError("charity_account_exists", f"{area.name}已设立慈善救助资金账户", field="area_code")
        account = CharityAccount.objects.create(
            area_code=area.code,
            county_code=area.county_code,
            name=_text(name, "name", "账户名称", max_length=64, required=False) or f"{area.name}慈善救助资金",
            manager=_text(manager, "manager", "管理单位", max_length=64, required=False),
            note=_text(note, "note", "说明", max_length=200, required=False),
        )
        record(by, "funds.charity.open", account, changes={"name": account.name})
    return account


def charity_balance(account: CharityAccount) -> int:
    last = (
        CharityEntry.objects.filter(account=account).order_by("-id").values_list("balance_after_fen", flat=True).first()
    )
    return int(last or 0)


def charity_inflow(
    by: Any,
    account: CharityAccount,
    *,
    amount_fen: Any,
    donor: str,
    restricted_purpose: str = "",
    received_on: Any = None,
    note: str = "",
) -> CharityEntry:
    """慈善捐赠收入 (FND-15): donor, amount and the use the donor restricted it to."""
    require(by, EDIT)
    require_in_scope(by=by, area_code=account.area_code)
    amount = _amount(amount_fen, positive=True)
    donor = _text(donor, "donor", "捐赠人", max_length=100)
    restricted = _text(restricted_purpose, "restricted_purpose", "限定用途", max_length=200, required=False)
    day = _date(received_on, "received_on", timezone.localdate())
    with transaction.atomic():
        account = CharityAccount.objects.select_for_update().get(pk=account.pk)
        entry = CharityEntry.objects.create(
            account=account,
            kind="inflow",
            amount_fen=amount,
            balance_after_fen=charity_balance(account) + amount,
            donor=donor,
            restricted_purpose=restricted,
            area_code=account.area_code,
            occurred_on=day,
            note=_text(note, "note", "说明", max_length=200, required=False),
            created_by=user_or_none(by),
        )
        record(
            by,
            "funds.charity.inflow",
            account,
            changes={
                "amount_fen": amount,
                "donor": donor,
                "restricted_purpose": restricted,
                "balance_fen": entry.balance_after_fen,
            },
        )
    return entry


def charity_outflow(
    by: Any,
    account: CharityAccount,
    *,
    amount_fen: Any,
    purpose: str,
    application_id: Any = None,
    paid_on: Any = None,
    note: str = "",
) -> CharityEntry:
    """慈善救助支出 (FND-15): refused when the balance would go below zero; linked to the
    救助申请 it relieves when given (which must lie in the account's and the actor's area)."""
    require(by, EDIT)
    require_in_scope(by=by, area_code=account.area_code)
    amount = _amount(amount_fen, positive=True)
    purpose = _text(purpose, "purpose", "支出用途", max_length=200)
    day = _date(paid_on, "paid_on", timezone.localdate())
    application = None
    if application_id not in (None, ""):
        try:
            app_pk = int(application_id)
        except (TypeError, ValueError):
            raise InvalidInput("invalid_application", "救助申请编号应为数字", field="application_id") from None
        application = Application.objects.filter(pk=app_pk).first()
        if application is None or not application.area_code.startswith(_prefix(account.area_code)):
            raise NotFound("application_not_found", "救助申请不存在或不在本账户管辖范围内")
        require_in_scope(by=by, area_code=application.area_code)
    with transaction.atomic():
        account = CharityAccount.objects.select_for_update().get(pk=account.pk)
        current = charity_balance(account)
        if amount > current:
            raise DomainError(
                "charity_insufficient",
                f"慈善救助资金余额不足：当前余额{format_yuan(current)}，本次支出{format_yuan(amount)}，"
                "支出后余额不能为负数",
                field="amount_fen",
            )
        entry = CharityEntry.objects.create(
            account=account,
            kind="outflow",
            amount_fen=amount,
            balance_after_fen=current - amount,
            purpose=purpose,
            application=application,
            area_code=application.area_code if application else account.area_code,
            occurred_on=day,
            note=_text(note, "note", "说明", max_length=200, required=False),
            created_by=user_or_none(by),
        )
        record(
            by,
            "funds.charity.outflow",
            account,
            changes={
                "amount_fen": amount,
                "purpose": purpose,
                "application": application.pk if application else None,
                "balance_fen": entry.balance_after_fen,
            },
        )
    return entry


def _prefix(area_code: str) -> str:
    return area_code[:9] if area_code[6:9] != "000" else area_code[:6]
