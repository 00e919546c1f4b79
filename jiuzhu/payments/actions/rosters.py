"""花名册 (FND-4): generate, check, hold or confirm lines, lock with a second person, and the
adjustment notices issued after locking."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import system_user
from jiuzhu.applications import notices
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record, record_job_death
from jiuzhu.core import jobs
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput
from jiuzhu.core.gcpause import collector_paused
from jiuzhu.registry.models import Person

from .. import ledger, roster_compute, roster_write
from .. import roster as roster_mod
from ..models import (
    BLOCKING,
    EXCEPTION_LABELS,
    PAYEE_CHECKS,
    PROGRAM_LABELS,
    PaymentNotice,
    Roster,
    RosterLine,
    RosterRun,
    add_months,
    month_start,
)
from ._common import _today, _who, parse_month
from .notice_jobs import queue_adjustment_notices


def _roster_month(month: dt.date, county_code: str) -> None:
    """How far ahead a roster may be made: the county's 花名册提前生成月数 (a dated setting)."""
    today = _today()
    latest = add_months(month_start(today), roster_mod.config_for(county_code, today).roster_months_ahead)
    if month > latest:
        raise InvalidInput("month_too_late", f"最多只能生成{month_label(latest)}的花名册", field="month")


def request_roster(*, by: User, area_code: str, month: Any, refresh: bool = False) -> Roster | RosterRun:
    """生成花名册 (or 重新生成 a draft): the existing roster when there is one, else a queued
    generation job whose progress the UI shows. The job calls ``generate_roster``."""
    require(by, "payments.roster")
    area = roster_mod.roster_area(area_code)
    require_in_scope(by=by, area_code=area.code)
    month = parse_month(month)
    _roster_month(month, area.county_code)
    existing: Roster | None = Roster.objects.filter(area_code=area.code, month=month).first()
    if existing is not None and not refresh:
        return existing
    if existing is not None and not existing.editable:
        raise DomainError("roster_locked", f"{existing}已锁定，不能重新生成")
    recover_roster_runs()  # a run whose worker died no longer blocks a new request
    with transaction.atomic():
        running: RosterRun | None = (
            RosterRun.objects.select_for_update()
            .filter(area_code=area.code, month=month, status__in=("queued", "running"))
            .first()
        )
        if running is not None:
            return running
        run = RosterRun.objects.create(area_code=area.code, month=month, refresh=refresh, requested_by=_who(by))
        record(by, "payments.roster.request", run, changes={"month": month.isoformat(), "refresh": refresh})
        transaction.on_commit(lambda: _enqueue_run(run.pk))
    return run


def _enqueue_run(run_id: int) -> None:
    from ..tasks import generate_roster_task

    generate_roster_task.enqueue(run_id)


def recover_roster_runs(scope: Any = None) -> list[int]:
    """Runs whose worker died are marked failed with the reason (issue 19 item 3)."""
    return jobs.reap(RosterRun, scope=scope, audit=record_job_death)


