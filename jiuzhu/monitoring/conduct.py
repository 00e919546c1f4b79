"""Staff-conduct monitoring (工作作风监督, DIS-10): "不作为、假作为、乱作为、慢作为" as queries over
the work the platform already records, for supervisors (纪检监督 at the county, the town's
审批 leadership for its town), counted by town and by person and listed.

- 慢作为/不作为 — overdue work: a case's timed step (``CaseDeadline``) past its date and not
  done, a step done after its date (``late``), and a review (复核) past its deadline.
- 乱作为 — decisions reversed without reasons: a review concluded against the earlier
  decision (调整金额, 渐退, 停发) with no written reason, a case refused (不予批准) with no reason.
- 假作为 — work closed without a visit record: a review concluded without the household as
  found at the 入户 (no facts recorded), a monthly case approved with no 入户调查 on file.

Every query goes through ``visible_to(user)``: a town's leadership sees its town only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.applications.models import Application, CaseDeadline
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import InvalidInput
from jiuzhu.payments.models import MONTHLY_PROGRAMS

from .models import Review

PERMISSION = "monitoring.conduct"
KINDS = [
    ("overdue", "超期未办"),  # 慢作为/不作为: a timed step past its date, not done
    ("late", "超期办结"),  # 慢作为: done after its date
    ("review_overdue", "复核超期"),  # a 复核 past its deadline
    ("reversed_no_reason", "无理由改变决定"),  # 乱作为
    ("closed_no_visit", "未入户即办结"),  # 假作为
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
        raise InvalidInput("invalid_month", "月份格式应为YYYY-MM，如2026-12", field="month")
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


def conduct_report(
    *, by: User, area_code: str | None = None, month: str | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """What the supervisor sees: counts by kind, by town and by person, and the list (newest
    first, at most ``MAX_ITEMS``). ``month`` narrows each item to the month of its date (due
    date, or the day of the decision)."""
    require(by, PERMISSION)
    prefix = _area_filter(area_code, by)
    span = parse_month(month)
    today = today or timezone.localdate()

    def scoped(qs: Any, area_field: str = "area_code") -> Any:
        qs = qs.visible_to(by)
        if prefix:
            qs = qs.filter(**{f"{area_field}__startswith": prefix})
        return qs

    def in_month(qs: Any, field: str) -> Any:
        if span is None:
            return qs
        return qs.filter(**{f"{field}__gte": span[0], f"{field}__lt": span[1]})

    rows: list[tuple[str, str, str, str, str, dt.date | None, str]] = []

    deadlines = scoped(CaseDeadline.objects).select_related("application__household", "application__intake__created_by")
    for d in in_month(deadlines.overdue(today), "due_on"):
        app = d.application
        rows.append(
            (
                "overdue",
                d.area_code,
                _who(app.intake.created_by),
                f"{app.household.head_name}户 {app.number}",
                f"{d.label}应于{d.due_on:%Y-%m-%d}前办结，已超期{(today - d.due_on).days}天",
                d.due_on,
                reverse("applications:detail", args=[app.pk]),
            )
        )
    for d in in_month(deadlines.filter(met_on__gt=F("due_on")), "due_on"):
        app = d.application
        rows.append(
            (
                "late",
                d.area_code,
                _who(app.intake.created_by),
                f"{app.household.head_name}户 {app.number}",
                f"{d.label}应于{d.due_on:%Y-%m-%d}前办结，实际{d.met_on:%Y-%m-%d}办结，"
                f"超期{(d.met_on - d.due_on).days}天",
                d.due_on,
                reverse("applications:detail", args=[app.pk]),
            )
        )
    reviews = scoped(Review.objects).select_related("application__household", "created_by", "decided_by")
    for r in in_month(reviews.overdue(today), "due_on"):
        rows.append(
            (
                "review_overdue",
                r.area_code,
                _who(r.created_by),
                f"{r.application.household.head_name}户 {r.application.number}",
                f"{r.get_kind_display()}应于{r.due_on:%Y-%m-%d}前办结，已超期{(today - r.due_on).days}天",
                r.due_on,
                reverse("monitoring:review", args=[r.pk]),
            )
        )
    decided = reviews.filter(status="decided")
    if span is not None:
        decided = decided.filter(decided_at__date__gte=span[0], decided_at__date__lt=span[1])
    for r in decided.filter(outcome__in=("change", "gradual", "stop")).filter(Q(note="") | Q(note__isnull=True)):
        rows.append(
            (
                "reversed_no_reason",
                r.area_code,
                _who(r.decided_by),
                f"{r.application.household.head_name}户 {r.application.number}",
                f"复核结论为“{r.get_outcome_display()}”，未填写理由",
                timezone.localdate(r.decided_at) if r.decided_at else None,
                reverse("monitoring:review", args=[r.pk]),
            )
        )
    for r in decided.filter(facts__isnull=True):
        rows.append(
            (
                "closed_no_visit",
                r.area_code,
                _who(r.decided_by),
                f"{r.application.household.head_name}户 {r.application.number}",
                f"复核结论为“{r.get_outcome_display()}”，未记录入户核实的家庭情况",
                timezone.localdate(r.decided_at) if r.decided_at else None,
                reverse("monitoring:review", args=[r.pk]),
            )
        )
    apps = scoped(Application.objects).select_related("household", "decided_by")
    if span is not None:
        apps = apps.filter(decided_at__date__gte=span[0], decided_at__date__lt=span[1])
    for a in apps.filter(state="rejected", rejection_reasons=[]):
        rows.append(
            (
                "reversed_no_reason",
                a.area_code,
                _who(a.decided_by),
                f"{a.household.head_name}户 {a.number}",
                "不予批准，未写明理由",
                timezone.localdate(a.decided_at) if a.decided_at else None,
                reverse("applications:detail", args=[a.pk]),
            )
        )
    for a in apps.filter(state="approved", program__in=MONTHLY_PROGRAMS, investigations__isnull=True):
        rows.append(
            (
                "closed_no_visit",
                a.area_code,
                _who(a.decided_by),
                f"{a.household.head_name}户 {a.number}",
                f"{a.program_label}已审批，没有入户调查记录",
                timezone.localdate(a.decided_at) if a.decided_at else None,
                reverse("applications:detail", args=[a.pk]),
            )
        )

    towns = {r[1][:9].ljust(12, "0") for r in rows}
    names = dict(Area.objects.filter(code__in=towns).values_list("code", "name"))
    items = [
        Item(
            kind=k,
            kind_label=KIND_LABELS[k],
            town_code=area[:9].ljust(12, "0"),
            town_name=names.get(area[:9].ljust(12, "0"), "县级"),
            area_code=area,
            person=person,
            subject=subject,
            detail=detail,
            day=day,
            url=url,
        )
        for k, area, person, subject, detail, day, url in rows
    ]
    items.sort(key=lambda i: (i.day or dt.date.min, i.kind), reverse=True)
    by_town: dict[str, dict[str, Any]] = {}
    for i in items:
        t = by_town.setdefault(
            i.town_code, {"code": i.town_code, "name": i.town_name, "total": 0, **dict.fromkeys(KIND_LABELS, 0)}
        )
        t[i.kind] += 1
        t["total"] += 1
    for t in by_town.values():
        t["cells"] = [t[k] for k in KIND_LABELS]
    people = Counter((i.person, i.town_name) for i in items)
    return {
        "area_code": area_code or "",
        "month": month or "",
        "counts": {k: sum(1 for i in items if i.kind == k) for k in KIND_LABELS},
        "total": len(items),
        "by_town": sorted(by_town.values(), key=lambda t: (-t["total"], t["code"])),
        "by_person": [
            {"person": p, "town": town, "total": n}
            for (p, town), n in sorted(people.items(), key=lambda x: (-x[1], x[0]))
        ],
        "items": [asdict(i) for i in items[:MAX_ITEMS]],
        "kinds": [{"code": k, "label": v} for k, v in KINDS],
    }
