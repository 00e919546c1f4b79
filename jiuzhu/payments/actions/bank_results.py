"""银行回盘: results imported line by line onto the ledger; releasing a held line; reversals
and the balance of a case."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Subquery, Sum
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.money import format_yuan
from jiuzhu.registry.importer import ImportRejected, RowError
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import blind_index

from .. import bankfiles, ledger
from ..models import (
    PROGRAM_LABELS,
    SIGN,
    BankBatch,
    BankLine,
    BankResultImport,
    Benefit,
    LedgerEntry,
    Roster,
    RosterLine,
)
from ._common import _line_label, _mask, _set_status, _who
from .benefits import pull_lines
from .rosters import _lock_roster


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


def import_bank_results(batch: BankBatch, *, by: User, file_name: str, data: bytes) -> ImportReport:
    """导入银行回盘: every row must name a transfer of *this* batch (a file for another month
    or batch, an unknown account, a changed amount or a contradiction with an earlier result
    refuses the whole file with each row's problem); the same file twice changes nothing.
    Successes become payment (实发) entries; failures are listed for correction and re-issue."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=batch.area_code)
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
                f"""INSERT INTO "{LedgerEntry._meta.db_table}" ({", ".join(ledger.COLUMNS[1:])})
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
        ledger.book_rows(rows, len(paid))
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


def release_line(line: RosterLine, *, by: User, note: str) -> RosterLine:
    """补发: a line held at locking (e.g. account missing) is released once fixed: it becomes
    an entitlement and goes out with the next re-issue batch."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=line.area_code)
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
        ledger.book(
            "entitlement",
            ledger.Party.of_line(line, roster),
            by=by,
            amount_fen=line.amount_fen,
            reason=f"{_line_label(line)}补发：{note.strip()}",
            source="correction",
            period=line.month,
            roster=roster,
            roster_line=line,
        )
        line.status, line.resolution_note = "pending", f"补发：{note.strip()}"[:200]
        line.save(update_fields=["status", "resolution_note"])
        record(by, "payments.roster.release", line, changes={"note": note, "amount_fen": line.amount_fen})
    return line


def reverse_payment(entry: LedgerEntry, *, by: User, reason: str, amount_fen: int | None = None) -> LedgerEntry:
    """冲回: a recorded payment did not reach the family (退汇) or was booked in error. The
    reversal never exceeds the payment; the line can then be re-issued."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=entry.area_code)
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
        reversal = ledger.book(
            "reversal",
            ledger.Party.of_entry(payment),
            by=by,
            amount_fen=amount,
            reason=f"冲回：{reason.strip()}",
            source="correction",
            period=payment.period,
            roster_id=payment.roster_id,
            roster_line_id=payment.roster_line_id,
            bank_line_id=payment.bank_line_id,
            reverses=payment,
        )
        if payment.roster_line_id:
            RosterLine.objects.filter(pk=payment.roster_line_id).exclude(status="pulled").update(status="failed")
            benefit = Benefit.objects.filter(application_id=payment.application_id).first()
            if benefit is not None and payment.period is not None and not benefit.covers(payment.period):
                pull_lines(
                    payment.application_id, by=by, from_month=payment.period, reason="退汇，该月已停发或暂停发放"
                )
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
