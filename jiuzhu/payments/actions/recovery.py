"""追回 (SUP-*): overpaid months, repayment plans and credit reporting of fraud."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.money import format_yuan

from .. import ledger
from ..models import (
    FRAUD_CATEGORIES,
    MONTHLY_PROGRAMS,
    CreditRecord,
    LedgerEntry,
    RepaymentPlan,
    add_months,
    month_start,
)
from ..roster import config_for
from ._common import STOP_REASON_LABELS, _today, _who, parse_month
from .benefits import end_benefit, lock_benefit


def overpaid_months(application: Application, after: dt.date) -> list[tuple[dt.date, int]]:
    """Months after ``after`` with money paid and not yet taken back: payments − reversals +
    the (negative) adjustments already made for recovery."""
    net: dict[dt.date, int] = defaultdict(int)
    for period, kind, amount in LedgerEntry.objects.filter(
        application=application, period__gt=after, kind__in=("payment", "reversal", "adjustment")
    ).values_list("period", "kind", "amount_fen"):
        if kind == "payment":
            net[period] += amount
        elif kind == "reversal":
            net[period] -= amount
        elif amount < 0:
            net[period] += amount
    return sorted((p, v) for p, v in net.items() if v > 0)


def create_recovery(
    application: Application,
    *,
    by: User,
    reason: str,
    note: str,
    months: list[Any] | None = None,
    installments: list[dict[str, Any]] | None = None,
    fraud_category: str = "",
    stop: bool = True,
) -> RepaymentPlan:
    """追回 (DYN-3, SUP-11): money paid for months the family was not entitled to (late death
    data, fraud) is taken back off the entitlement (negative adjustments) and a repayment
    plan is set; fraud also stops the benefit and writes a 失信 record."""
    require(by, "payments.decide")
    require_in_scope(by=by, area_code=application.area_code)
    if reason not in STOP_REASON_LABELS:
        raise InvalidInput("invalid_choice", "追回原因无效", field="reason")
    if not (note or "").strip():
        raise InvalidInput("required", "请填写追回事实", field="note")
    if fraud_category and fraud_category not in dict(FRAUD_CATEGORIES):
        raise InvalidInput("invalid_choice", "失信类型无效", field="fraud_category")
    if reason == "fraud" and not fraud_category:
        raise InvalidInput("required", "骗取救助须选择失信类型（虚报、隐瞒、伪造等）", field="fraud_category")
    chosen = sorted({parse_month(m, "months") for m in months or []})
    with transaction.atomic():
        app = Application.objects.select_for_update().select_related("intake").get(pk=application.pk)
        paid = dict(overpaid_months(app, dt.date(1900, 1, 1)))
        if not chosen:
            raise InvalidInput("required", "请选择需要追回的月份", field="months")
        missing = [m for m in chosen if m not in paid]
        if missing:
            raise InvalidInput(
                "not_paid",
                f"{'、'.join(month_label(m) for m in missing)}没有实发记录或已追回，不能追回",
                field="months",
            )
        total = sum(paid[m] for m in chosen)
        plan_rows = _installments(installments, total, app.county_code)
        plan = RepaymentPlan.objects.create(
            application=app,
            person_id=app.applicant_id,
            area_code=app.area_code,
            county_code=app.county_code,
            total_fen=total,
            reason=reason,
            note=note.strip()[:200],
            months=[m.isoformat() for m in chosen],
            installments=plan_rows,
            created_by=_who(by),
        )
        for m in chosen:
            ledger.book(
                "adjustment",
                ledger.Party.of_application(app),
                by=by,
                period=m,
                amount_fen=-paid[m],
                reason=f"{month_label(m)}不应发放（{STOP_REASON_LABELS[reason]}），转入追回",
                source="correction",
                plan=plan,
            )
        if fraud_category:
            CreditRecord.objects.create(
                person_id=app.applicant_id,
                household_id=app.household_id,
                application=app,
                plan=plan,
                area_code=app.area_code,
                county_code=app.county_code,
                category=fraud_category,
                facts=note.strip(),
                amount_fen=total,
                decided_on=_today(),
                recorded_by=_who(by),
            )
        if stop and app.program in MONTHLY_PROGRAMS:
            benefit = lock_benefit(app)
            if benefit.status != "stopped":
                last = add_months(min(chosen), -1) if reason in ("death", "fraud") else month_start(_today())
                end_benefit(
                    app, benefit, by=by, reason=reason, note=note, last_month=last, recovery_fen=total
                )  # pulls too
        record(
            by,
            "payments.recovery.create",
            app,
            changes={
                "plan": plan.pk,
                "total_fen": total,
                "months": chosen,
                "reason": reason,
                "fraud": fraud_category,
            },
        )
    return plan


def _installments(rows: list[dict[str, Any]] | None, total: int, county_code: str) -> list[dict[str, Any]]:
    if not rows:  # one payment, due after the county's 缴回期限 (a dated setting)
        days = config_for(county_code, _today()).recovery_due_days
        return [{"due_on": (_today() + dt.timedelta(days=days)).isoformat(), "amount_fen": total}]
    out: list[dict[str, Any]] = []
    for i, r in enumerate(rows):
        try:
            due = dt.date.fromisoformat(str(r.get("due_on")))
            amount = int(r.get("amount_fen", 0))
        except (TypeError, ValueError):
            raise InvalidInput(
                "invalid_installment", f"第{i + 1}期的日期或金额格式不正确", field=f"installments[{i}]"
            ) from None
        if amount <= 0:
            raise InvalidInput("invalid_installment", f"第{i + 1}期金额应大于0", field=f"installments[{i}]")
        out.append({"due_on": due.isoformat(), "amount_fen": amount})
    if sum(r["amount_fen"] for r in out) != total:
        raise InvalidInput(
            "installments_mismatch", f"分期金额合计应等于应追回金额{format_yuan(total)}", field="installments"
        )
    return sorted(out, key=lambda r: r["due_on"])


def recovered(plan: RepaymentPlan) -> int:
    return int(LedgerEntry.objects.filter(plan=plan, kind="recovery").aggregate(t=Sum("amount_fen"))["t"] or 0)


def record_repayment(plan: RepaymentPlan, *, by: User, amount_fen: int, note: str = "") -> LedgerEntry:
    """退款到账: a recovery (追回) entry; the plan is settled when fully repaid."""
    require(by, "payments.decide")
    require_in_scope(by=by, area_code=plan.area_code)
    with transaction.atomic():
        plan = RepaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status == "settled":
            raise DomainError("plan_settled", "该追回计划已全部追回")
        left = plan.total_fen - recovered(plan)
        if amount_fen <= 0 or amount_fen > left:
            raise InvalidInput(
                "invalid_amount", f"退款金额应大于0且不超过尚欠金额{format_yuan(left)}", field="amount_fen"
            )
        app = plan.application
        entry = ledger.book(
            "recovery",
            ledger.Party(app.pk, plan.person_id, app.household_id, app.program, plan.area_code, plan.county_code),
            by=by,
            amount_fen=amount_fen,
            reason=f"追回退款{('：' + note.strip()) if note.strip() else ''}",
            source="repayment",
            plan=plan,
        )
        if amount_fen == left:
            plan.status = "settled"
            plan.save(update_fields=["status"])
        record(by, "payments.recovery.repay", plan, changes={"amount_fen": amount_fen, "left_fen": left - amount_fen})
    return entry


def mark_credit_reported(records: list[CreditRecord], *, by: User) -> int:
    """SUP-7: the 失信 records were sent to the credit-information platform."""
    require(by, "payments.decide")
    ids = [r.pk for r in records if r.reported_at is None]
    for r in records:
        require_in_scope(by=by, area_code=r.area_code)
    with transaction.atomic():
        n = CreditRecord.objects.filter(pk__in=ids, reported_at__isnull=True).update(reported_at=timezone.now())
        if n:
            record(by, "payments.credit.reported", None, area_code=records[0].area_code, changes={"records": ids})
    return n
