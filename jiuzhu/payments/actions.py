"""State changes of payments, funds and dynamic management. Each checks permission, state and
jurisdiction, runs in one transaction with its rows locked, writes its audit row there, and
enqueues follow-up work with ``transaction.on_commit``. Views and the API call these only."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Subquery, Sum
from django.utils import timezone

from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import SystemActor, user_or_none
from jiuzhu.applications import notices
from jiuzhu.applications.models import Application
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record, record_job_death
from jiuzhu.core import jobs
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.core.money import format_yuan
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs.engine import evaluate_household, work_income_rose
from jiuzhu.referrals.records import end_case_records, end_person_records, reopen_case_records
from jiuzhu.registry.bulk import allocate_ids, insert_rows
from jiuzhu.registry.importer import ImportRejected, RowError
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import blind_index, unseal
from jiuzhu.web.labels import area_labels

from . import bankfiles
from . import roster as roster_mod
from .models import (
    BLOCKING,
    EXCEPTION_LABELS,
    FRAUD_CATEGORIES,
    MONTHLY_PROGRAMS,
    PROGRAM_LABELS,
    SIGN,
    STOP_REASONS,
    SUSPEND_REASONS,
    BankBatch,
    BankLayout,
    BankLine,
    BankResultImport,
    Benefit,
    CreditRecord,
    LedgerEntry,
    PaymentNotice,
    RepaymentPlan,
    ReserveEntry,
    ReserveFund,
    Review,
    Roster,
    RosterLine,
    RosterRun,
    add_months,
    month_label,
    month_start,
)

STOP_REASON_LABELS = dict(STOP_REASONS)
MAX_GRADUAL_MONTHS = 6


def _today() -> dt.date:
    return timezone.localdate()


def _who(by: Any) -> Any:
    return user_or_none(by)


def check_jurisdiction(by: Any, area_code: str) -> None:
    """Out-of-jurisdiction objects do not exist for the actor (404)."""
    if getattr(by, "is_superuser", False):
        return
    area = getattr(by, "area", None)
    if area is None or not area.contains(area_code):
        raise NotFound("not_found", "对象不存在或不在您的管辖范围内")


def parse_month(raw: Any, field: str = "month") -> dt.date:
    """``2026-12`` / ``2026-12-01`` / a date → the first day of that month."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return month_start(raw)
    text = str(raw or "").strip()
    try:
        if len(text) == 7:
            return dt.date(int(text[:4]), int(text[5:7]), 1)
        return month_start(dt.date.fromisoformat(text))
    except ValueError:
        raise InvalidInput("invalid_month", "月份格式应为YYYY-MM，如2026-12", field=field) from None


def _line_label(line: RosterLine) -> str:
    return f"{month_label(line.month)}{PROGRAM_LABELS.get(line.program, line.program)}"


# ==== rosters ===================================================================================


def _roster_month(month: dt.date) -> None:
    latest = add_months(month_start(_today()), 1)
    if month > latest:
        raise InvalidInput("month_too_late", f"最多只能生成{month_label(latest)}的花名册", field="month")


