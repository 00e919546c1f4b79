"""应急期报告: listed, relieved, amounts, 补办登记 on time / late / overdue, 过渡期 aid.

过渡期生活救助 is reported twice: 应发 (``transition_fen``: the months' amounts the county put on
the rosters) and 实发 (``transition_paid_fen``: what the bank confirmed, read from the ledger's
payments less reversals on the roster lines carrying them). Until the bank's result is imported
实发 is below 应发; a failed transfer stays out of 实发 until it is re-issued and paid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.applications.models import Application, CaseDeadline
from jiuzhu.areas.models import Area
from jiuzhu.core.masking import mask_name
from jiuzhu.core.money import format_yuan
from jiuzhu.payments.models import LedgerEntry, RosterLine, ScheduledPayment

from ..models import Emergency, EmergencyHousehold
from ._common import KINDS, REGISTRATION


def _registration(app: Application | None, deadlines: dict[int, CaseDeadline], today: dt.date) -> tuple[str, Any]:
    if app is None:
        return "none", None
    d = deadlines.get(app.pk)
    if d is None:
        return "none", None
    if d.met_on is not None:
        return ("on_time" if d.met_on <= d.due_on else "late"), d
    return ("overdue" if today > d.due_on else "pending"), d


def transition_paid(application_ids: list[int]) -> dict[int, int]:
    """实发 of 过渡期生活救助 per case: for each month set on a case, what the bank paid on the
    roster line carrying it (payments − reversals), the case's own amount on that line counted
    first — so a line paid in part never shows more 过渡期 aid paid than reached the family."""
    items = list(
        ScheduledPayment.objects.filter(application_id__in=application_ids, kind="transition").values_list(
            "application_id", "month", "amount_fen"
        )
    )
    if not items:
        return {}
    lines = {
        (app, month): (pk, amount)
        for pk, app, month, amount in RosterLine.objects.filter(
            application_id__in=application_ids, month__in={m for _, m, _ in items}
        ).values_list("pk", "application_id", "month", "amount_fen")
    }
    paid = {
        line: int(p or 0) - int(r or 0)
        for line, p, r in LedgerEntry.objects.filter(
            roster_line_id__in=[pk for pk, _ in lines.values()], kind__in=("payment", "reversal")
        )
        .values("roster_line_id")
        .annotate(p=Sum("amount_fen", filter=Q(kind="payment")), r=Sum("amount_fen", filter=Q(kind="reversal")))
        .values_list("roster_line_id", "p", "r")
    }
    out: dict[int, int] = {}
    for app, month, amount in items:
        line = lines.get((app, month))
        if line is None:
            continue
        own = line[1] - int(amount)  # the case's own amount on the same line (e.g. 临时救助)
        out[app] = out.get(app, 0) + max(0, min(int(amount), paid.get(line[0], 0) - own))
    return out


def report(emergency: Emergency, *, by: User) -> dict[str, Any]:
    """应急期报告: listed, relieved, amounts, 补办登记 on time / late / overdue, 过渡期 aid —
    over the households of the actor's jurisdiction."""
    rows = list(
        EmergencyHousehold.objects.visible_to(by)
        .filter(emergency=emergency)
        .select_related("household", "application")
        .order_by("area_code", "household_id")
    )
    apps = [r.application_id for r in rows if r.application_id]
    deadlines = {d.application_id: d for d in CaseDeadline.objects.filter(application_id__in=apps, step="registration")}
    areas = dict(Area.objects.filter(code__in={r.area_code for r in rows}).values_list("code", "name"))
    today = timezone.localdate()
    paid = transition_paid(apps)
    counts = dict.fromkeys(REGISTRATION, 0)
    items = []
    for r in rows:
        status, d = _registration(r.application, deadlines, today)
        counts[status] += 1
        items.append(
            {
                "household_id": r.household_id,
                "area_code": r.area_code,
                "area_name": areas.get(r.area_code, r.area_code),
                "head": mask_name(r.household.head_name),
                "persons": r.persons,
                "loss": r.loss,
                "application_id": r.application_id,
                "application_number": r.application.number if r.application else "",
                "advance_fen": r.advance_fen,
                "relieved_at": r.relieved_at,
                "register_due": d.due_on if d else None,
                "registered_on": d.met_on if d else None,
                "registration": status,
                "registration_name": REGISTRATION[status],
                "transition_months": r.transition_months_paid,
                "transition_fen": r.transition_fen,
                "transition_paid_fen": paid.get(r.application_id or 0, 0),
            }
        )
    return {
        "households": len(rows),
        "relieved": sum(1 for r in rows if r.application_id),
        "advance_fen": sum(r.advance_fen for r in rows),
        "registered_on_time": counts["on_time"],
        "registered_late": counts["late"],
        "overdue": counts["overdue"],
        "pending": counts["pending"],
        "transition_households": sum(1 for r in rows if r.transition_months_paid),
        "transition_fen": sum(r.transition_fen for r in rows),  # 应发: on the rosters
        "transition_paid_fen": sum(paid.values()),  # 实发: confirmed by the bank
        "unknown_ids": sum(len(i.get("unknown", [])) for i in emergency.imports),
        "items": items,
    }


REPORT_HEADERS = [
    "村（社区）",
    "户主",
    "名单人数",
    "受灾情况",
    "救助申请编号",
    "先行救助金额（元）",
    "先行救助时间",
    "补办登记截止",
    "补办登记日期",
    "补办登记情况",
    "过渡期生活救助月数",
    "过渡期生活救助应发金额（元）",
    "过渡期生活救助实发金额（元）",
]


def report_rows(data: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            i["area_name"],
            i["head"],
            i["persons"],
            i["loss"],
            i["application_number"],
            i["advance_fen"] / 100,
            timezone.localtime(i["relieved_at"]).strftime("%Y-%m-%d %H:%M") if i["relieved_at"] else "",
            str(i["register_due"] or ""),
            str(i["registered_on"] or ""),
            i["registration_name"],
            i["transition_months"],
            i["transition_fen"] / 100,
            i["transition_paid_fen"] / 100,
        ]
        for i in data["items"]
    ]


def report_notes(emergency: Emergency, data: dict[str, Any]) -> list[str]:
    """The summary lines of the report (the Excel's second sheet and the page's head)."""
    return [
        f"事件：{emergency.name}（{KINDS.get(emergency.kind, emergency.kind)}），"
        f"{emergency.starts_on}至{emergency.ended_at.date() if emergency.ended_at else emergency.planned_end_on}",
        f"启动依据：{emergency.source_document}",
        f"名单户数：{data['households']}；先行救助户数：{data['relieved']}；先行救助金额：{format_yuan(data['advance_fen'])}",
        f"补办登记：按期{data['registered_on_time']}户，逾期补办{data['registered_late']}户，"
        f"逾期未补办{data['overdue']}户，待补办{data['pending']}户",
        f"过渡期生活救助：{data['transition_households']}户，应发{format_yuan(data['transition_fen'])}（列入花名册），"
        f"实发{format_yuan(data.get('transition_paid_fen', 0))}（银行发放成功）",
        f"名单中未匹配到登记家庭的身份证号：{data['unknown_ids']}个",
    ]
