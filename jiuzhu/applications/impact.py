"""What a proposed procedure or review setting moves for the cases of this app (影响预览,
issue 16 item 2; GOV-8, WF-2, WF-3). Registered with ``programs.impact`` from ``hooks.connect``.

A case runs under the settings in force on the day it was accepted (``config_for_case``), so a
change moves the deadlines of exactly the open cases whose acceptance day falls where the
change alters the value in force for their county (its valid_from … valid_to, unless a nearer
level has its own value). Set-based: one count, one query for the distinct (county, acceptance
day) pairs, one query for the deadlines of the affected pairs — whatever the number of cases."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.functions import TruncDate
from django.utils import timezone

from jiuzhu.core.dates import day_label
from jiuzhu.core.workdays import WorkingCalendar
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs.impact import ImpactLine, ImpactPart, NewCases, display, value_of
from jiuzhu.programs.models import ParameterChange
from jiuzhu.rules import ParameterStore, RulesInputError
from jiuzhu.web.labels import area_label, area_labels

from .models import Application, CaseDeadline

# Setting → the deadline steps it sets, and how they are counted.
WORKING, CALENDAR, HOURS = "working", "calendar", "hours"
DEADLINE_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "procedure.total_limit_days": (("overall",), WORKING),
    "procedure.special_limit_days": (("overall",), WORKING),
    "procedure.investigation_days": (("investigation",), WORKING),
    "procedure.publicity_days": (("publicity",), CALENDAR),
    "procedure.rejection_notice_days": (("rejection_notice",), WORKING),
    "procedure.emergency_register_days": (("registration",), WORKING),
    "procedure.emergency_advance_hours": (("advance",), HOURS),
}
RECIPIENT_PROGRAMS = ("dibao", "tekun")  # programs whose recipients are reviewed on a cycle


def _cases(change: ParameterChange, user: Any) -> models.QuerySet[Application] | None:
    """The cases the change could reach: those of the counties under its area (the procedure is
    read for a county: a value set for a town or village is never read), in ``user``'s view."""
    area = change.area_code
    if area != "CN" and len(area) > 6:
        return None
    qs = Application.objects.all() if user is None else Application.objects.visible_to(user)
    return qs if area == "CN" else qs.filter(county_code__startswith=area)


def _counties(change: ParameterChange, pairs: list[tuple[str, dt.date]], user: Any) -> list[str]:
    counties = {c for c, _ in pairs}
    if len(change.area_code) == 6:
        counties.add(change.area_code)
    area = getattr(user, "area", None) if user is not None else None
    if area is not None and len(area.prefix) >= 6:
        county = area.prefix[:6]
        if change.area_code == "CN" or county.startswith(change.area_code):
            counties.add(county)
    return sorted(counties)


def _new_cases(
    change: ParameterChange, old: ParameterStore, new: ParameterStore, counties: list[str]
) -> list[NewCases]:
    names = area_labels(counties)
    out = []
    for county in counties:
        before = display(old, change.name, county, change.valid_from)
        after = display(new, change.name, county, change.valid_from)
        note = ""
        if before == after:
            try:
                nearest = new.lookup(change.name, county, change.valid_from).area
            except RulesInputError:
                nearest = ""
            if nearest and nearest != change.area_code:
                note = f"{names[county]}适用{area_label(nearest)}的设置（就近优先：县→市→省→全国），不受本次调整影响"
            else:
                note = "拟调整的值与现行值相同"
        out.append(NewCases(county, names[county], before, after, note))
    return out


def _pairs(qs: models.QuerySet[Application]) -> list[tuple[str, dt.date]]:
    rows = qs.annotate(day=TruncDate("accepted_at")).order_by().values_list("county_code", "day").distinct()
    return [(c, d) for c, d in rows]


def _moved(
    pairs: list[tuple[str, dt.date]], name: str, old: ParameterStore, new: ParameterStore
) -> dict[tuple[str, dt.date], tuple[Any, Any]]:
    """The (county, acceptance day) pairs whose value in force differs: old and new value."""
    out = {}
    for county, day in pairs:
        before, after = value_of(old, name, county, day), value_of(new, name, county, day)
        if before != after:
            out[(county, day)] = (before, after)
    return out


