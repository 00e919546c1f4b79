"""Read side of cases: lists with filters, overdue work."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from jiuzhu.areas.models import Area, full_code, in_subtree, prefix_of

from .models import Application, CaseDeadline


def filter_applications(
    qs: QuerySet[Application],
    *,
    state: str = "",
    program: str = "",
    area: str = "",
    overdue: bool = False,
    due_soon: bool = False,
    staff_relative: bool = False,
    q: str = "",
) -> QuerySet[Application]:
    if state:
        qs = qs.filter(state=state)
    if program:
        qs = qs.filter(program=program)
    if area:
        qs = qs.filter(in_subtree("area_code", prefix_of(full_code(area.strip()))))
    deadlines = CaseDeadline.objects.filter(application=OuterRef("pk"))
    if overdue:
        qs = qs.filter(Exists(deadlines.overdue()))
    if due_soon:
        qs = qs.filter(Exists(deadlines.due_soon()))
    if staff_relative:
        qs = qs.filter(staff_relative_of__isnull=False)
    if q:
        qs = qs.filter(Q(number__contains=q.strip()) | Q(household__head_name__contains=q.strip()))
    return qs


def overdue_summary(user: Any, limit: int = 100) -> dict[str, Any]:
    """Overdue and due-soon steps in the user's jurisdiction, with counts per town and per
    clerk computed in SQL (so they stay right with a hundred thousand cases)."""
    deadlines = CaseDeadline.objects.visible_to(user)
    today = timezone.localdate()
    overdue = deadlines.overdue(today)
    rows = overdue.select_related("application", "application__household", "application__accepted_by")
    soon = deadlines.due_soon(3, today).select_related("application", "application__household")
    towns = {a.code[:9]: a.name for a in Area.objects.filter(level="town")}
    by_town: dict[str, int] = {}
    for code, n in overdue.values_list("area_code").annotate(n=Count("id")).order_by():
        name = towns.get(code[:9], code[:9])
        by_town[name] = by_town.get(name, 0) + n
    clerks = overdue.values_list("application__accepted_by__full_name", "application__accepted_by__username")
    by_clerk = {(full or user_name or "—"): n for full, user_name, n in clerks.annotate(n=Count("id")).order_by("-n")}
    return {
        "overdue": list(rows.order_by("due_on", "id")[:limit]),
        "overdue_count": overdue.count(),
        "due_soon": list(soon.order_by("due_on", "id")[:limit]),
        "due_soon_count": soon.count(),
        "by_town": by_town,
        "by_clerk": by_clerk,
        "today": today,
    }
