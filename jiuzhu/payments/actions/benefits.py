"""待遇 in force: what a stop, a suspension or a death takes back from rosters not yet at the
bank, and what a resumption gives back (DYN-4 … DYN-7)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Subquery, Sum

from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.referrals.records import end_case_records, end_person_records, reopen_case_records
from jiuzhu.registry.models import Person

from .. import ledger
from .. import roster as roster_mod
from ..models import (
    BLOCKING,
    MONTHLY_PROGRAMS,
    SUSPEND_REASONS,
    Benefit,
    LedgerEntry,
    Roster,
    RosterLine,
    add_months,
    month_label,
    month_start,
)
from ._common import STOP_REASON_LABELS, _line_label, _today, _who, parse_month
from .rosters import _issue, _lock_roster

LOCKED = ("locked", "exported", "settled")  # entitlements are booked from locking on


SUSPEND_REASON_LABELS = dict(SUSPEND_REASONS)


@dataclass
class Pulled:
    """What a stop, suspension or death did to the case's roster lines from its month on:
    months withdrawn, months already at the bank (to be recovered once paid) and rosters
    that must be re-confirmed before a bank file."""

    withdrawn: list[dt.date] = field(default_factory=list)
    exported: list[dt.date] = field(default_factory=list)
    reconfirm: list[int] = field(default_factory=list)

    def changes(self) -> dict[str, Any]:
        return {
            "withdrawn_months": [m.isoformat()[:7] for m in self.withdrawn],
            "exported_months": [m.isoformat()[:7] for m in self.exported],
            "reconfirm_rosters": sorted(set(self.reconfirm)),
        }

    @property
    def message(self) -> str:
        parts = []
        if self.withdrawn:
            parts.append(f"已撤出{'、'.join(month_label(m) for m in self.withdrawn)}尚未导出的发放明细")
        if self.reconfirm:
            parts.append("已锁定的花名册须重新确认后才能导出银行文件")
        if self.exported:
            months = "、".join(month_label(m) for m in self.exported)
            parts.append(f"{months}已导出银行文件，无法撤回：银行回盘后请办理追回")
        return "；".join(parts)


def _line_outstanding(line: RosterLine) -> int:
    """What the ledger still owes on a roster line: entitlements and adjustments booked on it
    less what reached the family (payments − reversals)."""
    sums = {
        kind: int(total or 0)
        for kind, total in LedgerEntry.objects.filter(roster_id=line.roster_id, roster_line_id=line.pk)
        .values("kind")
        .annotate(t=Sum("amount_fen"))
        .values_list("kind", "t")
    }
    return sums.get("entitlement", 0) + sums.get("adjustment", 0) - sums.get("payment", 0) + sums.get("reversal", 0)


def _ledger_row(by: Any, line: RosterLine, roster: Roster, amount: int, reason: str) -> LedgerEntry:
    return ledger.book(
        "adjustment",
        ledger.Party.of_line(line, roster),
        by=by,
        period=line.month,
        amount_fen=amount,
        reason=f"{_line_label(line)}{reason}",
        source="decision",
        roster=roster,
        roster_line=line,
    )


def _locked_lines(app_id: int, **filters: Any) -> tuple[dict[int, Roster], list[RosterLine]]:
    """The case's roster lines matching ``filters`` and their rosters, locked (rosters first,
    as every roster action locks them, so that two actions never wait on each other)."""
    rows = list(RosterLine.objects.filter(application_id=app_id, **filters).values_list("pk", "roster_id"))
    if not rows:
        return {}, []
    rosters = {r.pk: r for r in Roster.objects.select_for_update().filter(pk__in={r for _, r in rows}).order_by("pk")}
    lines = list(RosterLine.objects.select_for_update().filter(pk__in=[pk for pk, _ in rows]).order_by("month"))
    return rosters, lines


def _back_to_checked(by: Any, roster: Roster, why: str) -> None:
    """A roster waiting for its second locker changed: both lock it again."""
    if roster.status == "lock_requested":
        roster.status, roster.lock_requested_by, roster.lock_requested_at = "checked", None, None
        record(by, "payments.roster.cancel_lock", roster, changes={"reason": why})


ROSTER_CHANGED = ("line_count", "total_fen", "status", "lock_requested_by", "lock_requested_at", "reconfirm_required")


def _pull_lines(by: Any, app_id: int, *, from_month: dt.date, reason: str) -> Pulled:
    """Withdraw (撤出) every roster line of the case for ``from_month`` and later that has not
    gone to the bank: pending, held or failed. In a draft the line is simply withdrawn; in a
    locked roster what the ledger still owes on it is taken back with an adjustment and the
    roster must be re-confirmed before a bank file. Lines at the bank or paid are left and
    reported: once paid they are an overpayment to recover. Runs in the caller's transaction."""
    out = Pulled()
    rosters, lines = _locked_lines(app_id, month__gte=from_month)
    for line in lines:
        roster = rosters[line.roster_id]
        if line.status in ("sent", "paid"):
            out.exported.append(line.month)
            continue
        if line.status == "pulled":
            continue
        taken = 0
        if roster.status in LOCKED:
            owed = _line_outstanding(line)
            if owed > 0:
                _ledger_row(by, line, roster, -owed, f"撤出：{reason}")
                taken = owed
            roster.reconfirm_required = True
            out.reconfirm.append(roster.pk)
        _back_to_checked(by, roster, "有明细因停发、暂停或死亡撤出，须重新提交锁定")
        was = line.status
        line.status, line.resolution_note, line.resolved_by = "pulled", f"撤出：{reason}"[:200], _who(by)
        line.save(update_fields=["status", "resolution_note", "resolved_by"])
        roster.line_count -= 1
        roster.total_fen -= line.amount_fen
        record(
            by,
            "payments.roster.withdraw",
            line,
            area_code=line.area_code,
            changes={
                "roster": roster.pk,
                "month": line.month,
                "amount_fen": line.amount_fen,
                "was": was,
                "ledger_fen": -taken,
                "reason": reason,
            },
        )
        out.withdrawn.append(line.month)
    for roster in rosters.values():
        roster.save(update_fields=ROSTER_CHANGED)
    return out