def retry_roster_run(run: RosterRun, *, by: User) -> RosterRun:
    """重试: queue a failed generation again. Generation is idempotent: it writes the roster
    in one transaction, so a retry after a kill starts from nothing half-written."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=run.area_code)
    return jobs.retry(
        run,
        recover=recover_roster_runs,
        reset={"status": "queued", "error": "", "phase": "", "done": 0, "finished_at": None},
        audit=lambda locked: record(
            by, "payments.roster.retry", locked, changes={"run": locked.pk, "attempts": locked.attempts}
        ),
        enqueue=_enqueue_run,
    )


def run_roster(run_id: int) -> RosterRun:
    """The job: generate the roster of a queued run, saving progress as it goes."""
    run = RosterRun.objects.get(pk=run_id)
    if run.status == "done":
        return run
    by = run.requested_by or system_user("系统（花名册生成）")
    jobs.claim(RosterRun, run.pk, phase="开始")

    def progress(phase: str, done: int, total: int) -> None:
        RosterRun.objects.filter(pk=run.pk).update(phase=phase[:32], done=done, total=total)

    jobs.run(
        RosterRun,
        run.pk,
        lambda: generate_roster(
            by=by, area_code=run.area_code, month=run.month, refresh=run.refresh, progress=progress
        ),
        crashed="生成失败：{error}",
        done=lambda roster: {"roster": roster, "phase": "完成"},
    )
    run.refresh_from_db()
    return run


@collector_paused()
def generate_roster(
    *, by: User, area_code: str, month: Any, refresh: bool = False, progress: roster_mod.Progress | None = None
) -> Roster:
    """花名册 for a month and a county or town (FND-4): compute, then write in one transaction.
    The same month twice gives the same roster; two workers at once give one roster."""
    require(by, "payments.roster")
    area = roster_mod.roster_area(area_code)
    require_in_scope(by=by, area_code=area.code)
    month = parse_month(month)
    existing: Roster | None = Roster.objects.filter(area_code=area.code, month=month).first()
    if existing is not None and not refresh:
        return existing
    computed = roster_compute.compute(area.code, month, progress)
    if progress:
        progress("写入花名册", 0, len(computed.rows))
    roster, _ = roster_write.write(by, computed, refresh=refresh)
    return roster


def _lock_roster(roster: Roster) -> Roster:
    locked: Roster = Roster.objects.select_for_update().get(pk=roster.pk)
    return locked


def resolve_line(line: RosterLine, *, by: User, decision: str, note: str) -> RosterLine:
    """核查: hold a line this month (暂缓发放) or confirm it despite a warning (确认发放)."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=line.area_code)
    note = (note or "").strip()
    if decision not in ("hold", "pay"):
        raise InvalidInput("invalid_choice", "处理方式应为暂缓发放（hold）或确认发放（pay）", field="decision")
    if not note:
        raise InvalidInput("required", "请填写处理说明", field="note")
    with transaction.atomic():
        roster = _lock_roster(line.roster)
        line = RosterLine.objects.select_for_update().get(pk=line.pk)
        if not roster.editable:
            raise DomainError("roster_locked", "花名册已锁定，不能再修改明细")
        if line.status == "pulled":
            raise DomainError("line_pulled", "该明细已因停发、暂停发放或死亡撤出，不再发放")
        if decision == "pay":
            blockers = [e for e in line.exceptions if e in BLOCKING]
            if blockers:
                labels = "、".join(EXCEPTION_LABELS[e] for e in blockers)
                raise DomainError("blocking_exception", f"存在“{labels}”，不能确认发放：请暂缓发放，或修正后重新核查")
        line.status = "held" if decision == "hold" else "pending"
        line.resolution_note, line.resolved_by = note[:200], _who(by)
        line.save(update_fields=["status", "resolution_note", "resolved_by"])
        if roster.status == "checked":
            roster.status = "generated"
            roster.save(update_fields=["status"])
        record(by, f"payments.roster.{decision}", line, changes={"roster": roster.pk, "note": note})
    return line


def _recheck(roster: Roster) -> tuple[int, int]:
    """Refresh account and death checks of a draft roster from the registry (set-based).
    Returns (lines whose exceptions changed, unresolved exceptions)."""
    lines = list(RosterLine.objects.filter(roster=roster).values_list("pk", "payee_id", "exceptions", "status"))
    payees = Subquery(RosterLine.objects.filter(roster=roster).values("payee_id"))
    people = {
        pk: (index, temp_number, death is not None and death < roster.month, shared)
        for pk, index, temp_number, death, shared in Person.objects.filter(pk__in=payees)
        .annotate(shared=roster_compute.shares_account())
        .values_list("pk", "bank_account_index", "temp_number", "death_date", "shared")
    }
    changed, unresolved = 0, 0
    for pk, payee, exceptions, status in lines:
        keep = [e for e in exceptions if e not in PAYEE_CHECKS]
        index, temp_number, deceased, shared = people.get(payee, ("", None, False, False))
        if temp_number:
            keep.append("unidentified")
        if not index:
            keep.append("no_account")
        elif shared:
            keep.append("duplicate_account")
        if deceased:
            keep.append("deceased")
        if sorted(keep) != sorted(exceptions):
            changed += 1
            RosterLine.objects.filter(pk=pk).update(exceptions=keep)
        if keep and status == "pending":
            unresolved += 1
    return changed, unresolved


