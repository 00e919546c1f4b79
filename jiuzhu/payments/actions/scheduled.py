"""专项发放 (PRG-12): one month's amount set on cases by a higher app (过渡期生活救助 of an
应急期), paid through the month's roster and bank file like every benefit — the lock books the
entitlement, the bank's result the payment. Nothing is booked in the ledger here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from jiuzhu.accounts.models import User
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import DomainError, InvalidInput

from ..models import SCHEDULED_KINDS, Roster, ScheduledPayment
from ._common import _who


@dataclass(frozen=True)
class Scheduled:
    created: list[int]  # application ids given the month's amount now
    already: list[int]  # application ids that had it already (nothing written)


def _locked_roster(area_code: str, month: dt.date) -> Roster | None:
    """A roster of ``month`` covering the area (the county's or the town's) past its draft."""
    covering = Q(area_code=area_code[:6].ljust(12, "0")) | Q(area_code=area_code[:9].ljust(12, "0"))
    found: Roster | None = (
        Roster.objects.filter(covering, month=month).exclude(status__in=("generated", "checked")).first()
    )
    return found


def schedule_payments(
    applications: list[Application], *, by: User, month: dt.date, amount_fen: int, kind: str, note: str
) -> Scheduled:
    """Set ``amount_fen`` for ``month`` on each case, once (a case that has it is left as it
    is). Refused whole when the month's roster of a case's area is already locked or sent to
    the bank: the amount would never reach it. Run inside the caller's transaction."""
    if kind not in dict(SCHEDULED_KINDS):
        raise ValueError(f"unknown scheduled payment kind: {kind}")
    if amount_fen <= 0:
        raise InvalidInput("invalid_amount", "发放金额应大于0", field="amount_fen")
    month = month.replace(day=1)
    with transaction.atomic():
        have = set(
            ScheduledPayment.objects.select_for_update()
            .filter(application__in=applications, month=month)
            .values_list("application_id", flat=True)
        )
        new = [a for a in applications if a.pk not in have]
        for area_code in sorted({a.area_code for a in new}):
            roster = _locked_roster(area_code, month)
            if roster is not None:
                raise DomainError(
                    "roster_locked",
                    f"{month_label(month)}的花名册（{roster}）已锁定，不能再列入；请选择下一个发放月份",
                )
        ScheduledPayment.objects.bulk_create(
            [
                ScheduledPayment(
                    application=a,
                    household_id=a.household_id,
                    payee_id=a.applicant_id,
                    program=a.program,
                    kind=kind,
                    area_code=a.area_code,
                    county_code=a.county_code,
                    month=month,
                    amount_fen=amount_fen,
                    note=note[:120],
                    created_by=_who(by),
                )
                for a in new
            ]
        )
        if new:
            record(
                by,
                "payments.scheduled.create",
                new[0],
                area_code=min(a.area_code for a in new),
                changes={
                    "kind": kind,
                    "month": month.isoformat(),
                    "cases": len(new),
                    "amount_fen": amount_fen,
                    "total_fen": amount_fen * len(new),
                },
            )
    return Scheduled(created=[a.pk for a in new], already=sorted(have))
