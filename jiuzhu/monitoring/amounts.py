"""现救助金额: the amount a monthly case pays now, for the family (掌上办) and the staff case page.

The case's ``amount_fen`` moves only with a review; a standard raise or a 高龄/残疾 supplement
moves what the roster pays without touching it, so the rosters are read instead."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from jiuzhu.applications.models import Application
from jiuzhu.payments.models import RosterLine, ScheduledPayment

from .models import Review


def monthly_amount(app: Application) -> tuple[int, Any, int | None]:
    """A monthly case's amount as the family receives it: (amount, since which month, the amount
    before) — ``before`` None when it has not changed since the first month. The monthly
    rosters are the truth (a standard raise, a 高龄 or disability supplement and a review's
    adjustment all show there); a review decided after the last roster, whose month has not
    come yet, gives the amount to come."""
    extra = dict(  # 补发 and 过渡期生活救助 ride on a month's line: not the monthly amount
        ScheduledPayment.objects.filter(application=app).values_list("month").annotate(t=Sum("amount_fen"))
    )
    lines = [
        (month, amount - extra.get(month, 0))
        for month, amount in RosterLine.objects.filter(application=app)
        .exclude(status="pulled")
        .order_by("-month")
        .values_list("month", "amount_fen")[:120]
    ]
    adjusted = (
        Review.objects.filter(application=app, outcome="change", effective_month__isnull=False)
        .order_by("-effective_month", "-id")
        .values_list("effective_month", "amount_before_fen", "amount_after_fen")
        .first()
    )
    if adjusted is not None and (not lines or adjusted[0] > lines[0][0]):
        return int(adjusted[2] or 0), adjusted[0], adjusted[1]
    if not lines:
        return int(app.amount_fen or 0), app.start_month, None
    amount, since = lines[0][1], lines[0][0]
    for month, paid in lines[1:]:
        if paid != amount:
            return int(amount), since, int(paid)
        since = month
    return int(amount), since, None
