"""我的待办: what waits for this user, nearest deadline first (issue 14 item 17).

Work finds the person: a case whose next step the workflow table gives this user (an
approver's decisions, a clerk's investigations and 公示 to close, a village assistant's
visits, the county's escalated cases), a verifier's pending 核对 requests, a department's
referrals, a town's paper referrals, due reviews (复核), 投诉举报 to route, answer or close,
核查任务 for the village's worker (or the town, once escalated), what waits for a second
person (双人复核: a roster submitted for locking, a proposed change of a setting), and 抽查 (the
county's cases to conclude, a town's problems to answer with 整改).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, Subquery
from django.urls import reverse
from django.utils import timezone

# Side steps every open case allows; they are not what a case is waiting for.
SIDE_STEPS = frozenset(
    {
        "withdraw",
        "extend",
        "reinvestigate",
        "return_for_documents",
        "refuse",
        "object",
        "reject",
        "resubmit",
        "supplement",
    }
)
# The states in which a role can hold a case's next step (narrows the query before the table decides).
STATES_BY_ROLE = {
    "town_clerk": ("accepted", "returned", "investigating", "publicizing", "deliberating", "advance_paid"),
    "town_approver": (
        "accepted",
        "returned",
        "investigating",
        "reviewing",
        "publicizing",
        "deliberating",
        "decision_pending",
        "advance_paid",
    ),
    "village_assistant": ("investigating",),
    "county_officer": ("reviewing", "county_review", "publicizing", "decision_pending"),
}
SCAN_LIMIT = 300  # open cases read per role, nearest deadline first


@dataclass(frozen=True)
class WorkItem:
    kind: str  # application | verification | referral | review | complaint | task | roster | setting | spot_check
    kind_label: str
    title: str
    step: str
    due_on: dt.date | None
    due_at: dt.datetime | None
    overdue: bool
    url: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sort_key(item: WorkItem) -> tuple[dt.date, dt.datetime]:
    far = dt.date.max
    return (item.due_on or far, item.due_at or dt.datetime.max.replace(tzinfo=dt.UTC))


def _cases(user: Any, today: dt.date, now: dt.datetime) -> list[WorkItem]:
    from jiuzhu.applications import workflow
    from jiuzhu.applications.config import with_settings
    from jiuzhu.applications.models import Application, CaseDeadline
    from jiuzhu.applications.procedure import ProcedureConfig
    from jiuzhu.programs.engine import parameter_store

    states = STATES_BY_ROLE.get(user.role)
    if not states:
        return []
    apps = (
        Application.objects.visible_to(user)
        .filter(state__in=states)
        .select_related("household")
        .prefetch_related(Prefetch("deadlines", queryset=CaseDeadline.objects.open(), to_attr="open_deadlines"))
        .order_by("due_on", "id")[:SCAN_LIMIT]
    )
    configs: dict[tuple[str, dt.date], Any] = {}  # a case runs under the settings of its acceptance day
    store = parameter_store()
    items = []
    for app in apps:
        if app.state == "publicizing" and app.publicity_end and app.publicity_end >= today:
            continue  # 公示 still running: nothing to do until it ends
        key = (app.county_code, timezone.localdate(app.accepted_at))
        if key not in configs:
            configs[key] = with_settings(ProcedureConfig(app.county_code), key[1], store)
        steps = [t for t in workflow.allowed(app, configs[key], user) if t.name not in SIDE_STEPS]
        if user.role == "village_assistant":
            steps = [t for t in steps if t.name == "record_investigation"]
        if not steps:
            continue
        deadline = min(app.open_deadlines, key=lambda d: (d.due_at is None, d.due_at or now, d.due_on), default=None)
        due_on = deadline.due_on if deadline else app.due_on
        due_at = deadline.due_at if deadline else None
        overdue = (due_at < now) if due_at else due_on < today
        items.append(
            WorkItem(
                kind="application",
                kind_label="救助申请",
                title=f"{app.household.head_name}户 · {app.program_label} · {app.number}",
                step="、".join(dict.fromkeys(t.label for t in steps)),
                due_on=due_on,
                due_at=due_at,
                overdue=overdue,
                url=app.get_absolute_url(),
            )
        )
    return items


def _verifications(user: Any, today: dt.date) -> list[WorkItem]:
    from jiuzhu.applications.models import CaseDeadline
    from jiuzhu.verification.models import VerificationRequest

    if not user.has_perm_code("verification.run"):
        return []
    investigation = CaseDeadline.objects.filter(
        application_id=OuterRef("application_id"), step="investigation", met_on__isnull=True
    ).values("due_on")[:1]
    rows = (
        VerificationRequest.objects.visible_to(user)
        .filter(status="pending")
        .select_related("household", "application")
        .annotate(investigation_due=Subquery(investigation))
        .order_by("requested_at", "id")[:SCAN_LIMIT]
    )
    items = []
    for r in rows:
        due = None
        if r.application is not None:
            due = r.investigation_due or r.application.due_on
        items.append(
            WorkItem(
                kind="verification",
                kind_label="经济状况核对",
                title=f"{r.household.head_name}户 · 委托于{timezone.localtime(r.requested_at):%Y-%m-%d}",
                step="出具核对报告",
                due_on=due,
                due_at=None,
                overdue=due is not None and due < today,
                url=reverse("verification:household", args=[r.household_id]),
            )
        )
    return items


def _referrals(user: Any, today: dt.date) -> list[WorkItem]:
    from jiuzhu.referrals.models import Referral

    qs = Referral.objects.visible_to(user).open().select_related("program", "household")
    if user.is_department_user:
        if not user.has_perm_code("referrals.handle"):
            return []
        steps = {"open": "接收派单", "accepted": "办理并回复结果", "info_requested": "等待镇街补充信息"}
    elif user.has_perm_code("referrals.create") and user.area is not None and user.area.level == "town":
        qs = qs.filter(channel="paper") | qs.filter(status="info_requested")
        steps = {"open": "登记线下转办回复", "accepted": "登记线下转办回复", "info_requested": "补充派单信息"}
    else:
        return []
    return [
        WorkItem(
            kind="referral",
            kind_label="一体联动派单",
            title=f"{r.household.head_name}户 · {r.program.name} · {r.number}",
            step=steps.get(r.status, r.get_status_display()),
            due_on=r.due_on,
            due_at=None,
            overdue=r.due_on < today,
            url=reverse("referrals:detail", args=[r.pk]),
        )
        for r in qs.order_by("due_on", "id")[:SCAN_LIMIT]
    ]


def _reviews(user: Any, today: dt.date) -> list[WorkItem]:
    from jiuzhu.monitoring.models import Review

    if not user.has_perm_code("payments.review") or user.area is None or user.area.level != "town":
        return []
    rows = Review.objects.visible_to(user).open().select_related("application__household")
    return [
        WorkItem(
            kind="review",
            kind_label="复核",
            title=f"{r.application.household.head_name}户 · {r.application.program_label} · {r.reason}",
            step=f"{r.get_kind_display()}（{r.get_status_display()}）",
            due_on=r.due_on,
            due_at=None,
            overdue=r.due_on < today,
            url=reverse("monitoring:review", args=[r.pk]),
        )
        for r in rows.order_by("due_on", "id")[:SCAN_LIMIT]
    ]


def _second_person(user: Any) -> list[WorkItem]:
    """双人复核: a roster submitted for locking and a settings change proposed wait for another
    person who may confirm them — never for the one who submitted or proposed."""
    from jiuzhu.areas.models import Area
    from jiuzhu.core.dates import day_label, month_label
    from jiuzhu.payments.models import Roster
    from jiuzhu.programs.models import ParameterChange
    from jiuzhu.web.labels import parameter_label, parameter_value_label

    items: list[WorkItem] = []
    if user.has_perm_code("payments.lock") or user.is_superuser:
        rosters = list(
            Roster.objects.visible_to(user)
            .filter(status="lock_requested")
            .exclude(lock_requested_by=user)
            .order_by("month", "id")[:SCAN_LIMIT]
        )
        names = dict(Area.objects.filter(code__in={r.area_code for r in rosters}).values_list("code", "name"))
        items += [
            WorkItem(
                kind="roster",
                kind_label="花名册",
                title=f"{month_label(r.month)}花名册 · {names.get(r.area_code, r.area_code)}",
                step="复核锁定（双人复核）",
                due_on=None,
                due_at=None,
                overdue=False,
                url=reverse("payments:roster", args=[r.pk]),
            )
            for r in rosters
        ]
    if user.has_perm_code("parameters.confirm") or user.is_superuser:
        changes = ParameterChange.objects.to_confirm_by(user)
        items += [
            WorkItem(
                kind="setting",
                kind_label="标准与设置调整",
                title=f"{parameter_label(c.name)}调整为{parameter_value_label(c.name, c.value)}"
                f" · {day_label(c.valid_from)}起",
                step="复核（双人复核）",
                due_on=c.valid_from,
                due_at=None,
                overdue=False,
                url=reverse("programs:parameters"),
            )
            for c in changes.order_by("valid_from", "id")[:SCAN_LIMIT]
        ]
    return items


def _grid_tasks(user: Any, today: dt.date) -> list[WorkItem]:
    """核查任务 (DIS-*): the village's 网格员 visits and closes them; a task escalated (上报乡镇,
    by the worker or past its date) waits for the town's staff instead."""
    from jiuzhu.monitoring.models import GridTask

    level = user.area.level if user.area is not None else ""
    if not user.has_perm_code("registry.edit") or level not in ("village", "town"):
        return []
    qs = GridTask.objects.visible_to(user).unclosed().select_related("household", "warning__rule")
    qs = qs.filter(escalated_at__isnull=level == "village")
    steps = {"open": "入户走访核查", "visited": "登记核查结果并办结"}
    return [
        WorkItem(
            kind="task",
            kind_label="核查任务",
            title=f"{t.household.head_name}户 · {t.warning.rule.name}",
            step=("上报乡镇：" if t.escalated_at else "") + steps.get(t.status, t.get_status_display()),
            due_on=t.due_on,
            due_at=None,
            overdue=t.due_on < today,
            url=reverse("discovery:task", args=[t.pk]),
        )
        for t in qs.order_by("due_on", "id")[:SCAN_LIMIT]
    ]


