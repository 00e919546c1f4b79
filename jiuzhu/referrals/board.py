"""分办、转办、跟踪反馈 (LNK-2, LNK-3): per department, what is open, overdue, and how long
feedback takes."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from jiuzhu.holidays.calendar import current_calendar

from .models import CLOSED, Referral


def summary(user: Any) -> dict[str, Any]:
    today = timezone.localdate()
    visible = Referral.objects.visible_to(user)
    rows = (
        visible.values("department__code", "office")
        .annotate(
            open=Count("id", filter=~Q(status__in=CLOSED)),
            overdue=Count("id", filter=~Q(status__in=CLOSED) & Q(due_on__lt=today)),
            closed=Count("id", filter=Q(status__in=CLOSED)),
        )
        .order_by("-overdue", "office")
    )
    calendar = current_calendar()
    durations: dict[tuple[str, str], list[int]] = {}
    for r in visible.filter(closed_at__isnull=False).select_related("program", "department")[:5000]:
        days = calendar.working_days_between(timezone.localdate(r.created_at), timezone.localdate(r.closed_at))
        office = r.office
        if not office:
            assert r.department is not None  # only a paper referral has no department, and it names its office
            office = r.department.name
        durations.setdefault((office, r.program.name), []).append(days)
    stats = [
        {"department": d, "program": p, "count": len(v), "average_days": round(sum(v) / len(v), 1), "max_days": max(v)}
        for (d, p), v in sorted(durations.items())
    ]
    overdue = list(
        visible.open()
        .filter(due_on__lt=today)
        .select_related("program", "department", "household")
        .order_by("due_on")[:200]
    )
    return {
        "departments": [
            {
                "code": r["department__code"] or "",
                "name": r["office"],
                "open": r["open"],
                "overdue": r["overdue"],
                "closed": r["closed"],
            }
            for r in rows
        ],
        "feedback_days": stats,
        "overdue": [
            {
                "id": r.pk,
                "number": r.number,
                "department": r.office,
                "program": r.program.name,
                "due_on": r.due_on.isoformat(),
                "escalated": r.escalated_at is not None,
            }
            for r in overdue
        ],
    }
