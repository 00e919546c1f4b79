"""Staff-conduct monitoring (工作作风监督, DIS-10): "不作为、假作为、乱作为、慢作为" as queries over
the work the platform already records, for supervisors (纪检监督 at the county, the town's
审批 leadership for its town), counted by town and by person and listed.

- 慢作为/不作为 — overdue work: a case's timed step (``CaseDeadline``) past its date and not
  done, a step done after its date (``late``), and a review (复核) past its deadline.
- 乱作为 — decisions reversed without reasons: a review concluded against the earlier
  decision (调整金额, 渐退, 停发) with no written reason, a case refused (不予批准) with no reason.
- 假作为 — work closed without a visit record: a review concluded without the household as
  found at the 入户 (no facts recorded), a monthly case approved with no 入户调查 on file,
  a 核查任务 (grid task of a warning) closed with no visit recorded.

Every query goes through ``visible_to(user)``: a town's leadership sees its town only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.applications.models import Application, CaseDeadline
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import InvalidInput
from jiuzhu.payments.models import MONTHLY_PROGRAMS

from .models import GridTask, Review

PERMISSION = "monitoring.conduct"
KINDS = [
    ("overdue", "超期未办"),  # 慢作为/不作为: a timed step past its date, not done
    ("late", "超期办结"),  # 慢作为: done after its date
    ("review_overdue", "复核超期"),  # a 复核 past its deadline
    ("reversed_no_reason", "无理由改变决定"),  # 乱作为
    ("closed_no_visit", "未入户即办结"),  # 假作为
    ("task_no_visit", "核查任务未走访即办结"),  # 假作为: a grid task closed without a visit record
]
KIND_LABELS = dict(KINDS)
MAX_ITEMS = 500


@dataclass
class Item:
    kind: str
    kind_label: str
    town_code: str
    town_name: str
    area_code: str
    person: str
    subject: str
    detail: str
    day: dt.date | None
    url: str


def parse_month(value: str | None) -> tuple[dt.date, dt.date] | None:
    """``2026-12`` → (first day, first day of the next month); empty → no month."""
    if not value:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}", value.strip()):
        raise InvalidInput("invalid_month", "月份格式应为“2026-12”", field="month")
    year, month = int(value[:4]), int(value[5:7])
    if not 1 <= month <= 12:
        raise InvalidInput("invalid_month", "月份应为01–12", field="month")
    first = dt.date(year, month, 1)
    return first, dt.date(year + month // 12, month % 12 + 1, 1)


def _area_filter(area_code: str | None, by: User) -> str | None:
    if not area_code:
        return None
    code = area_code.strip()
    if not re.fullmatch(r"\d{12}", code):
        raise InvalidInput("invalid_area", "区划代码应为12位数字", field="area_code")
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise InvalidInput("invalid_area", "区划代码不存在", field="area_code")
    require_in_scope(by=by, area_code=code, what="区划", field="area_code")
    return str(area.prefix)


def _who(user: Any) -> str:
    return user.display_name if user is not None else "系统"


def _day(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    return timezone.localdate(value)


@dataclass
class _Source:
    """One kind of finding: its queryset, who answers for it, the date it is listed by, and
    how one row reads."""

    kind: str
    qs: Any
    person: str  # the field (a user FK path) naming who answers for it
    day: str  # the date field it is ordered and narrowed by
    row: Any  # row → (person object, subject, detail, url)


def _sources(scoped: Any, in_month: Any, decided_in_month: Any, closed_in_month: Any, today: dt.date) -> list[_Source]:
    deadlines = scoped(CaseDeadline.objects).select_related("application__household", "application__intake__created_by")
    reviews = scoped(Review.objects).select_related("application__household", "created_by", "decided_by")
    decided = decided_in_month(reviews.filter(status="decided"))
    apps = decided_in_month(scoped(Application.objects).select_related("household", "decided_by"))
    tasks = closed_in_month(
        scoped(GridTask.objects)
        .filter(status="closed", visited_at__isnull=True)
        .select_related("household", "closed_by")
    )

    def case(a: Application) -> str:
        return f"{a.household.head_name}户 {a.number}"

    def overdue(d: CaseDeadline) -> tuple[Any, ...]:
        a = d.application
        detail = f"{d.label}应于{d.due_on:%Y-%m-%d}前办结，已超期{(today - d.due_on).days}天"
        return a.intake.created_by, case(a), detail, reverse("applications:detail", args=[a.pk])

    def late(d: CaseDeadline) -> tuple[Any, ...]:
        a, met = d.application, d.met_on or d.due_on
        detail = f"{d.label}应于{d.due_on:%Y-%m-%d}前办结，实际{met:%Y-%m-%d}办结，超期{(met - d.due_on).days}天"
        return a.intake.created_by, case(a), detail, reverse("applications:detail", args=[a.pk])

    def review_overdue(r: Review) -> tuple[Any, ...]:
        detail = f"{r.get_kind_display()}应于{r.due_on:%Y-%m-%d}前办结，已超期{(today - r.due_on).days}天"
        return r.created_by, case(r.application), detail, reverse("monitoring:review", args=[r.pk])

    def review_no_reason(r: Review) -> tuple[Any, ...]:
        detail = f"复核结论为“{r.get_outcome_display()}”，未填写理由"
        return r.decided_by, case(r.application), detail, reverse("monitoring:review", args=[r.pk])

    def review_no_visit(r: Review) -> tuple[Any, ...]:
        detail = f"复核结论为“{r.get_outcome_display()}”，未记录入户核实的家庭情况"
        return r.decided_by, case(r.application), detail, reverse("monitoring:review", args=[r.pk])

    def refused_no_reason(a: Application) -> tuple[Any, ...]:
        return a.decided_by, case(a), "不予批准，未写明理由", reverse("applications:detail", args=[a.pk])

    def approved_no_visit(a: Application) -> tuple[Any, ...]:
        detail = f"{a.program_label}已审批，没有入户调查记录"
        return a.decided_by, case(a), detail, reverse("applications:detail", args=[a.pk])

    def task_no_visit(t: GridTask) -> tuple[Any, ...]:
        detail = f"核查任务以“{t.get_outcome_display()}”办结，没有入户走访记录"
        return t.closed_by, f"{t.household.head_name}户 核查任务#{t.pk}", detail, reverse("discovery:task", args=[t.pk])

    no_reason = Q(note="") | Q(note__isnull=True)
    return [
        _Source(
            "overdue",
            in_month(deadlines.overdue(today), "due_on"),
            "application__intake__created_by",
            "due_on",
            overdue,
        ),
        _Source(
            "late",
            in_month(deadlines.filter(met_on__gt=F("due_on")), "due_on"),
            "application__intake__created_by",
            "due_on",
            late,
        ),
        _Source("review_overdue", in_month(reviews.overdue(today), "due_on"), "created_by", "due_on", review_overdue),
        _Source(
            "reversed_no_reason",
            decided.filter(no_reason, outcome__in=("change", "gradual", "stop")),
            "decided_by",
            "decided_at",
            review_no_reason,
        ),
        _Source(
            "reversed_no_reason",
            apps.filter(state="rejected", rejection_reasons=[]),
            "decided_by",
            "decided_at",
            refused_no_reason,
        ),
        _Source("closed_no_visit", decided.filter(facts__isnull=True), "decided_by", "decided_at", review_no_visit),
        _Source(
            "closed_no_visit",
            apps.filter(state="approved", program__in=MONTHLY_PROGRAMS, investigations__isnull=True),
            "decided_by",
            "decided_at",
            approved_no_visit,
        ),
        _Source("task_no_visit", tasks, "closed_by", "closed_at", task_no_visit),
    ]


def conduct_report(
    *, by: User, area_code: str | None = None, month: str | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """What the supervisor sees: counts by kind, by town and by person (SQL aggregates, complete)
    and the list (newest first, at most ``MAX_ITEMS``). ``month`` narrows each item to the month
    of its date (the due date, or the day of the decision)."""
    require(by, PERMISSION)
    prefix = _area_filter(area_code, by)
    span = parse_month(month)
    today = today or timezone.localdate()

    def scoped(qs: Any) -> Any:
        qs = qs.visible_to(by)
        return qs.filter(area_code__startswith=prefix) if prefix else qs

    def in_month(qs: Any, field: str) -> Any:
        if span is None:
            return qs
        return qs.filter(**{f"{field}__gte": span[0], f"{field}__lt": span[1]})

    def decided_in_month(qs: Any) -> Any:
        if span is None:
            return qs
        return qs.filter(decided_at__date__gte=span[0], decided_at__date__lt=span[1])

    def closed_in_month(qs: Any) -> Any:
        if span is None:
            return qs
        return qs.filter(closed_at__date__gte=span[0], closed_at__date__lt=span[1])

    sources = _sources(scoped, in_month, decided_in_month, closed_in_month, today)
    town_counts: dict[str, Counter[str]] = {}
    person_counts: Counter[tuple[int | None, str]] = Counter()
    listed: list[tuple[Any, _Source, Any]] = []
    for src in sources:
        grouped = (
            src.qs.order_by()
            .annotate(town=Substr("area_code", 1, 9))
            .values("town", src.person)
            .annotate(n=Count("pk"))
            .values_list("town", src.person, "n")
        )
        for town, person_id, n in grouped:
            town_counts.setdefault(town, Counter())[src.kind] += n
            person_counts[(person_id, town)] += n
        for obj in src.qs.order_by(f"-{src.day}", "-pk")[:MAX_ITEMS]:
            listed.append((_day(getattr(obj, src.day)), src, obj))

    town_codes = [t.ljust(12, "0") for t in town_counts]
    names = dict(Area.objects.filter(code__in=town_codes).values_list("code", "name"))
    users = {u.pk: u for u in User.objects.filter(pk__in={p for p, _ in person_counts if p is not None})}

    def town_name(code: str) -> str:
        return names.get(code[:9].ljust(12, "0"), "县级")

    listed.sort(key=lambda t: (t[0] or dt.date.min, t[1].kind), reverse=True)
    items = []
    for day, src, obj in listed[:MAX_ITEMS]:
        person, subject, detail, url = src.row(obj)
        items.append(
            Item(
                kind=src.kind,
                kind_label=KIND_LABELS[src.kind],
                town_code=obj.area_code[:9].ljust(12, "0"),
                town_name=town_name(obj.area_code),
                area_code=obj.area_code,
                person=_who(person),
                subject=subject,
                detail=detail,
                day=day,
                url=url,
            )
        )
    by_town = [
        {
            "code": town.ljust(12, "0"),
            "name": town_name(town),
            **{k: c[k] for k in KIND_LABELS},
            "cells": [c[k] for k in KIND_LABELS],
            "total": sum(c.values()),
        }
        for town, c in town_counts.items()
    ]
    counts = {k: sum(c[k] for c in town_counts.values()) for k in KIND_LABELS}
    return {
        "area_code": area_code or "",
        "month": month or "",
        "counts": counts,
        "total": sum(counts.values()),
        "by_town": sorted(by_town, key=lambda t: (-t["total"], t["code"])),
        "by_person": [
            {"person": _who(users.get(pid) if pid is not None else None), "town": town_name(town), "total": n}
            for (pid, town), n in sorted(person_counts.items(), key=lambda x: (-x[1], x[0][1], x[0][0] or 0))
        ],
        "items": [asdict(i) for i in items],
        "kinds": [{"code": k, "label": v} for k, v in KINDS],
    }