def _unresolved(roster: Roster) -> int:
    return sum(
        1
        for exceptions, note in RosterLine.objects.filter(roster=roster, status="pending")
        .exclude(exceptions=[])
        .values_list("exceptions", "resolution_note")
        if any(e in BLOCKING for e in exceptions) or not note
    )


def check_roster(roster: Roster, *, by: User) -> dict[str, Any]:
    """核查: re-read accounts and deaths; the roster is checked when every exception is handled."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=roster.area_code)
    with transaction.atomic():
        roster = _lock_roster(roster)
        if not roster.editable:
            raise DomainError("roster_locked", "花名册已锁定，无需核查")
        changed, _ = _recheck(roster)
        unresolved = _unresolved(roster)
        roster.exception_count = RosterLine.objects.filter(roster=roster).exclude(exceptions=[]).count()
        if unresolved == 0:
            roster.status, roster.checked_by, roster.checked_at = "checked", _who(by), timezone.now()
        else:
            roster.status = "generated"
        roster.save()
        record(by, "payments.roster.check", roster, changes={"unresolved": unresolved, "changed": changed})
    return {"unresolved": unresolved, "changed": changed, "status": roster.status}


def request_lock(roster: Roster, *, by: User, note: str = "") -> Roster:
    """提交锁定 (first person of the two-person rule)."""
    require(by, "payments.lock")
    require_in_scope(by=by, area_code=roster.area_code)
    with transaction.atomic():
        roster = _lock_roster(roster)
        if roster.status != "checked":
            raise DomainError(
                "invalid_state", f"花名册当前状态为“{roster.get_status_display()}”，须核查通过后才能提交锁定"
            )
        if _unresolved(roster):
            raise DomainError("unresolved_exceptions", "仍有未处理的异常，请先核查处理")
        roster.status, roster.lock_requested_by, roster.lock_requested_at = "lock_requested", _who(by), timezone.now()
        roster.save()
        record(by, "payments.roster.request_lock", roster, changes={"note": note})
    return roster


def cancel_lock(roster: Roster, *, by: User, reason: str) -> Roster:
    """退回锁定申请: back to checked, e.g. when the second person finds a problem."""
    require(by, "payments.lock")
    require_in_scope(by=by, area_code=roster.area_code)
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写退回原因", field="reason")
    with transaction.atomic():
        roster = _lock_roster(roster)
        if roster.status != "lock_requested":
            raise DomainError("invalid_state", "花名册不在待复核锁定状态")
        roster.status, roster.lock_requested_by, roster.lock_requested_at = "checked", None, None
        roster.save()
        record(by, "payments.roster.cancel_lock", roster, changes={"reason": reason})
    return roster


def confirm_lock(roster: Roster, *, by: User) -> Roster:
    """复核锁定 (second person): the roster is final and every line to be paid becomes an
    entitlement (应发) entry in the ledger. The person who asked may not confirm."""
    require(by, "payments.lock")
    require_in_scope(by=by, area_code=roster.area_code)
    with transaction.atomic():
        roster = _lock_roster(roster)
        if roster.status != "lock_requested":
            raise DomainError("invalid_state", f"花名册当前状态为“{roster.get_status_display()}”，须先提交锁定")
        if getattr(by, "pk", None) is None or by.pk == roster.lock_requested_by_id:
            raise Forbidden("two_person_rule", "锁定须由另一名工作人员复核确认（双人复核），提交人不能自行确认")
        lines = list(
            RosterLine.objects.filter(roster=roster, status="pending", amount_fen__gt=0).values_list(
                "pk", "application_id", "payee_id", "household_id", "program", "area_code", "amount_fen"
            )
        )
        RosterLine.objects.filter(roster=roster, status="pending", amount_fen__lte=0).update(
            status="held", resolution_note="金额为0，不予发放"
        )
        now = timezone.now()
        who = _who(by)
        ledger.book_rows(
            (
                (
                    "entitlement",
                    app,
                    payee,
                    hh,
                    program,
                    area,
                    roster.county_code,
                    roster.month,
                    amount,
                    0,
                    f"{roster.month_label}{PROGRAM_LABELS[program]}应发（花名册）",
                    "roster",
                    roster.pk,
                    line_id,
                    None,
                    None,
                    None,
                    who.pk if who else None,
                    now,
                )
                for line_id, app, payee, hh, program, area, amount in lines
            ),
            len(lines),
        )
        roster.status, roster.locked_by, roster.locked_at = "locked", _who(by), now
        roster.save()
        record(
            by,
            "payments.roster.lock",
            roster,
            changes={
                "requested_by": roster.lock_requested_by_id,
                "entitlements": len(lines),
                "total_fen": sum(x[6] for x in lines),
            },
        )
        queue_adjustment_notices(roster, requested_by=_who(by))  # 调整告知书, a job after the commit
    return roster


def issue_adjustment_notices(roster_id: int, limit: int | None = None) -> int:
    """DYN-4: after a standard change, every case whose amount changed gets its 调整告知书
    (once per case and month). Run as a job after the roster is locked."""
    roster = Roster.objects.get(pk=roster_id)
    by = roster.locked_by or system_user("系统（调整告知）")
    done = set(
        PaymentNotice.objects.filter(kind="adjustment", month=roster.month).values_list("application_id", flat=True)
    )
    todo = (
        RosterLine.objects.filter(roster=roster, change="standard")
        .exclude(status__in=("held", "pulled"))
        .exclude(application_id__in=done)
        .select_related("application__intake")
    )
    count = 0
    for line in todo.iterator(chunk_size=200):
        if limit is not None and count >= limit:
            break
        with transaction.atomic():
            issue_notice(
                line.application,
                "adjustment",
                roster.month,
                by=by,
                reason="当地救助标准调整",
                amount_before_fen=line.previous_fen,
                amount_after_fen=line.amount_fen,
                effective_month=roster.month,
                note=line.change_note,
                basis=_standard_basis(line.application, roster.month, line.amount_fen),
            )
        count += 1
    return count


def _standard_basis(app: Application, month: dt.date, amount_fen: int) -> dict[str, Any] | None:
    """The new sum of a case whose amount moved with the standard (the notice's 金额计算): its
    facts evaluated on the roster's month; none when that does not give the roster's amount, so
    that a notice never prints a sum the bank does not pay."""
    from jiuzhu.programs.engine import evaluate_household
    from jiuzhu.rules import amount_basis

    try:
        result = evaluate_household(app.area_code, month, [app.program], app.facts)[app.program]
    except (DomainError, InvalidInput):
        return None
    return amount_basis(result["trace"]) if result["monthly_amount_fen"] == amount_fen else None


def issue_notice(app: Application, kind: str, month: dt.date, *, by: User, **extra: Any) -> Any:
    """One 调整/停发/渐退 notice, numbered and archived, at most once per case, kind and month."""
    existing = PaymentNotice.objects.filter(application=app, kind=kind, month=month).select_related("notice").first()
    if existing is not None:
        return existing.notice
    notice = notices.issue(by, kind, intake=app.intake, application=app, extra=extra)
    PaymentNotice.objects.create(application=app, notice=notice, kind=kind, month=month, area_code=app.area_code)
    return notice


# ==== bank files ================================================================================