def _line_exceptions(line: RosterLine, payee: Person) -> list[str]:
    """The line's exceptions with the account and death checks redone for ``payee``."""
    keep = [e for e in line.exceptions if e not in ("no_account", "duplicate_account", "deceased")]
    if not payee.bank_account_index:
        keep.append("no_account")
    if payee.death_date is not None and payee.death_date < line.month:
        keep.append("deceased")
    return keep


def _restore_lines(by: Any, app: Application, benefit: Benefit, reason: str) -> list[dt.date]:
    """恢复发放: the lines withdrawn by the suspension go back to their rosters (owed again on
    the ledger where the roster is locked; they go out with its bank file or re-issue). A line
    with a blocking exception comes back held (暂缓发放)."""
    payee = Person.objects.get(pk=benefit.payee_id)
    restored = []
    rosters, lines = _locked_lines(app.pk, month__gte=benefit.suspended_from, status="pulled")
    for line in lines:
        roster = rosters[line.roster_id]
        line.payee_id = payee.pk
        line.exceptions = _line_exceptions(line, payee)
        blocked = any(e in BLOCKING for e in line.exceptions)
        if roster.status in LOCKED and not blocked:
            _ledger_row(by, line, roster, line.amount_fen, f"恢复发放：{reason}")
        _back_to_checked(by, roster, "有明细恢复发放，须重新提交锁定")
        line.status = "held" if blocked else "pending"
        line.resolution_note, line.resolved_by = f"恢复发放：{reason}"[:200], _who(by)
        line.save(update_fields=["payee", "exceptions", "status", "resolution_note", "resolved_by"])
        roster.line_count += 1
        roster.total_fen += line.amount_fen
        record(
            by,
            "payments.roster.restore",
            line,
            area_code=line.area_code,
            changes={"roster": roster.pk, "month": line.month, "amount_fen": line.amount_fen, "status": line.status},
        )
        restored.append(line.month)
    for roster in rosters.values():
        roster.save(update_fields=ROSTER_CHANGED)
    return restored


def reconfirm_roster(by: Any, roster: Roster, *, note: str) -> Roster:
    """重新确认: after lines were withdrawn from a locked roster, an officer with the lock right
    confirms the roster as it now stands; only then can its bank file be exported."""
    require(by, "payments.lock")
    require_in_scope(by=by, area_code=roster.area_code)
    if not (note or "").strip():
        raise InvalidInput("required", "请填写确认说明", field="note")
    with transaction.atomic():
        roster = _lock_roster(roster)
        if not roster.reconfirm_required:
            raise DomainError("nothing_to_reconfirm", "本花名册没有待重新确认的撤出明细")
        pulled = RosterLine.objects.filter(roster=roster, status="pulled").aggregate(n=Count("id"), t=Sum("amount_fen"))
        roster.reconfirm_required = False
        roster.save(update_fields=["reconfirm_required"])
        record(
            by,
            "payments.roster.reconfirm",
            roster,
            changes={
                "note": note.strip(),
                "pulled_lines": pulled["n"],
                "pulled_fen": int(pulled["t"] or 0),
                "lines": roster.line_count,
                "total_fen": roster.total_fen,
            },
        )
    return roster


