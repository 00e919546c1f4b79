"""What the family sees (issue 18 item 3; INT-9, INT-22): their household's cases and
referrals in plain words, each with the next step and its due date. Every query starts from
the signed-in person's household — never from an id alone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from jiuzhu.applications.actions import is_signature_item
from jiuzhu.applications.config import config_for_case
from jiuzhu.applications.models import Application, Notice
from jiuzhu.core.dates import day_label, month_label
from jiuzhu.core.money import format_yuan
from jiuzhu.monitoring.amounts import monthly_amount
from jiuzhu.registry.models import Person

from .actions import takes_photo_supplements

# 状态的白话说明: what the state means and what happens next, for the family.
PLAIN_WORDS: dict[str, tuple[str, str]] = {
    "accepted": ("您的申请已受理。", "工作人员将入户调查，并核对家庭经济状况"),
    "returned": (
        "材料还不齐全，请按《一次性告知书》补交材料。补正期间暂停计算办理时限。",
        "补交材料（可在本页上传照片，不用跑腿）",
    ),
    "investigating": ("工作人员正在入户调查、核对家庭经济状况。", "乡镇（街道）审核"),
    "reviewing": ("调查核对已完成，乡镇（街道）正在审核。", "审核结果在村（社区）公示"),
    "publicizing": ("审核结果正在村（社区）公示，有意见的可以提出。", "公示期满后审批"),
    "deliberating": ("公示期间有人提出意见，正在组织民主评议。", "评议后审批"),
    "decision_pending": ("正在等待审批。", "作出批准或不予批准的决定"),
    "county_review": ("已报县级民政部门审批。", "县级作出决定"),
    "advance_paid": ("已先行发放急难救助金。", "镇（街道）工作人员补办登记手续，需要您签字或补充材料时会联系您"),
    "approved": ("申请已批准。", "可在本页查看审批通知书"),
    "rejected": ("申请未获批准，理由见《不予批准通知书》。", "如有异议，可按通知书所写途径申请复议或提起诉讼"),
    "not_accepted": ("申请未被受理，理由见《不予受理通知书》。", "如有异议，可按通知书所写途径申请复议或提起诉讼"),
    "withdrawn": ("申请已撤回。", "如有需要可重新申请"),
}
# 审批权限下放 (devolved): the town has decided; the village publishes the result, which stands
# when nobody objects — not a proposal waiting for a decision
RESULT_PUBLICIZED = (
    "镇（街道）已审批同意，审批结果正在村（社区）公示，有意见的可以提出。",
    "公示期满无异议后生效，出具审批通知书",
)
# Returned, and all it still lacks is a member's own signature: no photo can supply it.
BRING_TO_WINDOW = "由家庭成员本人到镇（街道）便民服务中心社会救助窗口签字"
# Accepted, but the 一次性告知书 still lists something: 先授权、后核对, the visit waits for it.
STILL_MISSING = (
    "您的申请已受理，还有《一次性告知书》所列的材料未补齐。",
    "补齐后，工作人员入户调查并核对家庭经济状况",
)


@dataclass
class CaseView:
    app: Application
    state_label: str
    plain: str
    next_step: str
    due: str  # 期限 (YYYY-MM-DD), empty when closed
    missing: list[str] = field(default_factory=list)
    upload_items: list[str] = field(default_factory=list)  # missing items a photo may supply

    @property
    def due_label(self) -> str:
        """The due date as the family reads it: ``2026年12月30日`` (``… 22:00`` for hours)."""
        return due_in_words(self.due)

    @property
    def can_upload(self) -> bool:
        return bool(self.upload_items)

    @property
    def window_items(self) -> list[str]:
        """The missing items brought to the window (a member's own signature)."""
        return [m for m in self.missing if m not in self.upload_items]


def due_in_words(due: str) -> str:
    """``2026-12-30`` → ``2026年12月30日``; ``2026-12-30 22:00`` → ``2026年12月30日 22:00``."""
    if not due:
        return ""
    day, _, hour = due.partition(" ")
    words = day_label(dt.date.fromisoformat(day))
    return f"{words} {hour}" if hour else words


def household_of(person: Person) -> int:
    """The household the person acts for; a person who left every household reaches nothing."""
    if person.household_id is None:
        raise Http404("not_found")
    return person.household_id


def household_cases(person: Person) -> QuerySet[Application]:
    """The person's household's cases."""
    return Application.objects.filter(household_id=household_of(person))


def _approved_words(app: Application) -> tuple[str, str]:
    """An approved case in the family's words: what its money does now — paid every month and
    how much, stopped, suspended or in its 渐退期; a one-off grant and how much; a status with no
    money of its own (低保边缘家庭, 刚性支出困难家庭)."""
    from jiuzhu.payments.models import MONTHLY_PROGRAMS, Benefit

    if app.program in MONTHLY_PROGRAMS:
        benefit = Benefit.objects.filter(application=app).first()
        if benefit is not None and benefit.status == "stopped" and benefit.stop_reason == "gradual_end":
            last = f"，最后发放{month_label(benefit.end_month)}" if benefit.end_month else ""
            return (
                f"渐退期已满，救助金已停发{last}。",
                "详见《救助渐退告知书》；家庭情况再有困难，可重新申请",
            )
        if benefit is not None and benefit.status == "stopped":
            return (
                f"救助金已停发（{benefit.get_stop_reason_display()}）。",
                "详见《救助金停发告知书》；如有异议，可按告知书所写途径申请复议或提起诉讼",
            )
        if benefit is not None and benefit.status == "suspended" and benefit.suspended_from:
            return (
                f"救助金自{month_label(benefit.suspended_from)}起暂停发放（{benefit.get_suspend_reason_display()}）。",
                "请联系镇（街道）社会救助窗口",
            )
        if benefit is not None and benefit.status == "gradual" and benefit.end_month:
            gradual = format_yuan(benefit.gradual_amount_fen or 0)
            return (
                f"救助金处于渐退期，每月{gradual}，发放至{month_label(benefit.end_month)}。",
                "渐退期满后停发；家庭情况再有变化请及时报告",
            )
        amount, since, before = monthly_amount(app)
        if before is not None and since is not None:
            plain = (
                f"每月救助金{format_yuan(amount)}，自{month_label(since)}起调整（此前每月{format_yuan(before)}），"
                "详见《救助金调整告知书》。"
            )
        else:
            start = f"，自{month_label(app.start_month)}起" if app.start_month else ""
            plain = f"申请已批准，每月救助金{format_yuan(amount)}{start}按月发放。"
        payee = benefit.payee if benefit is not None else app.applicant
        return (plain, f"{paid_to(payee)}；家庭人口、收入、财产变化请及时报告")
    if app.program == "temporary" and app.advance_amount_fen:
        return (f"申请已批准，救助金{format_yuan(app.advance_amount_fen)}已先行发放，不再另行发放。", "")
    if app.program == "temporary" and app.amount_fen:
        return _one_off_words(app)
    return ("申请已批准。", "可在本页查看审批通知书")


def _one_off_words(app: Application) -> tuple[str, str]:
    """A one-off 临时救助 as the family follows it to the bank: decided, sent, paid, or failed
    (the bank's reason; the town sends it again once the account is put right)."""
    from jiuzhu.payments.models import BankLine, RosterLine

    decided = f"申请已批准，临时救助金{format_yuan(app.amount_fen or 0)}，一次性发放"
    line = RosterLine.objects.filter(application=app).exclude(status="pulled").order_by("-month").first()
    if line is None or line.status in ("pending", "held"):
        return (f"{decided}。", paid_to(app.applicant))
    if line.status == "sent":
        return (f"{decided}，已送银行办理转账。", "到账后本页显示“已发放”")
    if line.status == "paid":
        return (f"{decided}，{format_yuan(line.amount_fen)}已发放（{month_label(line.month)}花名册）。", "")
    reason = BankLine.objects.filter(line=line).order_by("-id").values_list("bank_message", flat=True).first()
    return (
        f"{decided}，银行转账未成功{f'（{reason}）' if reason else ''}。",
        "镇（街道）将核实账户后重新发放；请确认社会保障卡（一卡通）账户可以正常使用，或联系镇（街道）社会救助窗口",
    )


def paid_to(payee: Person) -> str:
    """Where the money goes — or, with no account registered, that it waits for one (the roster
    holds a line without an account; the family is told what to bring, and where)."""
    if payee.bank_account_index:
        return "救助金发放至领款人的社会保障卡（一卡通）账户"
    return (
        f"领款人{payee.name}尚未登记社会保障卡（一卡通）账户，救助金暂不能发放："
        "请带本人身份证和社会保障卡（一卡通）到镇（街道）社会救助窗口登记，登记后补发"
    )


def case_view(app: Application) -> CaseView:
    plain, next_step = PLAIN_WORDS.get(app.state, (app.get_state_display(), ""))
    if app.state == "publicizing" and config_for_case(app).preset == "devolved":
        plain, next_step = RESULT_PUBLICIZED
    if app.state == "approved":
        plain, next_step = _approved_words(app)
    missing = [m["name"] for m in app.missing_documents] if app.is_open else []
    if missing and app.state == "accepted":
        plain, next_step = STILL_MISSING
    photo = takes_photo_supplements(app)
    upload_items = [m for m in missing if photo and not is_signature_item(m)]
    if photo and missing and not upload_items:
        next_step = BRING_TO_WINDOW
    due = ""
    if app.is_open and app.state != "returned":  # 补正: the clock stops until the family has sent everything
        open_deadlines = sorted((d for d in app.deadlines.all() if d.met_on is None), key=lambda d: (d.due_on, d.pk))
        deadline = open_deadlines[0] if open_deadlines else None
        if deadline is not None:
            next_step = f"{next_step}（当前环节：{deadline.label}）"
            due = deadline.due_display
        else:
            due = f"{app.due_on:%Y-%m-%d}"
    if app.state == "publicizing" and app.publicity_end:
        due = f"{app.publicity_end:%Y-%m-%d}"
    return CaseView(
        app=app,
        state_label=app.get_state_display(),
        plain=plain,
        next_step=next_step,
        due=due,
        missing=missing,
        upload_items=upload_items,
    )


def cases_for(person: Person) -> list[CaseView]:
    cases = household_cases(person).prefetch_related("deadlines").order_by("-accepted_at", "-id")
    return [case_view(a) for a in cases]


def case_for(person: Person, pk: int) -> Application:
    """One case of the person's household, else 404 (another household's case is not found)."""
    app = household_cases(person).filter(pk=pk).first()
    if app is None:
        raise Http404("not_found")
    return app


def notices_of(app: Application) -> QuerySet[Notice]:
    return Notice.objects.filter(application=app).order_by("issued_at", "id")


def notice_for(person: Person, pk: int) -> Notice:
    """A notice of the person's household (by its intake), else 404."""
    notice = (
        Notice.objects.select_related("document", "application")
        .filter(intake__household_id=household_of(person), pk=pk)
        .first()
    )
    if notice is None:
        raise Http404("not_found")
    return notice


REFERRAL_WORDS = {
    "open": "已转给承办部门，等待接收",
    "accepted": "承办部门正在办理",
    "info_requested": "承办部门需要补充信息",
    "granted": "已获得救助",
    "denied": "经审核不符合条件",
    "returned": "承办部门已退回",
    "cancelled": "已撤销",
}


def referrals_for(person: Person) -> list[dict[str, Any]]:
    """一体联动 referrals of the household: program, department, plain status, due date, and
    what a department granted (the sum of its members' amounts, monthly or once)."""
    from django.db.models import Sum

    from jiuzhu.referrals.models import CLOSED, AssistanceRecord, Referral

    rows = list(
        Referral.objects.filter(household_id=household_of(person))
        .select_related("program", "department")
        .order_by("-created_at", "-id")
    )
    granted = {
        (r["source_ref"], r["period"]): int(r["total"] or 0)
        for r in AssistanceRecord.objects.filter(
            source="referral", source_ref__in=[r.number for r in rows if r.status == "granted"]
        )
        .values("source_ref", "period")
        .annotate(total=Sum("amount_fen"))
    }
    out = []
    for r in rows:
        status = REFERRAL_WORDS.get(r.status, r.get_status_display())
        monthly, once = granted.get((r.number, "monthly"), 0), granted.get((r.number, "once"), 0)
        if monthly:
            status = f"{status}，每月{format_yuan(monthly)}"
        elif once:
            status = f"{status}，{format_yuan(once)}（一次性）"
        out.append(
            {
                "number": r.number,
                "program": r.program.name,
                "department": r.department.name if r.department else r.office,
                "status": status,
                "granted_amount_fen": monthly or once or None,
                "granted_period": "monthly" if monthly else "once" if once else "",
                "due": "" if r.status in CLOSED else f"{r.due_on:%Y-%m-%d}",
                "due_label": "" if r.status in CLOSED else day_label(r.due_on),
            }
        )
    return out


def online_for(person: Person) -> list[Any]:
    """The household's online applications not yet accepted (掌上办申请 填写中/待受理)."""
    from .models import OnlineApplication

    return list(OnlineApplication.objects.filter(household_id=household_of(person), state__in=("draft", "submitted")))