def _spot_checks(user: Any) -> list[WorkItem]:
    """抽查 (SUP-5): the county's open checks with cases still to conclude; for a town's 审批 staff,
    each problem found in its cases until the 整改 is answered."""
    from django.db.models import Count, Q

    from jiuzhu.monitoring.models import SpotCheck, SpotCheckItem

    level = user.area.level if user.area is not None else ""
    if level == "county" and user.has_perm_code("monitoring.spot_check"):
        checks = (
            SpotCheck.objects.visible_to(user)
            .filter(status="checking")
            .annotate(left=Count("items", filter=Q(items__result="")))
            .filter(left__gt=0)
            .order_by("created_at", "id")
            .values_list("pk", "name", "left")
        )
        return [
            WorkItem(
                kind="spot_check",
                kind_label="抽查",
                title=name,
                step=f"检查并登记结论（{left}件未检查）",
                due_on=None,
                due_at=None,
                overdue=False,
                url=reverse("monitoring:spot_check", args=[pk]),
            )
            for pk, name, left in checks[:SCAN_LIMIT]
        ]
    if level == "town" and user.has_perm_code("payments.decide"):
        items = (
            SpotCheckItem.objects.visible_to(user)
            .filter(result="problem", rectified_at__isnull=True)
            .select_related("application", "spot_check")
        )
        return [
            WorkItem(
                kind="spot_check",
                kind_label="抽查",
                title=f"{i.application.number} · {i.finding}",
                step="反馈整改情况",
                due_on=None,
                due_at=None,
                overdue=False,
                url=reverse("monitoring:spot_check", args=[i.spot_check_id]),
            )
            for i in items.order_by("checked_at", "id")[:SCAN_LIMIT]
        ]
    return []