def request_roster(by: Any, *, area_code: str, month: Any, refresh: bool = False) -> Roster | RosterRun:
    """生成花名册 (or 重新生成 a draft): the existing roster when there is one, else a queued
    generation job whose progress the UI shows. The job calls ``generate_roster``."""
    require(by, "payments.roster")
    area = roster_mod.roster_area(area_code)
    check_jurisdiction(by, area.code)
    month = parse_month(month)
    _roster_month(month)
    existing = Roster.objects.filter(area_code=area.code, month=month).first()
    if existing is not None and not refresh:
        return existing
    if existing is not None and not existing.editable:
        raise DomainError("roster_locked", f"{existing}已锁定，不能重新生成")
    recover_roster_runs()  # a run whose worker died no longer blocks a new request
    with transaction.atomic():
        running = (
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
    from .tasks import generate_roster_task

    generate_roster_task.enqueue(run_id)


def recover_roster_runs(scope: Any = None) -> list[int]:
    """Runs whose worker died are marked failed with the reason (issue 19 item 3)."""
    return jobs.reap(
        RosterRun,
        running=("running",),
        failed="failed",
        message_field="error",
        scope=scope,
        audit=record_job_death,
    )


def retry_roster_run(by: Any, run: RosterRun) -> RosterRun:
    """重试: queue a failed generation again. Generation is idempotent: it writes the roster
    in one transaction, so a retry after a kill starts from nothing half-written."""
    require(by, "payments.roster")
    check_jurisdiction(by, run.area_code)
    recover_roster_runs(RosterRun.objects.filter(pk=run.pk))
    with transaction.atomic():
        locked = RosterRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != "failed":
            raise DomainError("run_not_failed", f"该任务当前为“{locked.get_status_display()}”，只有失败的任务可以重试")
        locked.status, locked.error, locked.phase, locked.done, locked.finished_at = "queued", "", "", 0, None
        locked.save(update_fields=["status", "error", "phase", "done", "finished_at"])
        record(by, "payments.roster.retry", locked, changes={"run": locked.pk, "attempts": locked.attempts})
        transaction.on_commit(lambda: _enqueue_run(locked.pk))
    return locked


def run_roster(run_id: int) -> RosterRun:
    """The job: generate the roster of a queued run, saving progress as it goes."""
    run = RosterRun.objects.get(pk=run_id)
    if run.status == "done":
        return run
    by = run.requested_by or SystemActor("系统（花名册生成）")
    # claimed with its worker in one statement: a kill right after still leaves a recoverable run
    RosterRun.objects.filter(pk=run.pk).update(
        status="running",
        phase="开始",
        attempts=F("attempts") + 1,
        worker=jobs.this_worker(),
        heartbeat_at=timezone.now(),
    )

    def progress(phase: str, done: int, total: int) -> None:
        RosterRun.objects.filter(pk=run.pk).update(phase=phase[:32], done=done, total=total)

    try:
        with jobs.heartbeat(RosterRun, run.pk):
            roster = generate_roster(
                by, area_code=run.area_code, month=run.month, refresh=run.refresh, progress=progress
            )
    except DomainError as exc:
        RosterRun.objects.filter(pk=run.pk).update(status="failed", error=exc.message[:500], finished_at=timezone.now())
    except Exception as exc:
        RosterRun.objects.filter(pk=run.pk).update(
            status="failed", error=f"生成失败：{type(exc).__name__}", finished_at=timezone.now()
        )
        raise
    else:
        RosterRun.objects.filter(pk=run.pk).update(
            status="done", roster=roster, phase="完成", finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


def generate_roster(
    by: Any, *, area_code: str, month: Any, refresh: bool = False, progress: roster_mod.Progress | None = None
) -> Roster:
    """花名册 for a month and a county or town (FND-4): compute, then write in one transaction.
    The same month twice gives the same roster; two workers at once give one roster."""
    require(by, "payments.roster")
    area = roster_mod.roster_area(area_code)
    check_jurisdiction(by, area.code)
    month = parse_month(month)
    existing = Roster.objects.filter(area_code=area.code, month=month).first()
    if existing is not None and not refresh:
        return existing
    computed = roster_mod.compute(area.code, month, progress)
    if progress:
        progress("写入花名册", 0, len(computed.rows))
    roster, _ = roster_mod.write(by, computed, refresh=refresh)
    return roster


def _lock_roster(roster: Roster) -> Roster:
    return Roster.objects.select_for_update().get(pk=roster.pk)


def resolve_line(by: Any, line: RosterLine, *, decision: str, note: str) -> RosterLine:
    """核查: hold a line this month (暂缓发放) or confirm it despite a warning (确认发放)."""
    require(by, "payments.roster")
    check_jurisdiction(by, line.area_code)
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
    people = dict(Person.objects.filter(pk__in=payees).values_list("pk", "bank_account_index"))
    deaths = dict(Person.objects.filter(pk__in=payees, death_date__lt=roster.month).values_list("pk", "death_date"))
    shared = set(
        Person.objects.filter(
            bank_account_index__in=Subquery(
                Person.objects.filter(pk__in=payees).exclude(bank_account_index="").values("bank_account_index")
            )
        )
        .values("bank_account_index")
        .annotate(n=Count("household_id", distinct=True))
        .filter(n__gt=1)
        .values_list("bank_account_index", flat=True)
    )
    changed, unresolved = 0, 0
    for pk, payee, exceptions, status in lines:
        keep = [e for e in exceptions if e not in ("no_account", "duplicate_account", "deceased")]
        index = people.get(payee, "")
        if not index:
            keep.append("no_account")
        elif index in shared:
            keep.append("duplicate_account")
        if payee in deaths:
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


def check_roster(by: Any, roster: Roster) -> dict[str, Any]:
    """核查: re-read accounts and deaths; the roster is checked when every exception is handled."""
    require(by, "payments.roster")
    check_jurisdiction(by, roster.area_code)
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


def request_lock(by: Any, roster: Roster, *, note: str = "") -> Roster:
    """提交锁定 (first person of the two-person rule)."""
    require(by, "payments.lock")
    check_jurisdiction(by, roster.area_code)
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


def cancel_lock(by: Any, roster: Roster, *, reason: str) -> Roster:
    """退回锁定申请: back to checked, e.g. when the second person finds a problem."""
    require(by, "payments.lock")
    check_jurisdiction(by, roster.area_code)
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


LEDGER_COLUMNS = (
    "id",
    "kind",
    "application_id",
    "person_id",
    "household_id",
    "program",
    "area_code",
    "county_code",
    "period",
    "amount_fen",
    "attempt",
    "reason",
    "source",
    "roster_id",
    "roster_line_id",
    "bank_line_id",
    "reverses_id",
    "plan_id",
    "created_by_id",
    "created_at",
)


def confirm_lock(by: Any, roster: Roster) -> Roster:
    """复核锁定 (second person): the roster is final and every line to be paid becomes an
    entitlement (应发) entry in the ledger. The person who asked may not confirm."""
    require(by, "payments.lock")
    check_jurisdiction(by, roster.area_code)
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
        ids = allocate_ids(LedgerEntry, len(lines))
        insert_rows(
            LedgerEntry,
            LEDGER_COLUMNS,
            (
                (
                    pk,
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
                    _who(by).pk if _who(by) else None,
                    now,
                )
                for pk, (line_id, app, payee, hh, program, area, amount) in zip(ids, lines, strict=True)
            ),
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
        roster_id = roster.pk
        transaction.on_commit(lambda: _enqueue_notices(roster_id))
    return roster


def _enqueue_notices(roster_id: int) -> None:
    from .tasks import adjustment_notices_task

    adjustment_notices_task.enqueue(roster_id)


def issue_adjustment_notices(roster_id: int, limit: int | None = None) -> int:
    """DYN-4: after a standard change, every case whose amount changed gets its 调整告知书
    (once per case and month). Run as a job after the roster is locked."""
    roster = Roster.objects.get(pk=roster_id)
    by = roster.locked_by or SystemActor("系统（调整告知）")
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
            _issue(
                by,
                "adjustment",
                line.application,
                roster.month,
                reason="当地救助标准调整",
                amount_before_fen=line.previous_fen,
                amount_after_fen=line.amount_fen,
                effective_month=roster.month,
                note=line.change_note,
            )
        count += 1
    return count


def _issue(by: Any, kind: str, app: Application, month: dt.date, **extra: Any) -> Any:
    """One 调整/停发/渐退 notice, numbered and archived, at most once per case, kind and month."""
    existing = PaymentNotice.objects.filter(application=app, kind=kind, month=month).select_related("notice").first()
    if existing is not None:
        return existing.notice
    notice = notices.issue(by, kind, intake=app.intake, application=app, extra=extra)
    PaymentNotice.objects.create(application=app, notice=notice, kind=kind, month=month, area_code=app.area_code)
    return notice


# ==== bank files ================================================================================


def layouts_for(by: Any, county_code: str) -> list[BankLayout]:
    require(by, "payments.view")
    return bankfiles.ensure_layouts(county_code)


def _layout(roster: Roster, layout: BankLayout | int | None) -> BankLayout:
    layouts = bankfiles.ensure_layouts(roster.county_code)
    if layout is None:
        return next((x for x in layouts if x.is_default), layouts[0])
    pk = layout.pk if isinstance(layout, BankLayout) else layout
    found = next((x for x in layouts if x.pk == pk), None)
    if found is None:
        raise InvalidInput("unknown_layout", "银行文件格式不存在", field="layout")
    return found


BANK_COLUMNS = (
    "batch_id",
    "line_id",
    "reference",
    "account_index",
    "account_masked",
    "account_enc",
    "amount_fen",
    "status",
    "bank_message",
)


def _new_batch(by: Any, roster: Roster, layout: BankLayout, line_filter: Q, kind: str) -> BankBatch:
    lines = list(
        RosterLine.objects.filter(roster=roster).filter(line_filter).values_list("pk", "payee_id", "amount_fen")
    )
    if kind == "reissue":  # after a partial reversal only what did not reach the family goes out again
        net = {
            line: int(p or 0) - int(r or 0)
            for line, p, r in LedgerEntry.objects.filter(
                roster=roster,
                roster_line_id__in=Subquery(RosterLine.objects.filter(roster=roster).filter(line_filter).values("pk")),
                kind__in=("payment", "reversal"),
            )
            .values("roster_line_id")
            .annotate(p=Sum("amount_fen", filter=Q(kind="payment")), r=Sum("amount_fen", filter=Q(kind="reversal")))
            .values_list("roster_line_id", "p", "r")
        }
        lines = [(pk, payee, amount - net.get(pk, 0)) for pk, payee, amount in lines]
        settled = [pk for pk, _, amount in lines if amount <= 0]
        RosterLine.objects.filter(pk__in=settled).update(status="paid")
        lines = [x for x in lines if x[2] > 0]
    if not lines:
        raise DomainError("nothing_to_export", "没有需要发放的记录")
    payees = Subquery(RosterLine.objects.filter(roster=roster).filter(line_filter).values("payee_id"))
    accounts = {
        pk: (index, masked, bytes(enc) if enc else b"")
        for pk, index, masked, enc in Person.objects.filter(pk__in=payees).values_list(
            "pk", "bank_account_index", "bank_account_masked", "bank_account_enc"
        )
    }
    missing = [pk for pk, payee, _ in lines if not accounts.get(payee, ("",))[0]]
    if missing:
        raise DomainError(
            "account_missing", f"有{len(missing)}人缺少银行账户，不能导出：请补录账户后重新核查，或暂缓发放"
        )
    seq = (BankBatch.objects.filter(roster=roster).aggregate(m=Max("seq"))["m"] or 0) + 1
    batch = BankBatch.objects.create(
        roster=roster,
        seq=seq,
        kind=kind,
        layout=layout,
        area_code=roster.area_code,
        line_count=len(lines),
        total_fen=sum(x[2] for x in lines),
        exported_by=_who(by),
    )
    prefix = f"{roster.county_code}{roster.month:%Y%m}{seq:02d}"
    insert_rows(
        BankLine,
        BANK_COLUMNS,
        (
            (batch.pk, line, f"{prefix}{line:010d}", *accounts[payee], amount, "sent", "")
            for line, payee, amount in lines
        ),
    )
    _set_status(RosterLine, [(line, "sent", "") for line, _, _ in lines])
    return batch


def export_bank_file(
    by: Any, roster: Roster, *, layout: BankLayout | int | None = None
) -> tuple[BankBatch, bytes, str]:
    """导出银行文件 (社会化发放 to the payee's 一卡通 account): every line to be paid of a locked
    roster in one batch. Writing the file is a full-PII export and is audited."""
    require(by, "payments.roster")
    check_jurisdiction(by, roster.area_code)
    if roster.status == "locked":
        _sweep(by, roster)
    with transaction.atomic():
        roster = _lock_roster(roster)
        if roster.status != "locked":
            if roster.status in ("exported", "settled"):
                raise DomainError(
                    "already_exported", "本花名册已导出银行文件，请在发放批次中重新下载，失败记录请“重新发放”"
                )
            raise DomainError("not_locked", "花名册须经双人复核锁定后才能导出银行文件")
        _refuse_unconfirmed(roster)
        batch = _send_batch(by, roster, layout, Q(status="pending"), "initial")
    content, name = _render(batch)
    return batch, content, name


def reissue(by: Any, roster: Roster, *, layout: BankLayout | int | None = None) -> tuple[BankBatch, bytes, str]:
    """重新发放: failed transfers (after the account is corrected) and lines released after
    locking go out in a new batch; accounts are read again from the registry."""
    require(by, "payments.roster")
    check_jurisdiction(by, roster.area_code)
    if roster.status in ("exported", "settled"):
        _sweep(by, roster)
    with transaction.atomic():
        roster = _lock_roster(roster)
        if roster.status not in ("exported", "settled"):
            raise DomainError("not_exported", "花名册尚未导出首批银行文件")
        _refuse_unconfirmed(roster)
        batch = _send_batch(by, roster, layout, Q(status__in=("failed", "pending")), "reissue")
    content, name = _render(batch)
    return batch, content, name


def _send_batch(by: Any, roster: Roster, layout: BankLayout | int | None, line_filter: Q, kind: str) -> BankBatch:
    """The locked roster's lines matching ``line_filter`` go out in a new batch; audited as a
    full-PII export (payments.bank.export or payments.bank.reissue)."""
    chosen = _layout(roster, layout)
    batch = _new_batch(by, roster, chosen, line_filter, kind)
    roster.status = "exported"
    roster.save(update_fields=["status"])
    record(
        by,
        "payments.bank.export" if kind == "initial" else "payments.bank.reissue",
        batch,
        area_code=roster.area_code,
        changes={
            "roster": roster.pk,
            "lines": batch.line_count,
            "total_fen": batch.total_fen,
            "layout": chosen.name,
            "pii": "姓名、身份证号码、银行账号（完整）",
        },
    )
    return batch


def bank_file(by: Any, batch: BankBatch) -> tuple[bytes, str]:
    """下载银行文件 again (the same content as exported); audited as a full-PII export."""
    require(by, "payments.roster")
    check_jurisdiction(by, batch.area_code)
    with transaction.atomic():
        record(by, "payments.bank.download", batch, changes={"lines": batch.line_count, "pii": "完整银行账号"})
    return _render(batch)


def _render(batch: BankBatch) -> tuple[bytes, str]:
    roster, layout = batch.roster, batch.layout
    lines = BankLine.objects.filter(batch=batch).order_by("id")
    people = {
        pk: (name, id_enc, bank)
        for pk, name, id_enc, bank in Person.objects.filter(
            pk__in=Subquery(lines.values("line__payee_id"))
        ).values_list("pk", "name", "id_number_enc", "bank_name")
    }
    fields = {c["field"] for c in layout.columns}
    areas = area_labels(lines.order_by().values_list("line__area_code", flat=True).distinct())

    def rows() -> Any:
        for seq, (ref, enc, amount, payee, program, area, members) in enumerate(
            lines.values_list(
                "reference",
                "account_enc",
                "amount_fen",
                "line__payee_id",
                "line__program",
                "line__area_code",
                "line__members",
            ).iterator(chunk_size=5000),
            start=1,
        ):
            name, id_enc, bank = people[payee]
            yield {
                "seq": seq,
                "reference": ref,
                "name": name,
                "id_number": unseal("id_number", id_enc) if "id_number" in fields else "",
                "account": unseal("bank_account", enc),
                "bank_name": bank,
                "amount_yuan": f"{amount // 100}.{amount % 100:02d}",
                "amount_fen": amount,
                "month": f"{roster.month:%Y%m}",
                "program": PROGRAM_LABELS.get(program, program),
                "area": areas.get(area, area),
                "members": members,
                "remark": f"{roster.month_label}{PROGRAM_LABELS.get(program, program)}",
            }

    content = bankfiles.render(layout, rows())
    return content, f"银行发放文件-{batch.number}.{layout.file_format}"


@dataclass
class ImportReport:
    batch: int
    file: str
    rows: int
    paid: int = 0
    paid_fen: int = 0
    failed: int = 0
    failed_fen: int = 0
    unchanged: int = 0
    outstanding: int = 0
    duplicate: bool = False
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @property
    def message(self) -> str:
        if self.duplicate:
            return f"该回盘文件已导入过，未重复处理（成功{self.paid}笔，失败{self.failed}笔）"
        text = f"已导入回盘：成功{self.paid}笔 {format_yuan(self.paid_fen)}，"
        text += f"失败{self.failed}笔 {format_yuan(self.failed_fen)}"
        if self.unchanged:
            text += f"，已处理过{self.unchanged}笔"
        if self.outstanding:
            text += f"，尚有{self.outstanding}笔未回盘"
        return text


def _report_from(imp: BankResultImport, failures: list[dict[str, Any]]) -> ImportReport:
    outstanding = BankLine.objects.filter(batch_id=imp.batch_id, status="sent").count()
    return ImportReport(
        imp.batch_id,
        imp.file_name,
        imp.rows,
        imp.paid_count,
        imp.paid_fen,
        imp.failed_count,
        imp.failed_fen,
        imp.unchanged,
        outstanding,
        True,
        failures,
    )


def _failures(batch: BankBatch) -> list[dict[str, Any]]:
    return [
        {"reference": ref, "name": name, "account": masked, "amount_fen": amount, "message": msg, "line": line}
        for ref, name, masked, amount, msg, line in BankLine.objects.filter(batch=batch, status="failed")
        .order_by("id")
        .values_list("reference", "line__payee__name", "account_masked", "amount_fen", "bank_message", "line_id")[:500]
    ]


def import_bank_results(by: Any, batch: BankBatch, *, file_name: str, data: bytes) -> ImportReport:
    """导入银行回盘: every row must name a transfer of *this* batch (a file for another month
    or batch, an unknown account, a changed amount or a contradiction with an earlier result
    refuses the whole file with each row's problem); the same file twice changes nothing.
    Successes become payment (实发) entries; failures are listed for correction and re-issue."""
    require(by, "payments.roster")
    check_jurisdiction(by, batch.area_code)
    digest = hashlib.sha256(data).hexdigest()
    prior = BankResultImport.objects.filter(batch=batch, sha256=digest).first()
    if prior is not None:
        return _report_from(prior, _failures(batch))
    rows = bankfiles.parse_results(batch.layout, file_name, data)
    with transaction.atomic():
        batch = BankBatch.objects.select_for_update(of=("self",)).select_related("roster", "layout").get(pk=batch.pk)
        prior = BankResultImport.objects.filter(batch=batch, sha256=digest).first()
        if prior is not None:
            return _report_from(prior, _failures(batch))
        roster = batch.roster
        lines = {
            row[1]: row
            for row in BankLine.objects.filter(batch=batch).values_list(
                "pk",
                "reference",
                "line_id",
                "account_index",
                "amount_fen",
                "status",
                "line__application_id",
                "line__payee_id",
                "line__household_id",
                "line__program",
                "line__area_code",
            )
        }
        by_account = {v[3]: ref for ref, v in lines.items()}
        errors: list[RowError] = []
        seen: set[str] = set()
        unknown: dict[str, int] = {}
        paid: list[tuple[Any, ...]] = []
        failed: list[tuple[Any, ...]] = []
        unchanged = 0
        ref_col = batch.layout.result_columns.get("reference", "")
        acct_col = batch.layout.result_columns.get("account", "")
        for r in rows:
            index = blind_index("bank_account", r.account) if r.account else ""
            ref = r.reference or by_account.get(index, "")
            if ref not in lines:
                if r.reference:
                    unknown[r.reference] = r.row
                else:
                    errors.append(
                        RowError(r.row, acct_col, f"账号{_mask(r.account)}不在本批次的发放记录中（未知账户）")
                    )
                continue
            if ref in seen:
                errors.append(RowError(r.row, ref_col, f"业务编号{ref}在文件中重复出现"))
                continue
            seen.add(ref)
            found = lines[ref]
            stored_index, amount, status = found[3], found[4], found[5]
            if index and index != stored_index:
                errors.append(RowError(r.row, acct_col, f"账号{_mask(r.account)}与发放记录不符（业务编号{ref}）"))
                continue
            if r.amount_fen != amount:
                errors.append(
                    RowError(
                        r.row,
                        batch.layout.result_columns["amount"],
                        f"金额{format_yuan(r.amount_fen)}与发放金额{format_yuan(amount)}不符（业务编号{ref}）",
                    )
                )
                continue
            if status != "sent":
                if (status == "paid") == r.success:
                    unchanged += 1
                else:
                    was = "成功" if status == "paid" else "失败"
                    errors.append(
                        RowError(
                            r.row,
                            batch.layout.result_columns["status"],
                            f"业务编号{ref}已回盘为“{was}”，与本文件结果矛盾；银行退汇请办理冲回",
                        )
                    )
                continue
            if r.success:
                paid.append(found)
            else:
                failed.append((*found, r.message[:200]))
        if unknown:
            others = {
                ref: (b_roster_month, seq)
                for ref, b_roster_month, seq in BankLine.objects.filter(reference__in=list(unknown)).values_list(
                    "reference", "batch__roster__month", "batch__seq"
                )
            }
            for ref, row in unknown.items():
                if ref in others:
                    other_month, seq = others[ref]
                    errors.append(
                        RowError(
                            row,
                            ref_col,
                            f"业务编号{ref}属于{month_label(other_month)}第{seq}批，"
                            f"不是本批次（{roster.month_label}第{batch.seq}批）：回盘文件月份或批次不符",
                        )
                    )
                else:
                    errors.append(RowError(row, ref_col, f"业务编号{ref}不存在（未知记录）"))
        if errors:
            errors.sort(key=lambda e: e.row)
            raise ImportRejected(f"回盘文件有{len(errors)}处问题，未导入任何结果", errors, code="results_rejected")
        report = _apply_results(by, batch, paid, failed)
        imp = BankResultImport.objects.create(
            batch=batch,
            file_name=file_name[:200],
            sha256=digest,
            rows=len(rows),
            paid_count=report.paid,
            paid_fen=report.paid_fen,
            failed_count=report.failed,
            failed_fen=report.failed_fen,
            unchanged=unchanged,
            imported_by=_who(by),
        )
        report.file, report.rows, report.unchanged = file_name, len(rows), unchanged
        report.outstanding = BankLine.objects.filter(batch=batch, status="sent").count()
        if report.outstanding == 0:
            batch.status = "settled"
            batch.save(update_fields=["status"])
        if not BankLine.objects.filter(batch__roster=roster, status="sent").exists():
            Roster.objects.filter(pk=roster.pk).update(status="settled")
        record(
            by,
            "payments.bank.results",
            batch,
            changes={
                "import": imp.pk,
                "file": file_name,
                "sha256": digest,
                "paid": report.paid,
                "paid_fen": report.paid_fen,
                "failed": report.failed,
                "failed_fen": report.failed_fen,
                "unchanged": unchanged,
            },
        )
    report.failures = _failures(batch)
    return report


def _mask(account: str) -> str:
    return account[:4] + "****" + account[-4:] if len(account) > 8 else "****"


def _chunks(items: list[Any], size: int = 5000) -> Any:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _set_status(model: Any, rows: list[tuple[int, str, str]]) -> None:
    """UPDATE many rows' status (and bank message) by id, one statement per distinct value; on
    PostgreSQL the ids go as one array literal (binding 100,000 ints one by one costs seconds)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, status, message in rows:
        groups[(status, message)].append(pk)
    for (status, message), ids in groups.items():
        fields = {"status": status, **({"bank_message": message} if model is BankLine else {})}
        if connection.vendor == "postgresql":
            sets = ", ".join(f'"{k}" = %s' for k in fields)
            with connection.cursor() as cur:
                cur.execute(
                    f'UPDATE "{model._meta.db_table}" SET {sets} WHERE id = ANY(%s::bigint[])',
                    [*fields.values(), "{" + ",".join(map(str, ids)) + "}"],
                )
            continue
        for part in _chunks(ids, 900):
            model.objects.filter(pk__in=part).update(**fields)


def _apply_results(
    by: Any, batch: BankBatch, paid: list[tuple[Any, ...]], failed: list[tuple[Any, ...]]
) -> ImportReport:
    """Rows are BankLine value tuples (pk, reference, line, account index, amount, status,
    application, payee, household, program, area[, bank message])."""
    roster = batch.roster
    report = ImportReport(batch.pk, "", 0)
    _set_status(BankLine, [(r[0], "paid", "") for r in paid] + [(r[0], "failed", r[11]) for r in failed])
    _set_status(RosterLine, [(r[2], "paid", "") for r in paid] + [(r[2], "failed", "") for r in failed])
    report.failed = len(failed)
    report.failed_fen = sum(r[4] for r in failed)
    if not paid:
        return report
    slots = _slot_counts(roster.month, Subquery(RosterLine.objects.filter(roster=roster).values("payee_id")))
    attempts = []
    for _bank, _ref, line, _index, _amount, _status, _app, payee, _hh, program, _area in paid:
        n_paid, n_reversed = slots.get((payee, program), (0, 0))
        if n_paid > n_reversed:
            raise DomainError(
                "already_paid",
                f"{month_label(roster.month)}{PROGRAM_LABELS[program]}已向该领款人发放过（业务编号对应明细{line}），拒绝重复记账",
            )
        slots[(payee, program)] = (n_paid + 1, n_reversed)
        attempts.append(n_paid)
    reasons = {
        program: f"{roster.month_label}{PROGRAM_LABELS[program]}银行发放成功" for program in {r[9] for r in paid}
    }
    who = _who(by)
    now = timezone.now()
    if connection.vendor == "postgresql":
        # One set-based INSERT from the bank and roster lines the file was checked against.
        with connection.cursor() as cur:
            cur.execute(
                f"""INSERT INTO "{LedgerEntry._meta.db_table}" ({", ".join(LEDGER_COLUMNS[1:])})
                SELECT 'payment', r.application_id, r.payee_id, r.household_id, r.program, r.area_code, %s, %s,
                       b.amount_fen, v.attempt, (%s::jsonb) ->> r.program, 'bank', r.roster_id, r.id, b.id,
                       NULL, NULL, %s, %s
                FROM unnest(%s::bigint[], %s::int[]) WITH ORDINALITY AS v(id, attempt, n)
                JOIN "{BankLine._meta.db_table}" b ON b.id = v.id
                JOIN "{RosterLine._meta.db_table}" r ON r.id = b.line_id
                ORDER BY v.n""",
                [
                    roster.county_code,
                    roster.month,
                    json.dumps(reasons, ensure_ascii=False),
                    who.pk if who else None,
                    now,
                    "{" + ",".join(str(r[0]) for r in paid) + "}",
                    "{" + ",".join(map(str, attempts)) + "}",
                ],
            )
    else:
        rows = (
            (
                "payment",
                app,
                payee,
                hh,
                program,
                area,
                roster.county_code,
                roster.month,
                amount,
                attempt,
                reasons[program],
                "bank",
                roster.pk,
                line,
                bank_pk,
                None,
                None,
                who.pk if who else None,
                now,
            )
            for (bank_pk, _ref, line, _index, amount, _status, app, payee, hh, program, area), attempt in zip(
                paid, attempts, strict=True
            )
        )
        ids = allocate_ids(LedgerEntry, len(paid))
        insert_rows(LedgerEntry, LEDGER_COLUMNS, ((pk, *r) for pk, r in zip(ids, rows, strict=True)))
    report.paid = len(paid)
    report.paid_fen = sum(r[4] for r in paid)
    return report


def _slot_counts(period: dt.date | None, persons: Any) -> dict[tuple[int, str], tuple[int, int]]:
    """(person, program) → (payments, reversals) already in the ledger for ``period``."""
    out: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for person, program, kind in LedgerEntry.objects.filter(
        period=period, kind__in=("payment", "reversal"), person_id__in=persons
    ).values_list("person_id", "program", "kind"):
        out[(person, program)][0 if kind == "payment" else 1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def release_line(by: Any, line: RosterLine, *, note: str) -> RosterLine:
    """补发: a line held at locking (e.g. account missing) is released once fixed: it becomes
    an entitlement and goes out with the next re-issue batch."""
    require(by, "payments.roster")
    check_jurisdiction(by, line.area_code)
    if not (note or "").strip():
        raise InvalidInput("required", "请填写补发说明", field="note")
    with transaction.atomic():
        roster = _lock_roster(line.roster)
        line = RosterLine.objects.select_for_update().get(pk=line.pk)
        if roster.editable or roster.status == "lock_requested":
            raise DomainError("not_locked", "花名册锁定前请直接在核查中处理")
        if line.status != "held" or line.amount_fen <= 0:
            raise DomainError("invalid_state", "只有暂缓发放且金额大于0的记录可以补发")
        if Person.objects.filter(pk=line.payee_id, death_date__lt=line.month).exists():
            raise DomainError("payee_deceased", "领款人已死亡，不能补发")
        benefit = Benefit.objects.filter(application_id=line.application_id).first()
        if benefit is not None and not benefit.covers(line.month):
            raise DomainError("benefit_not_in_force", f"该案件{month_label(line.month)}已停发或暂停发放，不能补发")
        LedgerEntry.objects.create(
            kind="entitlement",
            application_id=line.application_id,
            person_id=line.payee_id,
            household_id=line.household_id,
            program=line.program,
            area_code=line.area_code,
            county_code=roster.county_code,
            period=line.month,
            amount_fen=line.amount_fen,
            reason=f"{_line_label(line)}补发：{note.strip()}"[:200],
            source="correction",
            roster=roster,
            roster_line=line,
            created_by=_who(by),
        )
        line.status, line.resolution_note = "pending", f"补发：{note.strip()}"[:200]
        line.save(update_fields=["status", "resolution_note"])
        record(by, "payments.roster.release", line, changes={"note": note, "amount_fen": line.amount_fen})
    return line


def reverse_payment(by: Any, entry: LedgerEntry, *, reason: str, amount_fen: int | None = None) -> LedgerEntry:
    """冲回: a recorded payment did not reach the family (退汇) or was booked in error. The
    reversal never exceeds the payment; the line can then be re-issued."""
    require(by, "payments.roster")
    check_jurisdiction(by, entry.area_code)
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写冲回原因", field="reason")
    with transaction.atomic():
        payment = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
        if payment.kind != "payment":
            raise DomainError("not_a_payment", "只能冲回实发记录")
        if LedgerEntry.objects.filter(kind="reversal", reverses=payment).exists():
            raise DomainError("already_reversed", "该笔实发已冲回")
        amount = payment.amount_fen if amount_fen is None else amount_fen
        if amount <= 0 or amount > payment.amount_fen:
            raise InvalidInput(
                "amount_out_of_range",
                f"冲回金额应大于0且不超过实发金额{format_yuan(payment.amount_fen)}",
                field="amount_fen",
            )
        reversal = LedgerEntry.objects.create(
            kind="reversal",
            application_id=payment.application_id,
            person_id=payment.person_id,
            household_id=payment.household_id,
            program=payment.program,
            area_code=payment.area_code,
            county_code=payment.county_code,
            period=payment.period,
            amount_fen=amount,
            reason=f"冲回：{reason.strip()}"[:200],
            source="correction",
            roster_id=payment.roster_id,
            roster_line_id=payment.roster_line_id,
            bank_line_id=payment.bank_line_id,
            reverses=payment,
            created_by=_who(by),
        )
        if payment.roster_line_id:
            RosterLine.objects.filter(pk=payment.roster_line_id).exclude(status="pulled").update(status="failed")
            benefit = Benefit.objects.filter(application_id=payment.application_id).first()
            if benefit is not None and payment.period is not None and not benefit.covers(payment.period):
                _pull_lines(by, payment.application_id, from_month=payment.period, reason="退汇，该月已停发或暂停发放")
        # the bank line keeps what the bank reported (paid); the return is the reversal itself
        record(
            by,
            "payments.ledger.reverse",
            reversal,
            changes={"payment": payment.pk, "amount_fen": amount, "reason": reason},
        )
    return reversal


def balance(application: Application | int) -> dict[str, int]:
    """A case's sums by kind and its balance (应发未发 > 0; 多发待追 < 0): always computed."""
    pk = application if isinstance(application, int) else application.pk
    sums = {k: 0 for k in SIGN}
    for kind, total in (
        LedgerEntry.objects.filter(application_id=pk)
        .values("kind")
        .annotate(t=Sum("amount_fen"))
        .values_list("kind", "t")
    ):
        sums[kind] = int(total or 0)
    sums["balance"] = sum(SIGN[k] * sums[k] for k in SIGN)
    return sums


# ==== withdrawing lines: a stop, a suspension or a death stops the money ==========================

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
    return LedgerEntry.objects.create(
        kind="adjustment",
        application_id=line.application_id,
        person_id=line.payee_id,
        household_id=line.household_id,
        program=line.program,
        area_code=line.area_code,
        county_code=roster.county_code,
        period=line.month,
        amount_fen=amount,
        reason=f"{_line_label(line)}{reason}"[:200],
        source="decision",
        roster=roster,
        roster_line=line,
        created_by=_who(by),
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
    check_jurisdiction(by, roster.area_code)
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
    check_jurisdiction(by, application.area_code)
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
    check_jurisdiction(by, application.area_code)
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


def open_reserve(by: Any, *, town_code: str, low_balance_fen: int | None = None, account_note: str = "") -> ReserveFund:
    """设立备用金账户 for a town (FND-2): the county opens it, then tops it up."""
    require(by, "payments.fund")
    area = Area.objects.filter(code=town_code.ljust(12, "0")).first()
    if area is None or area.level != "town":
        raise InvalidInput("invalid_area", "备用金按镇（街道）设立，请选择镇（街道）", field="town_code")
    check_jurisdiction(by, area.code)
    if low_balance_fen is not None and low_balance_fen < 0:
        raise InvalidInput("invalid_amount", "预警线不能为负数", field="low_balance_fen")
    with transaction.atomic():
        if ReserveFund.objects.filter(area_code=area.code).exists():
            raise DomainError("reserve_exists", f"{area.name}已设立临时救助备用金")
        fund = ReserveFund.objects.create(
            area_code=area.code,
            county_code=area.county_code,
            name=f"{area.name}临时救助备用金",
            account_note=account_note[:100],
            low_balance_fen=(
                low_balance_fen
                if low_balance_fen is not None
                else roster_mod.config_for(area.county_code).reserve_low_balance_fen
            ),
        )
        record(by, "payments.reserve.open", fund, changes={"low_balance_fen": fund.low_balance_fen})
    return fund


def reserve_balance(fund: ReserveFund) -> int:
    last = ReserveEntry.objects.filter(fund=fund).order_by("-id").values_list("balance_after_fen", flat=True).first()
    return int(last or 0)


def top_up_reserve(
    by: Any, fund: ReserveFund, *, amount_fen: int, source: str = "fiscal", note: str = ""
) -> ReserveEntry:
    """拨付备用金 (FND-3, FND-8): replenishment by the county, with its source of funds."""
    require(by, "payments.fund")
    check_jurisdiction(by, fund.area_code)
    if amount_fen <= 0:
        raise InvalidInput("invalid_amount", "拨付金额应大于0", field="amount_fen")
    if source not in ("fiscal", "donation", "other"):
        raise InvalidInput("invalid_choice", "资金来源应为财政资金、社会捐赠或其他", field="source")
    with transaction.atomic():
        fund = ReserveFund.objects.select_for_update().get(pk=fund.pk)
        entry = ReserveEntry.objects.create(
            fund=fund,
            kind="top_up",
            amount_fen=amount_fen,
            balance_after_fen=reserve_balance(fund) + amount_fen,
            source=source,
            area_code=fund.area_code,
            note=note[:200],
            created_by=_who(by),
        )
        record(
            by,
            "payments.reserve.top_up",
            fund,
            changes={"amount_fen": amount_fen, "source": source, "balance_fen": entry.balance_after_fen, "note": note},
        )
    return entry


def disburse_from_reserve(by: Any, application: Application, *, amount_fen: int, note: str = "") -> ReserveEntry:
    """先行救助 from the town's reserve (FND-3): refused when the balance would go below zero.
    Called inside ``applications.actions.advance_pay``'s transaction; books the one-off aid
    as an entitlement and a payment of the case."""
    require(by, "payments.reserve")
    town = application.area_code[:9] + "000"
    with transaction.atomic():
        fund = ReserveFund.objects.select_for_update().filter(area_code=town).first()
        if fund is None:
            raise DomainError(
                "reserve_missing", "本镇（街道）尚未设立临时救助备用金，不能先行救助：请县民政局设立并拨付备用金"
            )
        current = reserve_balance(fund)
        if amount_fen > current:
            raise DomainError(
                "reserve_insufficient",
                f"临时救助备用金余额不足：当前余额{format_yuan(current)}，本次先行救助{format_yuan(amount_fen)}。"
                "请联系县民政局拨付备用金后再办理",
            )
        entry = ReserveEntry.objects.create(
            fund=fund,
            kind="disbursement",
            amount_fen=amount_fen,
            balance_after_fen=current - amount_fen,
            application=application,
            area_code=application.area_code,
            note=note[:200],
            created_by=_who(by),
        )
        common = {
            "application": application,
            "person_id": application.applicant_id,
            "household_id": application.household_id,
            "program": application.program,
            "area_code": application.area_code,
            "county_code": application.county_code,
            "created_by": _who(by),
        }
        LedgerEntry.objects.create(
            kind="entitlement",
            amount_fen=amount_fen,
            source="decision",
            reason=f"急难型临时救助先行救助（{application.number}）",
            **common,
        )
        attempt = LedgerEntry.objects.filter(application=application, kind="payment", period__isnull=True).count()
        reversed_ = LedgerEntry.objects.filter(application=application, kind="reversal", period__isnull=True).count()
        if attempt > reversed_:
            raise DomainError("already_paid", "该申请已先行救助，不能重复支出")
        LedgerEntry.objects.create(
            kind="payment",
            amount_fen=amount_fen,
            source="reserve",
            attempt=attempt,
            reason=f"备用金先行救助支出（{fund.name}）",
            **common,
        )
        record(
            by,
            "payments.reserve.disburse",
            fund,
            changes={
                "application": application.pk,
                "amount_fen": amount_fen,
                "balance_fen": entry.balance_after_fen,
                "low_balance": entry.balance_after_fen < fund.low_balance_fen,
            },
        )
    return entry


# ==== dynamic management: reviews, changes, stops ================================================


def _benefit(application: Application) -> Benefit:
    roster_mod.sync_benefits(application.area_code)
    benefit = Benefit.objects.select_for_update().filter(application=application).first()
    if benefit is None:
        raise DomainError("no_benefit", "该案件不是按月发放的在保案件（低保或特困），无待遇可管理")
    return benefit


def open_reviews(
    by: Any, application_ids: list[int], kind: str, reason: str, start: dt.date, due_on: dt.date | None = None
) -> int:
    """Create review tasks (at most one open per case), set-based; returns how many were new."""
    if not application_ids:
        return 0
    cases = list(Application.objects.filter(pk__in=application_ids).values_list("pk", "area_code", "county_code"))
    limits: dict[str, int] = {}
    rows = []
    for pk, area, county in cases:
        if county not in limits:
            limits[county] = roster_mod.config_for(county).review_limit_days
        due = due_on or current_calendar().add_working_days(start, limits[county])
        rows.append(
            Review(
                application_id=pk,
                area_code=area,
                county_code=county,
                kind=kind,
                due_on=due,
                reason=reason[:200],
                created_by=_who(by),
            )
        )
    before = Review.objects.filter(application_id__in=application_ids).open().count()
    with transaction.atomic():
        Review.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        after = Review.objects.filter(application_id__in=application_ids).open().count()
        if after > before:
            record(
                by,
                f"payments.review.open_{kind}",
                None,
                area_code=cases[0][1][:6].ljust(12, "0"),
                changes={"cases": application_ids[:200], "count": after - before, "reason": reason},
            )
    return after - before


def create_due_reviews(by: Any, *, on: dt.date | None = None, county_code: str | None = None) -> int:
    """定期复核 (DYN-1, DYN-5, DYN-8): cases due within the county's lead time become review
    tasks with the review date as deadline; 特困 minors turning 18 get an age review."""
    today = on or _today()
    made = 0
    counties = (
        [county_code]
        if county_code
        else list(Benefit.objects.exclude(status="stopped").values_list("county_code", flat=True).distinct())
    )
    for county in counties:
        config = roster_mod.config_for(county)
        horizon = today + dt.timedelta(days=config.review_lead_days)
        due = (
            Benefit.objects.filter(county_code=county, next_review_on__lte=horizon)
            .exclude(status="stopped")
            .exclude(application_id__in=Subquery(Review.objects.open().values("application_id")))
            .values_list("application_id", "next_review_on")
        )
        by_date: dict[dt.date, list[int]] = defaultdict(list)
        for app, when in due:
            by_date[when].append(app)
        for when, apps in by_date.items():
            made += open_reviews(
                by, apps, "periodic", f"定期复核（复核日期{when:%Y-%m-%d}）", today, due_on=max(when, today)
            )
        adults = []
        for app, facts in Application.objects.filter(
            benefit__county_code=county, benefit__status="active", program="tekun"
        ).values_list("pk", "facts"):
            for m in (facts or {}).get("members", []):
                birth = m.get("birth_date")
                if birth and today <= _add_years(dt.date.fromisoformat(str(birth)[:10]), 18) <= horizon:
                    adults.append(app)
                    break
        made += open_reviews(by, adults, "age", "特困供养未成年人即将年满18周岁（DYN-5）", today)
    return made


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def report_change(by: Any, application: Application, *, reason: str, facts: dict[str, Any] | None = None) -> Review:
    """变更报告 (成员变化、收入变化) at any time: a review of the case, with the new facts."""
    require(by, "payments.review")
    check_jurisdiction(by, application.area_code)
    if not (reason or "").strip():
        raise InvalidInput("required", "请说明变化情况（如成员变化、收入变化）", field="reason")
    if facts is not None:
        _validate_facts(application, facts)
    with transaction.atomic():
        _benefit(application)
        review = Review.objects.select_for_update().filter(application=application).open().first()
        if review is None:
            review = Review.objects.create(
                application=application,
                area_code=application.area_code,
                county_code=application.county_code,
                kind="change",
                reason=reason.strip()[:200],
                facts=facts,
                created_by=_who(by),
                due_on=current_calendar().add_working_days(
                    _today(), roster_mod.config_for(application.county_code).review_limit_days
                ),
            )
        else:
            review.reason = f"{review.reason}；{reason.strip()}"[:200]
            if facts is not None:
                review.facts = facts
            review.save(update_fields=["reason", "facts"])
        record(
            by,
            "payments.review.change_report",
            application,
            changes={"review": review.pk, "reason": reason, "facts_changed": facts is not None},
        )
    return review


def _validate_facts(application: Application, facts: dict[str, Any]) -> None:
    evaluate_household(application.area_code, _today(), [application.program], facts)


def start_review(by: Any, review: Review, *, facts: dict[str, Any] | None = None) -> Review:
    """开始复核: record the household as found (入户) and request a fresh 核对报告."""
    require(by, "payments.review")
    check_jurisdiction(by, review.area_code)
    from jiuzhu.verification.actions import request_verification

    with transaction.atomic():
        review = Review.objects.select_for_update().select_related("application__household").get(pk=review.pk)
        if review.status != "open":
            raise DomainError("invalid_state", f"复核当前状态为“{review.get_status_display()}”，不能重新开始")
        app = review.application
        if facts is not None:
            _validate_facts(app, facts)
            review.facts = facts
        request = request_verification(by, household=app.household, program=app.program, application=app)
        review.verification, review.status = request, "verifying"
        review.save(update_fields=["verification", "status", "facts"])
        record(by, "payments.review.start", app, changes={"review": review.pk, "verification_request": request.pk})
    return review


def review_facts(review: Review) -> dict[str, Any]:
    """The household as the review finds it: as found at the visit (or as decided), corrected
    by the review's fresh 核对报告 (issue 14 item 5: a review reads the latest report)."""
    from jiuzhu.verification.verified import with_verified

    facts = review.facts or review.application.facts
    request = review.verification
    report = request.report if request is not None and request.status == "done" else None
    return with_verified(facts, report.content.get("verified") if report is not None else None)


def review_evaluation(review: Review, on: dt.date | None = None) -> dict[str, Any]:
    app = review.application
    effective = on or add_months(month_start(_today()), 1)
    found = review_facts(review)
    result = evaluate_household(app.area_code, effective, [app.program], found)[app.program]
    failed = [r["code"] for r in result["reasons"] if not r["passed"]]
    # 渐退 only when the income rose through work (income.work.* parameters; issue 14 item 14)
    working = work_income_rose(app.area_code, effective, app.facts, found)
    return {
        "effective_month": effective.isoformat(),
        "eligible": result["eligible"],
        "amount_fen": result["monthly_amount_fen"],
        "failed": failed,
        "reasons": result["reasons"],
        "gradual_allowed": (not result["eligible"]) and set(failed) <= {"income_below_standard"} and working,
        "trace": result["trace"],
    }


def current_amount(application: Application) -> int:
    last = (
        RosterLine.objects.filter(application=application)
        .order_by("-month")
        .values_list("amount_fen", flat=True)
        .first()
    )
    return int(last if last is not None else application.amount_fen or 0)


def decide_review(
    by: Any,
    review: Review,
    *,
    outcome: str,
    note: str = "",
    gradual_months: int | None = None,
    stop_reason: str = "income",
) -> Review:
    """复核结论 (DYN-1, DYN-2, DYN-8): once the fresh 核对报告 is out, the rules engine is run
    on the household as found; the case continues, changes amount, enters 渐退 or stops, with
    the notice (调整/渐退/停发告知书) issued in the same transaction."""
    require(by, "payments.decide")
    check_jurisdiction(by, review.area_code)
    if outcome not in ("continue", "change", "gradual", "stop"):
        raise InvalidInput("invalid_choice", "复核结论应为维持、调整金额、渐退或停发", field="outcome")
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(of=("self",))
            .select_related("application__intake", "verification")
            .get(pk=review.pk)
        )
        if review.status == "decided":
            raise DomainError("already_decided", "该复核已办结")
        if review.verification is None or review.verification.status != "done":
            raise DomainError(
                "verification_pending", "家庭经济状况核对报告尚未出具：请先开始复核并待核对中心出具报告后再作出结论"
            )
        app = Application.objects.select_for_update().get(pk=review.application_id)
        review.application = app
        benefit = _benefit(app)
        if benefit.status == "stopped":
            raise DomainError("benefit_stopped", "该案件已停发")
        if benefit.status == "suspended" and outcome == "gradual":
            raise DomainError("benefit_suspended", "该案件已暂停发放：请先恢复发放，再作出渐退结论")
        ev = review_evaluation(review)
        effective = dt.date.fromisoformat(ev["effective_month"])
        before = current_amount(app)
        config = roster_mod.config_for(app.county_code)
        new_facts = review_facts(review)
        notice = None
        if outcome in ("continue", "change") and not ev["eligible"]:
            failed = "；".join(r["message"] for r in ev["reasons"] if not r["passed"])
            raise DomainError("not_eligible", f"按复核后情况测算已不符合条件（{failed}），请选择渐退或停发")
        if outcome == "continue" and ev["amount_fen"] != before:
            raise DomainError(
                "amount_changed",
                f"按复核后情况测算月救助金为{format_yuan(ev['amount_fen'])}，与现发放{format_yuan(before)}不同，请选择调整金额",
            )
        if outcome == "change" and ev["amount_fen"] == before:
            raise DomainError("amount_unchanged", "测算金额与现发放金额相同，请选择维持")
        if outcome == "gradual":
            months = config.gradual_exit_months if gradual_months is None else gradual_months
            if not ev["gradual_allowed"]:
                raise DomainError(
                    "gradual_not_allowed", "渐退仅适用于家庭成员就业使收入超过标准（财产等其他条件仍符合）的情形"
                )
            if not 1 <= months <= min(MAX_GRADUAL_MONTHS, max(config.gradual_exit_months, 1)):
                raise InvalidInput(
                    "invalid_months",
                    f"渐退期应为1–{min(MAX_GRADUAL_MONTHS, config.gradual_exit_months)}个月",
                    field="gradual_months",
                )
            if config.gradual_exit_months == 0:
                raise DomainError("gradual_disabled", "本县未实行渐退期，请选择停发")
        if outcome == "stop" and stop_reason not in STOP_REASON_LABELS:
            raise InvalidInput("invalid_choice", "停发原因无效", field="stop_reason")
        if outcome == "stop" and not note.strip():
            raise InvalidInput("required", "停发须填写情况说明", field="note")

        if outcome in ("continue", "change"):
            if outcome == "change" or review.facts:
                app.facts, app.trace = new_facts, ev["trace"]
                app.amount_fen = ev["amount_fen"]
                app.version += 1
                app.save(update_fields=["facts", "trace", "amount_fen", "version", "updated_at"])
            if outcome == "change":
                notice = _issue(
                    by,
                    "adjustment",
                    app,
                    effective,
                    reason="经复核家庭情况发生变化",
                    amount_before_fen=before,
                    amount_after_fen=ev["amount_fen"],
                    effective_month=effective,
                    parameters=ev["trace"].get("parameters", [])[:8],
                )
            benefit.next_review_on = add_months(effective, app.review_cycle_months or config_review(app))
            benefit.save(update_fields=["next_review_on", "updated_at"])
            review.amount_after_fen = ev["amount_fen"]
        elif outcome == "gradual":
            last = add_months(effective, months - 1)
            benefit.status, benefit.gradual_amount_fen, benefit.end_month = "gradual", before, last
            benefit.stop_reason, benefit.stop_note = "gradual_end", f"渐退期满（{month_label(last)}）"
            benefit.save()
            _pull_lines(by, app.pk, from_month=add_months(last, 1), reason="渐退期满")
            end_case_records(app, roster_mod.month_end(last))
            app.facts, app.trace = new_facts, ev["trace"]
            app.version += 1
            app.save(update_fields=["facts", "trace", "version", "updated_at"])
            notice = _issue(
                by,
                "gradual",
                app,
                effective,
                months=months,
                effective_month=effective,
                last_month=last,
                stop_month=add_months(last, 1),
                amount_fen=before,
            )
            review.amount_after_fen = before
        else:
            notice, _ = _stop(by, app, benefit, reason=stop_reason, note=note, last_month=add_months(effective, -1))
            review.amount_after_fen = 0
        review.status, review.outcome, review.note = "decided", outcome, note.strip()[:200]
        review.amount_before_fen, review.effective_month = before, effective
        review.evaluation = {k: v for k, v in ev.items() if k != "trace"}
        review.notice, review.decided_by, review.decided_at = notice, _who(by), timezone.now()
        review.save()
        record(
            by,
            "payments.review.decide",
            app,
            changes={
                "review": review.pk,
                "outcome": outcome,
                "amount_before_fen": before,
                "amount_after_fen": review.amount_after_fen,
                "effective_month": effective,
                "note": note,
                "notice": getattr(notice, "number", None),
            },
        )
    return review


def config_review(app: Application) -> int:
    from jiuzhu.applications.config import config_for

    return config_for(app.county_code).review_cycle_other_months


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


def stop_benefit(by: Any, application: Application, *, reason: str, note: str, last_month: Any = None) -> Benefit:
    """停发 (退出) with reason and 停发告知书: death, moving away, income, refusal to be reviewed,
    fraud… Payment continues to ``last_month`` (default: this month)."""
    require(by, "payments.decide")
    check_jurisdiction(by, application.area_code)
    if reason not in STOP_REASON_LABELS:
        raise InvalidInput("invalid_choice", "停发原因无效", field="reason")
    if not (note or "").strip():
        raise InvalidInput("required", "请填写停发情况说明", field="note")
    last = parse_month(last_month, "last_month") if last_month else month_start(_today())
    with transaction.atomic():
        app = Application.objects.select_for_update().select_related("intake").get(pk=application.pk)
        benefit = _benefit(app)
        if benefit.status == "stopped":
            raise DomainError("benefit_stopped", "该案件已停发")
        if last < add_months(benefit.start_month, -1):
            raise InvalidInput("invalid_month", "最后发放月份不能早于起始发放月份", field="last_month")
        notice, pulled = _stop(by, app, benefit, reason=reason, note=note, last_month=last)
        Review.objects.filter(application=app).open().update(
            status="decided", outcome="stop", decided_by=_who(by), decided_at=timezone.now(), note="已停发"
        )
        record(
            by,
            "payments.benefit.stop",
            app,
            changes={
                "reason": reason,
                "note": note,
                "last_month": benefit.end_month,
                "notice": notice.number,
                **pulled.changes(),
            },
        )
    return benefit


# ==== recoveries and 失信 records ================================================================


def overpaid_months(application: Application, after: dt.date) -> list[tuple[dt.date, int]]:
    """Months after ``after`` with money paid and not yet taken back: payments − reversals +
    the (negative) adjustments already made for recovery."""
    net: dict[dt.date, int] = defaultdict(int)
    for period, kind, amount in LedgerEntry.objects.filter(
        application=application, period__gt=after, kind__in=("payment", "reversal", "adjustment")
    ).values_list("period", "kind", "amount_fen"):
        if kind == "payment":
            net[period] += amount
        elif kind == "reversal":
            net[period] -= amount
        elif amount < 0:
            net[period] += amount
    return sorted((p, v) for p, v in net.items() if v > 0)


def create_recovery(
    by: Any,
    application: Application,
    *,
    reason: str,
    note: str,
    months: list[Any] | None = None,
    installments: list[dict[str, Any]] | None = None,
    fraud_category: str = "",
    stop: bool = True,
) -> RepaymentPlan:
    """追回 (DYN-3, SUP-11): money paid for months the family was not entitled to (late death
    data, fraud) is taken back off the entitlement (negative adjustments) and a repayment
    plan is set; fraud also stops the benefit and writes a 失信 record."""
    require(by, "payments.decide")
    check_jurisdiction(by, application.area_code)
    if reason not in STOP_REASON_LABELS:
        raise InvalidInput("invalid_choice", "追回原因无效", field="reason")
    if not (note or "").strip():
        raise InvalidInput("required", "请填写追回事实", field="note")
    if fraud_category and fraud_category not in dict(FRAUD_CATEGORIES):
        raise InvalidInput("invalid_choice", "失信类型无效", field="fraud_category")
    if reason == "fraud" and not fraud_category:
        raise InvalidInput("required", "骗取救助须选择失信类型（虚报、隐瞒、伪造等）", field="fraud_category")
    chosen = sorted({parse_month(m, "months") for m in months or []})
    with transaction.atomic():
        app = Application.objects.select_for_update().select_related("intake").get(pk=application.pk)
        paid = dict(overpaid_months(app, dt.date(1900, 1, 1)))
        if not chosen:
            raise InvalidInput("required", "请选择需要追回的月份", field="months")
        missing = [m for m in chosen if m not in paid]
        if missing:
            raise InvalidInput(
                "not_paid",
                f"{'、'.join(month_label(m) for m in missing)}没有实发记录或已追回，不能追回",
                field="months",
            )
        total = sum(paid[m] for m in chosen)
        plan_rows = _installments(installments, total)
        plan = RepaymentPlan.objects.create(
            application=app,
            person_id=app.applicant_id,
            area_code=app.area_code,
            county_code=app.county_code,
            total_fen=total,
            reason=reason,
            note=note.strip()[:200],
            months=[m.isoformat() for m in chosen],
            installments=plan_rows,
            created_by=_who(by),
        )
        for m in chosen:
            LedgerEntry.objects.create(
                kind="adjustment",
                application=app,
                person_id=app.applicant_id,
                household_id=app.household_id,
                program=app.program,
                area_code=app.area_code,
                county_code=app.county_code,
                period=m,
                amount_fen=-paid[m],
                reason=f"{month_label(m)}不应发放（{STOP_REASON_LABELS[reason]}），转入追回"[:200],
                source="correction",
                plan=plan,
                created_by=_who(by),
            )
        if fraud_category:
            CreditRecord.objects.create(
                person_id=app.applicant_id,
                household_id=app.household_id,
                application=app,
                plan=plan,
                area_code=app.area_code,
                county_code=app.county_code,
                category=fraud_category,
                facts=note.strip(),
                amount_fen=total,
                decided_on=_today(),
                recorded_by=_who(by),
            )
        if stop and app.program in MONTHLY_PROGRAMS:
            benefit = _benefit(app)
            if benefit.status != "stopped":
                last = add_months(min(chosen), -1) if reason in ("death", "fraud") else month_start(_today())
                _stop(by, app, benefit, reason=reason, note=note, last_month=last, recovery_fen=total)  # pulls too
        record(
            by,
            "payments.recovery.create",
            app,
            changes={
                "plan": plan.pk,
                "total_fen": total,
                "months": chosen,
                "reason": reason,
                "fraud": fraud_category,
            },
        )
    return plan


def _installments(rows: list[dict[str, Any]] | None, total: int) -> list[dict[str, Any]]:
    if not rows:
        return [{"due_on": (_today() + dt.timedelta(days=30)).isoformat(), "amount_fen": total}]
    out = []
    for i, r in enumerate(rows):
        try:
            due = dt.date.fromisoformat(str(r.get("due_on")))
            amount = int(r.get("amount_fen", 0))
        except (TypeError, ValueError):
            raise InvalidInput(
                "invalid_installment", f"第{i + 1}期的日期或金额格式不正确", field=f"installments[{i}]"
            ) from None
        if amount <= 0:
            raise InvalidInput("invalid_installment", f"第{i + 1}期金额应大于0", field=f"installments[{i}]")
        out.append({"due_on": due.isoformat(), "amount_fen": amount})
    if sum(r["amount_fen"] for r in out) != total:
        raise InvalidInput(
            "installments_mismatch", f"分期金额合计应等于应追回金额{format_yuan(total)}", field="installments"
        )
    return sorted(out, key=lambda r: r["due_on"])


def recovered(plan: RepaymentPlan) -> int:
    return int(LedgerEntry.objects.filter(plan=plan, kind="recovery").aggregate(t=Sum("amount_fen"))["t"] or 0)


def record_repayment(by: Any, plan: RepaymentPlan, *, amount_fen: int, note: str = "") -> LedgerEntry:
    """退款到账: a recovery (追回) entry; the plan is settled when fully repaid."""
    require(by, "payments.decide")
    check_jurisdiction(by, plan.area_code)
    with transaction.atomic():
        plan = RepaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status == "settled":
            raise DomainError("plan_settled", "该追回计划已全部追回")
        left = plan.total_fen - recovered(plan)
        if amount_fen <= 0 or amount_fen > left:
            raise InvalidInput(
                "invalid_amount", f"退款金额应大于0且不超过尚欠金额{format_yuan(left)}", field="amount_fen"
            )
        app = plan.application
        entry = LedgerEntry.objects.create(
            kind="recovery",
            application=app,
            person_id=plan.person_id,
            household_id=app.household_id,
            program=app.program,
            area_code=plan.area_code,
            county_code=plan.county_code,
            amount_fen=amount_fen,
            reason=f"追回退款{('：' + note.strip()) if note.strip() else ''}"[:200],
            source="repayment",
            plan=plan,
            created_by=_who(by),
        )
        if amount_fen == left:
            plan.status = "settled"
            plan.save(update_fields=["status"])
        record(by, "payments.recovery.repay", plan, changes={"amount_fen": amount_fen, "left_fen": left - amount_fen})
    return entry


def mark_credit_reported(by: Any, records: list[CreditRecord]) -> int:
    """SUP-7: the 失信 records were sent to the credit-information platform."""
    require(by, "payments.decide")
    ids = [r.pk for r in records if r.reported_at is None]
    for r in records:
        check_jurisdiction(by, r.area_code)
    with transaction.atomic():
        n = CreditRecord.objects.filter(pk__in=ids, reported_at__isnull=True).update(reported_at=timezone.now())
        if n:
            record(by, "payments.credit.reported", None, area_code=records[0].area_code, changes={"records": ids})
    return n