def _affected(moved: dict[tuple[str, dt.date], Any]) -> models.Q:
    by_county: dict[str, list[dt.date]] = defaultdict(list)
    for county, day in moved:
        by_county[county].append(day)
    q = models.Q(pk__in=[])
    for county, days in by_county.items():
        q |= models.Q(county_code=county, accepted_at__date__in=days)
    return q


def _reasons(change: ParameterChange, pairs: list[tuple[str, dt.date]], new_cases: list[NewCases]) -> list[str]:
    """Why nothing moves, in words."""
    reasons = []
    if pairs and all(day < change.valid_from for _, day in pairs):
        reasons.append(
            f"在办案件均于{day_label(change.valid_from)}生效日期之前受理，按受理之日有效的设置办理，已有时限不变"
        )
    reasons.extend(n.note for n in new_cases if n.note)
    if not pairs:
        reasons.append("目前没有在办案件")
    return reasons


def _open_part(
    change: ParameterChange, old: ParameterStore, new: ParameterStore, open_qs: models.QuerySet[Application], user: Any
) -> tuple[ImpactPart, dict[tuple[str, dt.date], tuple[Any, Any]]]:
    """The part of the open cases ``open_qs`` (their count, the counties' new cases) and the
    (county, acceptance day) pairs whose value in force moves; when none does, the part says why."""
    pairs = _pairs(open_qs)
    moved = _moved(pairs, change.name, old, new)
    new_cases = _new_cases(change, old, new, _counties(change, pairs, user))
    part = ImpactPart(open_cases=open_qs.count(), new_cases=new_cases)
    if not moved:
        part.reasons = _reasons(change, pairs, new_cases)
    return part, moved


def _recount(
    started_on: dt.date, due_on: dt.date, due_at: dt.datetime | None, kind: str, delta: int, calendar: WorkingCalendar
) -> tuple[dt.date, dt.datetime | None]:
    """The deadline counted again with ``delta`` more (or fewer) days or hours; what the case
    already gained (补正 pause, extension) is kept."""
    if kind == HOURS and due_at is not None:
        moved_at = due_at + dt.timedelta(hours=delta)
        return timezone.localdate(moved_at), moved_at
    if kind == CALENDAR:
        return due_on + dt.timedelta(days=delta), None
    counted = calendar.working_days_between(started_on, due_on)
    return calendar.add_working_days(started_on, max(1, counted + delta)), None


def _show(day: dt.date, at: dt.datetime | None) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at is not None else f"{day:%Y-%m-%d}"


def _deadline_part(
    change: ParameterChange, old: ParameterStore, new: ParameterStore, qs: models.QuerySet[Application], user: Any
) -> ImpactPart:
    steps, kind = DEADLINE_KEYS[change.name]
    open_qs = qs.open()  # type: ignore[attr-defined]
    part, moved = _open_part(change, old, new, open_qs, user)
    if not moved:
        return part
    deadlines = CaseDeadline.objects.open().filter(step__in=steps, application__in=open_qs.filter(_affected(moved)))
    if change.name == "procedure.special_limit_days":
        deadlines = deadlines.exclude(application__extension_reason="")
    elif change.name == "procedure.total_limit_days":
        deadlines = deadlines.filter(application__extension_reason="")
    rows = deadlines.order_by("application__number", "step").values_list(
        "pk",
        "step",
        "label",
        "started_on",
        "due_on",
        "due_at",
        "application_id",
        "application__number",
        "application__county_code",
        "application__accepted_at",
        "application__household__head_name",
    )
    updates: list[Move] = []
    calendar = current_calendar()
    counted: dict[tuple[Any, ...], tuple[dt.date, dt.datetime | None]] = {}
    for pk, step, label, started_on, due_on, due_at, app_id, number, county, accepted_at, head in rows:
        before, after = moved[(county, timezone.localdate(accepted_at))]
        delta = int(after) - int(before)
        memo_key = (started_on, due_on, due_at, delta)
        if memo_key not in counted:  # thousands of cases share a handful of (start, due) pairs
            counted[memo_key] = _recount(started_on, due_on, due_at, kind, delta, calendar)
        new_on, new_at = counted[memo_key]
        if (new_on, new_at) == (due_on, due_at if kind == HOURS else None):
            continue
        updates.append(Move(pk, app_id, step, new_on, new_at))
        part.lines.append(ImpactLine(app_id, number, head, label, _show(due_on, due_at), _show(new_on, new_at)))
    part.apply = _applier(updates)
    return part


