"""Read side of cases: lists with filters, overdue work."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from jiuzhu.areas.models import full_code, in_subtree, prefix_of

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


def overdue_summary(user: Any) -> dict[str, Any]:
    """Overdue and due-soon steps in the user's jurisdiction, per town and per clerk."""
    visible = Application.objects.visible_to(user).open()
    deadlines = CaseDeadline.objects.filter(application__in=visible).select_related(
        "application", "application__household", "application__accepted_by"
    )
    today = timezone.localdate()
    overdue = list(deadlines.overdue(today).order_by("due_on")[:500])
    soon = list(deadlines.due_soon(3, today).order_by("due_on")[:500])
    by_town: dict[str, int] = {}
    by_clerk: dict[str, int] = {}
    for d in overdue:
        by_town[d.area_code[:9]] = by_town.get(d.area_code[:9], 0) + 1
        clerk = d.application.accepted_by.display_name if d.application.accepted_by else "—"
        by_clerk[clerk] = by_clerk.get(clerk, 0) + 1
    return {"overdue": overdue, "due_soon": soon, "by_town": by_town, "by_clerk": by_clerk, "today": today}
