"""待遇 in force: what a stop, a suspension or a death takes back from rosters not yet at the
bank, and what a resumption gives back (DYN-4 … DYN-7).

The decisions themselves (停发, 暂停, 恢复, a death, a review's conclusion) are dynamic
management's (``jiuzhu.monitoring.actions``); they and payments' recovery build on the public
helpers here — ``lock_benefit``, ``pull_lines``, ``restore_lines``, ``end_benefit`` — which run
in the caller's transaction and leave permission checks and the audit row to the caller."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Subquery, Sum

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.referrals.actions import cancel_for_ended_case
from jiuzhu.referrals.records import end_case_records
from jiuzhu.registry.models import Person

from .. import ledger
from .. import roster as roster_mod
from ..models import (
    BLOCKING,
    PAYEE_CHECKS,
    SUSPEND_REASONS,
    Benefit,
    LedgerEntry,
    Roster,
    RosterLine,
    add_months,
)
from ..signals import deaths_found
from ._common import STOP_REASON_LABELS, _line_label, _who
from .rosters import _lock_roster, issue_notice

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


def pull_lines(app_id: int, *, by: User, from_month: dt.date, reason: str) -> Pulled:
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
    keep = [e for e in line.exceptions if e not in PAYEE_CHECKS]
    if payee.temp_number:
        keep.append("unidentified")
    if not payee.bank_account_index:
        keep.append("no_account")
    if payee.death_date is not None and payee.death_date < line.month:
        keep.append("deceased")
    return keep


def restore_lines(app: Application, benefit: Benefit, reason: str, *, by: User) -> list[dt.date]:
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


def reconfirm_roster(roster: Roster, *, by: User, note: str) -> Roster:
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
        if dead:
            deaths_found.send(sender=Person, by=by, persons=dead)
        for app_id in ended:
            benefit = Benefit.objects.select_for_update().get(application_id=app_id)
            if not benefit.covers(roster.month):
                label = "暂停发放" if benefit.status == "suspended" else "停发"
                pull_lines(app_id, by=by, from_month=roster.month, reason=label)


def lock_benefit(application: Application) -> Benefit:
    """The case's benefit, register brought up to date and row locked; refused for a case that
    is not paid monthly."""
    roster_mod.sync_benefits(application.area_code)
    benefit: Benefit | None = Benefit.objects.select_for_update().filter(application=application).first()
    if benefit is None:
        raise DomainError("no_benefit", "该案件不是按月发放的在保案件（低保或特困），无待遇可管理")
    return benefit


def close_benefit(
    app: Application, benefit: Benefit, *, by: User, reason: str, note: str, last_month: dt.date
) -> tuple[dt.date, Pulled]:
    """The benefit ends after ``last_month`` (a suspended one was last paid before its
    suspension), in the caller's transaction: the roster lines after it that have not gone to the
    bank are withdrawn, the register ends and the referrals no department has answered are
    withdrawn. No notice: the caller issues the one that names why. Returns the last month paid."""
    if benefit.status == "suspended" and benefit.suspended_from is not None:
        last_month = min(last_month, add_months(benefit.suspended_from, -1))
    benefit.status, benefit.end_month = "stopped", last_month
    benefit.stop_reason, benefit.stop_note = reason, note.strip()[:200]
    benefit.save()
    why = f"停发（{STOP_REASON_LABELS[reason]}）"
    pulled = pull_lines(app.pk, by=by, from_month=add_months(last_month, 1), reason=why)
    end_case_records(app, roster_mod.month_end(last_month))
    cancel_for_ended_case(app, by=by, why=f"已{why}")
    return last_month, pulled


def end_benefit(
    app: Application, benefit: Benefit, *, by: User, reason: str, note: str, last_month: dt.date, recovery_fen: int = 0
) -> tuple[Any, Pulled]:
    """``close_benefit``, then the 停发告知书."""
    last_month, pulled = close_benefit(app, benefit, by=by, reason=reason, note=note, last_month=last_month)
    benefit.pulled = pulled
    notice = issue_notice(
        app,
        "stop",
        add_months(last_month, 1),
        by=by,
        reason=STOP_REASON_LABELS[reason],
        note=note,
        effective_month=add_months(last_month, 1),
        last_month=last_month,
        never_paid=last_month < benefit.start_month,
        exported_months=[month_label(m) for m in pulled.exported],
        recovery_fen=recovery_fen,
    )
    return notice, pulled
