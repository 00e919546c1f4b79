"""财政事权清单 (FND-6), multi-year fund plans such as 十四五 (FND-9) and incentives for social
forces (FND-10)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import SystemActor, user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput

from ..models import INCENTIVE_KINDS, SHARE_LEVELS, FiscalPower, FundPlan, Incentive, PlanTarget
from ._common import EDIT, _amount, _area, _credit_code, _date, _program, _text, _year

# ==== fiscal powers (FND-6) ======================================================================


def set_fiscal_power(
    *,
    by: User | SystemActor,
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
    *, by: User | SystemActor, county_code: str, name: str, start_year: Any, end_year: Any, note: str = ""
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


def set_plan_targets(
    plan: FundPlan, *, by: User | SystemActor, program: str, targets: Mapping[Any, Any]
) -> dict[int, int]:
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
    *,
    by: User | SystemActor,
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