def _complaints(user: Any, today: dt.date) -> list[WorkItem]:
    """投诉举报 (SUP-4): one given to this user to handle; else, with none named, those routed to
    the user's town or department, and at the county those not yet routed (转办). A complaint
    answered waits to be closed (办结)."""
    from django.db.models import Q

    from jiuzhu.complaints.models import Complaint

    if not (user.has_perm_code("registry.edit") or user.has_perm_code("referrals.handle")):
        return []
    qs = Complaint.objects.visible_to(user).unclosed()
    county = user.area is not None and user.area.level == "county" and not user.is_department_user
    never_routed = Q(assigned_at__isnull=True)
    if county:  # to route (or answer itself), and to close what it answered itself
        unnamed = Q(status="received") | (Q(status="replied") & never_routed)
    else:  # routed to this town or department: to answer, then to close
        unnamed = Q(status="assigned") | (Q(status="replied") & ~never_routed)
        if not user.is_department_user:  # one routed to a department is the department's
            unnamed &= Q(department__isnull=True)
    qs = qs.filter(Q(handler=user) | (Q(handler__isnull=True) & unnamed))
    steps = {"received": "转办或答复" if county else "办理并答复", "assigned": "办理并答复", "replied": "办结"}
    return [
        WorkItem(
            kind="complaint",
            kind_label="投诉举报",
            title=f"{c.get_category_display()} · {c.subject} · {c.tracking_number}",
            step=steps.get(c.status, c.get_status_display()),
            due_on=c.due_on,
            due_at=None,
            overdue=c.status in ("received", "assigned") and c.due_on < today,
            url=reverse("complaints:detail", args=[c.pk]),
        )
        for c in qs.order_by("due_on", "id")[:SCAN_LIMIT]
    ]


def work_for(user: Any) -> list[WorkItem]:
    """Everything waiting for ``user``, nearest deadline first (overdue on top)."""
    today, now = timezone.localdate(), timezone.now()
    items = [
        *_cases(user, today, now),
        *_verifications(user, today),
        *_referrals(user, today),
        *_reviews(user, today),
        *_complaints(user, today),
        *_grid_tasks(user, today),
        *_second_person(user),
        *_spot_checks(user),
    ]
    return sorted(items, key=_sort_key)