def _refuse_unconfirmed(roster: Roster) -> None:
    if roster.reconfirm_required:
        pulled = RosterLine.objects.filter(roster=roster, status="pulled").count()
        raise DomainError(
            "reconfirm_required",
            f"本花名册锁定后有{pulled}条明细因停发、暂停或死亡撤出，须由有锁定权限的工作人员核对后“重新确认”，"
            "才能导出银行文件",
        )


def _sweep(by: Any, roster: Roster) -> None:
    """Before a bank file: death data that arrived after locking (a payee dead before the
    month) and benefits no longer in force withdraw their lines, in a transaction of their
    own, so the refusal that follows leaves them withdrawn."""
    lines = RosterLine.objects.filter(roster=roster, status__in=("pending", "failed"))
    dead = list(
        Person.objects.filter(
            pk__in=Subquery(lines.filter(payee__death_date__lt=roster.month).values("payee_id"))
        ).distinct()
    )
    ended = list(
        lines.filter(application__benefit__status__in=("stopped", "suspended")).values_list("application_id", flat=True)
    )
    if not dead and not ended:
        return
    with transaction.atomic():
        for person in dead:
            record_death(by, person)
        for app_id in ended:
            benefit = Benefit.objects.select_for_update().get(application_id=app_id)
            if not benefit.covers(roster.month):
                label = "暂停发放" if benefit.status == "suspended" else "停发"
                _pull_lines(by, app_id, from_month=roster.month, reason=label)


def record_death(by: Any, person: Person) -> None:
    """A death in the 一户一档 (DYN-7), in the recording transaction: the person's rows of the
    register end that day; a benefit paid to him or her stops after the month of death when
    nobody else is covered (or it is 特困), else it is suspended (暂停发放) until the county
    names a new payee; every benefit of the family gets a review task."""
    from .reviews import open_reviews  # a death opens a review; reviews build on this module

    died = person.death_date
    if died is None:
        return
    end_person_records(person, died)
    after = add_months(month_start(died), 1)
    apps = Application.objects.filter(state="approved", program__in=MONTHLY_PROGRAMS).filter(
        Q(applicant=person) | Q(household_id=person.household_id) if person.household_id else Q(applicant=person)
    )
    for app in apps.select_related("intake"):
        roster_mod.sync_benefits(app.area_code)
        benefit = Benefit.objects.select_for_update().filter(application=app).first()
        if benefit is None or benefit.status == "stopped":
            continue
        note = f"{person.name}于{died:%Y年%m月%d日}死亡"
        if benefit.payee_id == person.pk:
            survivors = (
                Person.objects.filter(household_id=benefit.household_id, death_date__isnull=True)
                .exclude(pk=person.pk)
                .exists()
            )
            if app.program == "tekun" or not survivors:
                last = max(month_start(died), add_months(benefit.start_month, -1))
                _, pulled = _stop(by, app, benefit, reason="death", note=note, last_month=last)
                changes = {"reason": "death", "note": note, "last_month": last, **pulled.changes()}
                record(by, "payments.benefit.stop", app, changes=changes)
                continue
            if benefit.status == "suspended":
                _pull_lines(by, app.pk, from_month=after, reason="领款人死亡")
            else:
                _suspend(by, app, benefit, reason="payee_died", note=note, from_month=after)
        open_reviews(by, [app.pk], "death", f"家庭成员死亡：{note}", _today())


def _suspend(by: Any, app: Application, benefit: Benefit, *, reason: str, note: str, from_month: dt.date) -> Pulled:
    if benefit.status == "stopped":
        raise DomainError("benefit_stopped", "该案件已停发")
    if benefit.status == "suspended":
        raise DomainError("already_suspended", f"该案件已自{month_label(benefit.suspended_from)}起暂停发放")
    from_month = max(from_month, benefit.start_month)
    if benefit.end_month is not None and from_month > benefit.end_month:
        raise InvalidInput("invalid_month", "暂停月份晚于最后发放月份，无需暂停", field="from_month")
    benefit.status, benefit.suspended_from = "suspended", from_month
    benefit.suspend_reason, benefit.suspend_note = reason, note.strip()[:200]
    benefit.save()
    pulled = _pull_lines(by, app.pk, from_month=from_month, reason=f"暂停发放（{SUSPEND_REASON_LABELS[reason]}）")
    end_case_records(app, from_month - dt.timedelta(days=1))
    record(
        by,
        "payments.benefit.suspend",
        app,
        changes={"reason": reason, "note": note, "from_month": from_month, **pulled.changes()},
    )
    benefit.pulled = pulled
    return pulled