@dataclass(frozen=True)
class Move:
    deadline_id: int
    application_id: int
    step: str
    due_on: dt.date
    due_at: dt.datetime | None


def _applier(updates: list[Move]) -> Callable[[], int]:
    """Set-based: one UPDATE per distinct new date (cases accepted the same day share it)."""

    def apply() -> int:
        groups: dict[tuple[str, dt.date, dt.datetime | None], list[Move]] = defaultdict(list)
        for m in updates:
            groups[(m.step, m.due_on, m.due_at)].append(m)
        for (step, due_on, due_at), moves in groups.items():
            fields: dict[str, Any] = {"due_on": due_on} if due_at is None else {"due_on": due_on, "due_at": due_at}
            for chunk in range(0, len(moves), 500):
                part = moves[chunk : chunk + 500]
                CaseDeadline.objects.filter(pk__in=[m.deadline_id for m in part]).update(**fields)
                case_field = {"overall": "due_on", "publicity": "publicity_end"}.get(step)
                if case_field:
                    Application.objects.filter(pk__in=[m.application_id for m in part]).update(**{case_field: due_on})
        return len(updates)

    return apply


def _setting_part(
    change: ParameterChange, old: ParameterStore, new: ParameterStore, qs: models.QuerySet[Application], user: Any
) -> ImpactPart:
    """A setting that is not a deadline (审批层级, 流程模式, 一事一议人数): the open cases that
    would run under the new value, with old → new."""
    open_qs = qs.open()  # type: ignore[attr-defined]
    if change.name.startswith("procedure.approval."):
        open_qs = open_qs.filter(program=change.name.rsplit(".", 1)[1])
    part, moved = _open_part(change, old, new, open_qs, user)
    if not moved:
        return part
    label = old.definition(change.name).description
    rows = (
        open_qs.filter(_affected(moved))
        .order_by("number")
        .values_list("pk", "number", "county_code", "accepted_at", "household__head_name")
    )
    shown: dict[tuple[str, dt.date], tuple[str, str]] = {}
    for pk, number, county, accepted_at, head in rows:
        key = (county, timezone.localdate(accepted_at))
        if key not in shown:
            shown[key] = (display(old, change.name, *key), display(new, change.name, *key))
        part.lines.append(ImpactLine(pk, number, head, label, *shown[key], is_deadline=False))
    return part


def _review_part(
    change: ParameterChange, old: ParameterStore, new: ParameterStore, qs: models.QuerySet[Application], user: Any
) -> ImpactPart:
    """复核周期: a recipient's cycle is fixed when the case is approved and kept with it, so no
    recipient's next review date moves; cases approved under the new value get the new cycle."""
    recipients = qs.filter(state="approved", program__in=RECIPIENT_PROGRAMS)
    pairs = _pairs(qs.open())  # type: ignore[attr-defined]
    new_cases = _new_cases(change, old, new, _counties(change, pairs, user))
    part = ImpactPart(open_cases=recipients.count(), new_cases=new_cases, noun="在保对象")
    part.reasons = [
        "复核周期在批准时按受理之日有效的设置确定并随案保存，在保对象的下次复核日期不变；"
        f"{day_label(change.valid_from)}起受理并批准的对象按新设置确定复核周期",
        *(n.note for n in new_cases if n.note),
    ]
    return part


def impact(change: ParameterChange, old: ParameterStore, new: ParameterStore, user: Any) -> ImpactPart | None:
    """This app's answer for ``change`` (``programs.impact.Provider``)."""
    if not change.name.startswith(("procedure.", "review.")):
        return None
    qs = _cases(change, user)
    if qs is None:
        return ImpactPart(reasons=["办理流程设置按县（市、区）适用，镇（街道）及以下区划的设置不影响案件办理时限"])
    if change.name.startswith("review."):
        return _review_part(change, old, new, qs, user)
    if change.name in DEADLINE_KEYS:
        return _deadline_part(change, old, new, qs, user)
    return _setting_part(change, old, new, qs, user)
