"""Read side of cases: lists with filters, overdue work."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.areas.models import Area, full_code, in_subtree, prefix_of
from jiuzhu.programs.engine import parameter_store
from jiuzhu.rules import RulesInputError
from jiuzhu.rules.areas import NATIONAL

from .models import Application, CaseDeadline, due_soon_q, overdue_q

SOON_DAYS = "supervision.due_soon_days"


def due_soon_days(user: Any) -> int:
    """即将到期: how many days before its date a step is listed as due soon — the county's
    setting (``supervision.due_soon_days``) in the user's area, the national default above it."""
    area = getattr(user, "area", None)
    day = timezone.localdate()
    store = parameter_store()
    try:
        value = store.lookup(SOON_DAYS, area.code if area is not None else NATIONAL, day).value
    except RulesInputError:  # an area the settings do not know (a department's): the default
        value = store.lookup(SOON_DAYS, NATIONAL, day).value
    return int(value)


def filter_applications(
    qs: QuerySet[Application],
    *,
    state: str = "",
    program: str = "",
    area: str = "",
    overdue: bool = False,
    due_within_days: int | None = None,
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
    if due_within_days is not None:
        qs = qs.filter(Exists(deadlines.due_soon(due_within_days)))
    if staff_relative:
        qs = qs.filter(staff_relative_of__isnull=False)
    if q:
        qs = qs.filter(Q(number__contains=q.strip()) | Q(household__head_name__contains=q.strip()))
    return qs


# What the board shows of a deadline and its case (not the case's facts, trace and proposal).
_BOARD_COLUMNS = (
    "application_id",
    "application__number",
    "application__household__head_name",
    "label",
    "due_on",
    "application__accepted_by__full_name",
    "application__accepted_by__username",
)


def _board_rows(deadlines: Any, limit: int) -> list[dict[str, Any]]:
    """The earliest ``limit`` deadlines as plain rows (no model instances: the board shows two
    lists of up to 100, and building 300 objects per list cost more than its SQL)."""
    detail = reverse("applications:detail", args=[0])
    prefix = detail[: detail.rindex("0")]
    return [
        {
            "url": f"{prefix}{app_id}/",
            "number": number,
            "head_name": head_name,
            "label": label,
            "due_on": due_on,
            "due": due_on.isoformat(),
            "clerk": full_name or username or "",
        }
        for app_id, number, head_name, label, due_on, full_name, username in deadlines.values_list(
            *_BOARD_COLUMNS
        ).order_by("due_on", "id")[:limit]
    ]


def overdue_summary(user: Any, limit: int = 100) -> dict[str, Any]:
    """Overdue and due-soon steps in the user's jurisdiction, with counts per town and per
    clerk computed in SQL (so they stay right with a hundred thousand cases): every count in
    one pass over the open deadlines (grouped by town and by the clerk kept on the row), then
    the names of those towns and clerks, and the two lists of the earliest ``limit`` steps with
    only the columns shown."""
    deadlines = CaseDeadline.objects.visible_to(user)
    today, now, days = timezone.localdate(), timezone.now(), due_soon_days(user)
    late, soon = overdue_q(today, now), due_soon_q(days, today, now)
    groups = list(
        deadlines.running()
        .filter(late | soon)
        .values_list(Substr("area_code", 1, 9), "clerk_id")
        .annotate(late=Count("id", filter=late), soon=Count("id", filter=soon))
        .order_by()
    )
    towns = {a.code[:9]: a.name for a in Area.objects.filter(level="town", code__in={g[0] + "000" for g in groups})}
    clerk_ids = {g[1] for g in groups if g[1] is not None and g[2]}
    clerks = {u.pk: u.display_name for u in User.objects.filter(pk__in=clerk_ids).only("full_name", "username")}
    by_town: dict[str, int] = {}
    per_clerk: dict[str, int] = {}
    for code, clerk_id, n_late, _ in sorted(groups, key=lambda g: g[0]):
        if n_late:
            name = towns.get(code, code)
            by_town[name] = by_town.get(name, 0) + n_late
            who = clerks.get(clerk_id, "—") if clerk_id is not None else "—"
            per_clerk[who] = per_clerk.get(who, 0) + n_late
    return {
        "overdue": _board_rows(deadlines.overdue(today, now), limit),
        "overdue_count": sum(g[2] for g in groups),
        "due_soon": _board_rows(deadlines.due_soon(days, today, now), limit),
        "due_soon_days": days,
        "due_soon_count": sum(g[3] for g in groups),
        "by_town": by_town,
        "by_clerk": dict(sorted(per_clerk.items(), key=lambda item: -item[1])),
        "today": today,
    }