def suspend_benefit(by: Any, application: Application, *, reason: str, note: str, from_month: Any = None) -> Benefit:
    """暂停发放 from a month (default: this month), e.g. when the person cannot be reached or
    does not come to the review: the unexported lines are withdrawn, the family leaves the
    active register, and payment waits for 恢复发放 or 停发."""
    require(by, "payments.decide")
    require_in_scope(by=by, area_code=application.area_code)
    if reason not in SUSPEND_REASON_LABELS:
        raise InvalidInput("invalid_choice", "暂停原因无效", field="reason")
    if not (note or "").strip():
        raise InvalidInput("required", "请填写暂停发放情况说明", field="note")
    first = parse_month(from_month, "from_month") if from_month else month_start(_today())
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        benefit = _benefit(app)
        _suspend(by, app, benefit, reason=reason, note=note, from_month=first)
    return benefit


def resume_benefit(by: Any, application: Application, *, note: str, payee_id: int | None = None) -> Benefit:
    """恢复发放: the suspension is lifted; the lines it withdrew go back to their rosters (the
    months whose roster was made during the suspension have no line and are not paid). After
    the payee's death another living member of the family is named payee."""
    require(by, "payments.decide")
    require_in_scope(by=by, area_code=application.area_code)
    if not (note or "").strip():
        raise InvalidInput("required", "请填写恢复发放情况说明", field="note")
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        benefit = _benefit(app)
        if benefit.status != "suspended":
            raise DomainError("not_suspended", "该案件未暂停发放")
        if payee_id is not None:
            payee = Person.objects.filter(
                pk=payee_id, household_id=benefit.household_id, death_date__isnull=True
            ).first()
            if payee is None:
                raise InvalidInput("invalid_person", "领款人须为该家庭在世的成员", field="payee_id")
            benefit.payee = payee
        if Person.objects.filter(pk=benefit.payee_id, death_date__isnull=False).exists():
            raise DomainError("payee_deceased", "领款人已死亡：请指定家庭中另一名成员为领款人后恢复发放")
        restored = _restore_lines(by, app, benefit, note.strip())
        gradual = benefit.gradual_amount_fen is not None and benefit.stop_reason == "gradual_end"
        since = benefit.suspended_from
        benefit.status = "gradual" if gradual else "active"
        benefit.suspended_from, benefit.suspend_reason, benefit.suspend_note = None, "", ""
        benefit.save()
        reopen_case_records(app)
        record(
            by,
            "payments.benefit.resume",
            app,
            changes={
                "note": note,
                "suspended_from": since,
                "payee": benefit.payee_id,
                "restored_months": [m.isoformat()[:7] for m in restored],
            },
        )
    return benefit


# ==== reserve funds (备用金) =====================================================================


def _benefit(application: Application) -> Benefit:
    roster_mod.sync_benefits(application.area_code)
    benefit: Benefit | None = Benefit.objects.select_for_update().filter(application=application).first()
    if benefit is None:
        raise DomainError("no_benefit", "该案件不是按月发放的在保案件（低保或特困），无待遇可管理")
    return benefit


def _stop(
    by: Any, app: Application, benefit: Benefit, *, reason: str, note: str, last_month: dt.date, recovery_fen: int = 0
) -> tuple[Any, Pulled]:
    """The benefit ends after ``last_month``: the roster lines after it that have not gone to
    the bank are withdrawn and the register ends, in the caller's transaction; then the
    停发告知书. A suspended benefit was last paid before its suspension."""
    if benefit.status == "suspended" and benefit.suspended_from is not None:
        last_month = min(last_month, add_months(benefit.suspended_from, -1))
    benefit.status, benefit.end_month = "stopped", last_month
    benefit.stop_reason, benefit.stop_note = reason, note.strip()[:200]
    benefit.save()
    pulled = _pull_lines(
        by, app.pk, from_month=add_months(last_month, 1), reason=f"停发（{STOP_REASON_LABELS[reason]}）"
    )
    end_case_records(app, roster_mod.month_end(last_month))
    benefit.pulled = pulled
    notice = _issue(
        by,
        "stop",
        app,
        add_months(last_month, 1),
        reason=STOP_REASON_LABELS[reason],
        note=note,
        effective_month=add_months(last_month, 1),
        last_month=last_month,
        recovery_fen=recovery_fen,
    )
    return notice, pulled
