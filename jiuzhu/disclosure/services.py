"""公开: what the public pages and their API answer (no login, no staff data)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.system import system_user
from jiuzhu.applications.actions.publicity import object_
from jiuzhu.applications.config import config_for_case
from jiuzhu.applications.models import Application, Objection
from jiuzhu.core.dates import day_label
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.idnumber import mask_id_number, normalize
from jiuzhu.core.masking import mask_person_name
from jiuzhu.core.ratelimit import count_use
from jiuzhu.registry.pii import blind_index

# Plain words for each state and what happens next (办理进度查询, INT-23).
PLAIN_STATES: dict[str, tuple[str, str]] = {
    "accepted": ("已受理，正在办理", "镇（街道）将安排入户调查，请保持电话畅通。"),
    "returned": ("需要补充材料", "请按《一次性告知书》补齐材料后交到镇（街道）便民服务中心。"),
    "investigating": ("正在入户调查和家庭经济状况核对", "核对完成后镇（街道）将提出审核意见。"),
    "reviewing": ("正在审核", "审核后将在村（社区）公示结果。"),
    "publicizing": ("正在公示", "公示期满无异议后作出决定，将书面通知您。"),
    "deliberating": ("公示期间有异议，正在组织民主评议", "评议后作出决定，将书面通知您。"),
    "decision_pending": ("等待审批", "审批后将书面通知您。"),
    "county_review": ("已报县级审批", "县级审批后将书面通知您。"),
    "advance_paid": ("已先行救助", "请在规定期限内补齐申请手续。"),
    "approved": ("已批准", "救助金将按月发放到您的账户，请留意审批通知书。"),
    "rejected": ("不予批准", "理由和救济途径见不予批准通知书；如有疑问可咨询镇（街道）。"),
    "not_accepted": ("不予受理", "理由见不予受理通知书；如有疑问可咨询镇（街道）。"),
    "withdrawn": ("申请已撤回", "如需重新申请，请到镇（街道）便民服务中心或村（社区）。"),
}
# 审批权限下放 (devolved): the town decided before the publicity; it stands if nobody objects
RESULT_PUBLICIZED = ("已审批同意，审批结果正在公示", "公示期满无异议后生效，将书面通知您。")
NOT_FOUND = "未查到办理进度。请核对回执编号和申请人身份证号码；如仍查不到，请咨询受理的镇（街道）。"
RATE_LIMITS = {"status": (10, 600), "objection": (5, 3600)}  # (requests, seconds) per IP
OBJECTION_SOURCE = "公示网页在线异议"  # the acting system user's name in the audit log


class RateLimited(DomainError):  # 请求过于频繁
    status = 429


def check_rate(kind: str, ip: str) -> None:
    """Per-IP limit in the Django cache; raises ``rate_limited`` (429) when exceeded."""
    limit, seconds = RATE_LIMITS[kind]
    if count_use(f"disclosure:{kind}:{hashlib.sha256(ip.encode()).hexdigest()[:24]}", seconds) > limit:
        raise RateLimited("rate_limited", "操作过于频繁，请稍后再试")


@dataclass(frozen=True)
class StatusLine:
    program: str
    state: str
    next_step: str


def status_of(receipt_number: str, id_number: str) -> list[StatusLine]:
    """The state and next step of each application on a receipt, when the ID number is the
    applicant's. The same single query runs for an unknown receipt and a wrong ID, and both
    answer an empty list (no enumeration)."""
    receipt = receipt_number.strip().upper()
    if not receipt:
        raise InvalidInput("required", "请填写回执编号", field="receipt_number")
    if not id_number.strip():
        raise InvalidInput("required", "请填写申请人身份证号码", field="id_number")
    index = blind_index("id_number", normalize(id_number))
    rows = Application.objects.filter(intake__receipt_number=receipt, applicant__id_number_index=index).order_by("id")
    out = []
    for app in rows:
        state, step = PLAIN_STATES.get(app.state, ("正在办理", "请咨询受理的镇（街道）。"))
        if app.state == "publicizing" and config_for_case(app).preset == "devolved":
            state, step = RESULT_PUBLICIZED
        out.append(StatusLine(app.program_label, state, step))
    return out


@dataclass(frozen=True)
class GongshiEntry:  # one line of the 公示 list
    number: str
    name: str
    id_number: str
    program: str
    amount: str
    period: str
    publicity_start: dt.date | None
    publicity_end: dt.date


def publicity_version(village_code: str) -> str:
    """A short token that changes whenever what the village's board shows could change: a case
    entering or leaving 公示, its dates, amounts or a save. One narrow indexed query (no facts)."""
    rows = Application.objects.filter(area_code=village_code, state="publicizing").values_list(
        "id", "publicity_start", "publicity_end", "amount_fen", "proposed_amount_fen", "updated_at", "applicant_id"
    )
    return hashlib.sha256(repr(sorted(rows)).encode()).hexdigest()[:16]


def in_period(village_code: str, on: dt.date | None = None) -> list[Application]:
    on = on or timezone.localdate()
    return list(
        Application.objects.filter(area_code=village_code, state="publicizing", publicity_end__gte=on)
        .exclude(publicity_start__gt=on)
        .select_related("applicant")
        .order_by("publicity_start", "number")
    )


def villages_in_publicity(on: dt.date | None = None) -> list[tuple[str, str, int]]:
    """(village code, name, entries) of every village with entries in their 公示 period."""
    from jiuzhu.areas.models import Area

    on = on or timezone.localdate()
    counts: dict[str, int] = {}
    rows = (
        Application.objects.filter(state="publicizing", publicity_end__gte=on)
        .exclude(publicity_start__gt=on)
        .values_list("area_code", flat=True)
    )
    for code in rows:
        counts[code] = counts.get(code, 0) + 1
    names = dict(Area.objects.filter(code__in=counts).values_list("code", "name"))
    return [(code, names.get(code, code), n) for code, n in sorted(counts.items())]


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100:,.2f}元"


def gongshi_entries(village_code: str, on: dt.date | None = None) -> list[GongshiEntry]:
    """The village's recipients in their 公示 period, masked by the one public rule."""
    out = []
    for app in in_period(village_code, on):
        assert app.publicity_end is not None
        start = f"{day_label(app.publicity_start)}" if app.publicity_start else ""
        out.append(
            GongshiEntry(
                number=app.number,
                name=mask_person_name(app.applicant.name),
                id_number=app.applicant.id_number_masked or mask_id_number(""),
                program=app.program_label,
                amount=_yuan(app.amount_fen if app.amount_fen is not None else app.proposed_amount_fen),
                period=f"{start}至{day_label(app.publicity_end)}",
                publicity_start=app.publicity_start,
                publicity_end=app.publicity_end,
            )
        )
    return out


def file_objection(village_code: str, number: str, *, name: str, phone: str, reason: str) -> Objection:
    """在线异议: lands on the case through ``object_`` by the system actor named after this page."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("required", "请填写异议理由", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("too_long", "异议理由不能超过2000字", field="reason")
    if len(name.strip()) > 32:
        raise InvalidInput("too_long", "姓名不能超过32字", field="name")
    phone = phone.strip()
    if phone and (not phone.replace("-", "").isdigit() or len(phone) > 20):
        raise InvalidInput("invalid_phone", "联系电话格式不正确", field="phone")
    app = next((a for a in in_period(village_code) if a.number == number), None)
    if app is None:
        raise InvalidInput("not_in_publicity", "该公示对象不在公示期内，无法在线提出异议", field="number")
    raised_by = f"{name.strip() or '匿名'}（{OBJECTION_SOURCE}）"
    with transaction.atomic():
        return object_(
            app,
            by=system_user(OBJECTION_SOURCE),
            raised_by=raised_by,
            content=reason,
            received_on=timezone.localdate(),
            contact=phone,
        )
