"""线下转办: the printed 转办单 and the reply slip the town records by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput

from ..models import Referral
from ._common import _begin, _save
from .results import _record_result

REPLY_OUTCOMES = {"granted": "已救助", "denied": "不符合条件", "returned": "非本单位职责（退回）"}


def record_reply(
    referral: Referral,
    *,
    by: User,
    outcome: str,
    note: str,
    replied_on: dt.date | None,
    replier: str = "",
    amount_fen: int | None = None,
    granted_from: dt.date | None = None,
    granted_to: dt.date | None = None,
    person_ids: list[int] | None = None,
    recipients: list[Any] | None = None,
    period: str = "once",
) -> Referral:
    """登记线下回复: the reply slip of a paper referral, recorded by the town or county as the
    office wrote it (outcome, help and recipients, the date and who replied); granted help
    enters the register and the 服务清单 exactly as an online result would."""
    require(by, "referrals.create")
    if outcome not in REPLY_OUTCOMES:
        raise InvalidInput("invalid_choice", "回复结果应为已救助、不符合条件或非本单位职责", field="outcome")
    if not (note or "").strip():
        raise InvalidInput("required", "请填写回复内容", field="note")
    if replied_on is None:
        raise InvalidInput("required", "请填写回复日期", field="replied_on")
    if replied_on > timezone.localdate():
        raise InvalidInput("invalid_date", "回复日期不能晚于今天", field="replied_on")
    if outcome == "granted":
        if granted_from is None:
            raise InvalidInput("required", "请填写救助开始日期", field="granted_from")
        if granted_to is not None and granted_to < granted_from:
            raise InvalidInput("invalid_date", "结束日期不能早于开始日期", field="granted_to")
        if period not in ("monthly", "once"):
            raise InvalidInput("invalid_choice", "发放方式应为按月（monthly）或一次性（once）", field="period")
        if amount_fen is not None and amount_fen < 0:
            raise InvalidInput("invalid_amount", "金额不能为负数", field="amount_fen")
    with transaction.atomic():
        ref = _begin(referral, by=by, department_side=False)
        if ref.channel != "paper":
            raise DomainError("not_paper", "系统派单的结果由承办部门在系统中反馈，不能手工登记")
        if replied_on < timezone.localdate(ref.created_at):
            raise InvalidInput("invalid_date", "回复日期不能早于转办日期", field="replied_on")
        ref.replied_on, ref.replier = replied_on, replier.strip()[:64]
        extra = {"replied_on": replied_on, "replier": ref.replier, "outcome": outcome}
        if outcome == "returned":
            ref.status, ref.result_note = "returned", note.strip()
            ref.closed_at = timezone.now()
            return _save(ref, "record_reply", {"note": note, **extra}, by=by)
        return _record_result(
            ref,
            by=by,
            granted=outcome == "granted",
            note=note,
            amount_fen=amount_fen,
            granted_from=granted_from,
            granted_to=granted_to,
            person_ids=person_ids,
            period=period,
            recipients=recipients,
            action="record_reply",
            extra=extra,
        )


def print_transfer(referral: Referral, *, by: User) -> bytes:
    """打印转办单: the paper referral and its reply slip as a PDF (names the head of the
    household in full: audited as a disclosure of personal information)."""
    from jiuzhu.web.pdf import render_pdf

    require(by, "referrals.create")
    if referral.channel != "paper":
        raise DomainError("not_paper", "系统派单由承办部门在系统中办理，无需打印转办单")
    household = referral.household
    town = Area.objects.filter(code=household.area_id[:9].ljust(12, "0")).values_list("name", flat=True).first()
    context = {
        "ref": referral,
        "head": household.head_name,
        "town": f"{town}办事处" if (town or "").endswith("街道") else f"{town or ''}人民政府",
        "clerk": getattr(by, "display_name", "") or getattr(by, "username", ""),
        "today": timezone.localdate(),
    }
    pdf = render_pdf("referrals/transfer_pdf.html", context)
    with transaction.atomic():
        record(by, "referrals.print", referral, changes={"number": referral.number, "office": referral.office})
    return pdf
