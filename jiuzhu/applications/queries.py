"""Read side of cases: lists with filters, overdue work."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from jiuzhu.areas.models import Area, full_code, in_subtree, prefix_of

from .models import Application, CaseDeadline, due_soon_q, overdue_q


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


# What the board shows of a deadline and its case (not the case's facts, trace and proposal).
_BOARD_FIELDS = (
    "label",
    "due_on",
    "due_at",
    "application__number",
    "application__household__head_name",
    "application__accepted_by__full_name",
    "application__accepted_by__username",
)


def overdue_summary(user: Any, limit: int = 100) -> dict[str, Any]:
    """Overdue and due-soon steps in the user's jurisdiction, with counts per town and per
    clerk computed in SQL (so they stay right with a hundred thousand cases): the counts per
    town and both totals in one pass over the open deadlines, the counts per clerk in one
    grouped join, the two lists of the earliest ``limit`` with only the columns shown."""
    deadlines = CaseDeadline.objects.visible_to(user)
    today, now = timezone.localdate(), timezone.now()
    late, soon = overdue_q(today, now), due_soon_q(3, today, now)
    per_town = (
        deadlines.open()
        .filter(late | soon)
        .values_list(Substr("area_code", 1, 9))
        .annotate(late=Count("id", filter=late), soon=Count("id", filter=soon))
        .order_by()
    )
    counts = {code: (n_late, n_soon) for code, n_late, n_soon in per_town}
    towns = {a.code[:9]: a.name for a in Area.objects.filter(level="town", code__in=[c + "000" for c in counts])}
    by_town: dict[str, int] = {}
    for code in sorted(counts):
        if counts[code][0]:
            name = towns.get(code, code)
            by_town[name] = by_town.get(name, 0) + counts[code][0]
    overdue = deadlines.overdue(today, now)
    clerks = overdue.values_list("application__accepted_by__full_name", "application__accepted_by__username")
    by_clerk = {(full or user_name or "—"): n for full, user_name, n in clerks.annotate(n=Count("id")).order_by("-n")}
    related = ("application", "application__household", "application__accepted_by")
    return {
        "overdue": list(overdue.select_related(*related).only(*_BOARD_FIELDS).order_by("due_on", "id")[:limit]),
        "overdue_count": sum(late for late, _ in counts.values()),
        "due_soon": list(
            deadlines.due_soon(3, today, now)
            .select_related(*related)
            .only(*_BOARD_FIELDS)
            .order_by("due_on", "id")[:limit]
        ),
        "due_soon_count": sum(n for _, n in counts.values()),
        "by_town": by_town,
        "by_clerk": by_clerk,
        "today": today,
    }
