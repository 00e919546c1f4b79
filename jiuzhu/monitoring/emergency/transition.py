"""过渡期生活救助 (PRG-12): one month's aid to every relieved household of a period, for at most
the period's number of months, paid through the ordinary payment path: the month's amount is set
on each household's 急难型临时救助 case (``payments.actions.schedule_payments``), the month's
roster carries it, the lock books the entitlement (应发) and the bank's result the payment (实发).
Nothing is booked beside the roster, so the money is checked from the notice to the roster line,
the bank file and the ledger like every other benefit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.audit.log import record
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.payments import actions as payments

from ..campaigns import _county_staff
from ..models import Emergency, EmergencyHousehold
from ._common import _active


def _month(raw: Any, emergency: Emergency) -> dt.date:
    try:
        period = dt.date.fromisoformat(f"{str(raw)[:7]}-01")
    except ValueError:
        raise InvalidInput("invalid_month", "发放月份格式应为“2026-07”", field="month") from None
    if period < emergency.starts_on.replace(day=1):
        raise InvalidInput("invalid_month", "发放月份不能早于应急期开始月份", field="month")
    return period


def pay_transition_month(emergency: Emergency, *, by: User, month: Any) -> int:
    """One month of 过渡期生活救助 for every relieved household not yet given that month and
    not past the period's number of months: put on that month's roster. Returns the count."""
    _county_staff(by)
    require(by, "payments.fund")
    _active(emergency)
    period = _month(month, emergency)
    with transaction.atomic():
        rows = list(
            EmergencyHousehold.objects.select_for_update()
            .filter(emergency=emergency, application__isnull=False)
            .select_related("application")
            .order_by("area_code", "household_id")
        )
        if not rows:
            raise DomainError("nothing_to_pay", "尚无已先行救助的受灾户，不能发放过渡期生活救助")
        due = [r for r in rows if r.transition_months_paid < emergency.transition_months]
        amount = emergency.transition_monthly_fen
        note = f"过渡期生活救助（{emergency.name}，{month_label(period)}）"
        apps = [r.application for r in due if r.application is not None]
        scheduled = payments.schedule_payments(
            apps, by=by, month=period, amount_fen=amount, kind="transition", note=note
        )
        created = set(scheduled.created)
        paid = [r for r in due if r.application_id in created]
        if not paid:
            raise DomainError(
                "transition_done",
                f"{month_label(period)}的过渡期生活救助已发放，或各户已发满{emergency.transition_months}个月",
            )
        for row in paid:
            row.transition_months_paid += 1
            row.transition_fen += amount
            row.save(update_fields=["transition_months_paid", "transition_fen"])
        record(
            by,
            "monitoring.emergency.transition",
            emergency,
            area_code=emergency.area_code,
            changes={"month": f"{period:%Y-%m}", "households": len(paid), "amount_fen": amount * len(paid)},
        )
    return len(paid)
