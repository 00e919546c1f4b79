"""银行代发: the county's file layouts, export of a locked roster and reissue of failed lines."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Subquery, Sum
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record, record_job_death
from jiuzhu.core import jobs
from jiuzhu.core.bulk import insert_rows
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import unseal
from jiuzhu.web.labels import area_labels

from .. import bankfiles
from ..models import (
    PROGRAM_LABELS,
    BankBatch,
    BankExportJob,
    BankLayout,
    BankLine,
    LedgerEntry,
    Roster,
    RosterLine,
)
from ..roster_compute import unidentified_payees
from ._common import _set_status, _who
from .benefits import _refuse_unconfirmed, _sweep
from .rosters import _lock_roster


def layouts_for(county_code: str, *, by: User) -> list[BankLayout]:
    require(by, "payments.view")
    return bankfiles.layouts_of(county_code)


def _layout(roster: Roster, layout: BankLayout | int | None) -> BankLayout:
    layouts = bankfiles.layouts_of(roster.county_code)
    if not layouts:
        raise DomainError(
            "no_layout", "本县（区）尚未设置银行文件格式，请先在“银行文件格式”页面添加后再导出", field="layout"
        )
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
    # INT-24: a payee still under a 临时编号 has no ID number a bank can use: his line stays out
    # of every file (the roster shows it as an exception) until the identity is matched.
    temporary = unidentified_payees(
        Subquery(RosterLine.objects.filter(roster=roster).filter(line_filter).values("payee_id"))
    )
    lines = [x for x in lines if x[1] not in temporary]
    if not lines:
        raise DomainError(
            "nothing_to_export",
            "没有需要发放的记录" + (f"（{len(temporary)}名临时编号人员待核实身份后发放）" if temporary else ""),
        )
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
    batch_id = batch.pk  # once, not a property call per line
    insert_rows(
        BankLine,
        BANK_COLUMNS,
        (
            (batch_id, line, f"{prefix}{line:010d}", *accounts[payee], amount, "sent", "")
            for line, payee, amount in lines
        ),
    )
    _set_status(RosterLine, [(line, "sent", "") for line, _, _ in lines])
    return batch


def export_bank_file(
    roster: Roster, *, by: User, layout: BankLayout | int | None = None
) -> tuple[BankBatch, bytes, str]:
    """导出银行文件 (社会化发放 to the payee's 一卡通 account): every line to be paid of a locked
    roster in one batch. Writing the file is a full-PII export and is audited. Runs as a
    job row (``BankExportJob``) that a killed worker leaves failed and retryable."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=roster.area_code)
    if roster.status == "locked":
        _sweep(by, roster)
    return _run_export(_start_job(roster, by=by, kind="initial", layout=layout), by=by, layout=layout)


def reissue(roster: Roster, *, by: User, layout: BankLayout | int | None = None) -> tuple[BankBatch, bytes, str]:
    """重新发放: failed transfers (after the account is corrected) and lines released after
    locking go out in a new batch; accounts are read again from the registry."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=roster.area_code)
    if roster.status in ("exported", "settled"):
        _sweep(by, roster)
    return _run_export(_start_job(roster, by=by, kind="reissue", layout=layout), by=by, layout=layout)


def recover_bank_exports(scope: Any = None) -> list[int]:
    """Exports whose worker died are marked failed with the reason (issue 19 item 3)."""
    return jobs.reap(BankExportJob, scope=scope, audit=record_job_death)


def _start_job(roster: Roster, *, by: User, kind: str, layout: BankLayout | int | None) -> BankExportJob:
    """The job row, committed before the work starts (so a kill leaves a trace); one running
    export per roster — a dead one is reaped first."""
    recover_bank_exports(BankExportJob.objects.filter(roster=roster))
    layout_id = layout.pk if isinstance(layout, BankLayout) else layout
    try:
        with transaction.atomic():
            return BankExportJob.objects.create(
                roster=roster,
                area_code=roster.area_code,
                kind=kind,
                layout_id=layout_id if BankLayout.objects.filter(pk=layout_id or 0).exists() else None,
                requested_by=by if getattr(by, "pk", None) else None,
                status="running",
                worker=jobs.this_worker(),
                attempts=1,  # counted with the row: a kill before the work still shows one attempt
            )
    except IntegrityError:
        raise DomainError("export_running", "本花名册正在导出银行文件，请稍候在发放批次中下载") from None


def retry_bank_export(job: BankExportJob, *, by: User) -> tuple[BankBatch, bytes, str]:
    """重试 a failed export: the same job runs again. It is idempotent: the batch, the lines'
    status and the job's completion commit together, so a failed job exported nothing, and a
    line already sent (by this job's retry or another export) is not sent again."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=job.area_code)
    try:
        locked = jobs.retry(
            job,
            recover=recover_bank_exports,
            reset={"status": "running", "error": "", "finished_at": None},
            claim=True,  # run now, in this request
            audit=lambda locked: record(
                by, "payments.bank.retry", locked, changes={"job": locked.pk, "attempts": locked.attempts}
            ),
            code="export_not_failed",
            refusal="该导出任务当前为“{status}”，只有失败的任务可以重试",
        )
    except IntegrityError:
        raise DomainError("export_running", "本花名册正在导出银行文件，请稍候在发放批次中下载") from None
    roster = locked.roster
    sweep_in = ("locked",) if locked.kind == "initial" else ("exported", "settled")
    if roster.status in sweep_in:
        _sweep(by, roster)
    return _run_export(locked, by=by, retry=True)


def _run_export(
    job: BankExportJob, *, by: User, layout: BankLayout | int | None = None, retry: bool = False
) -> tuple[BankBatch, bytes, str]:
    try:
        with jobs.heartbeat(BankExportJob, job.pk), transaction.atomic():
            roster = _lock_roster(job.roster)
            if job.kind == "initial":
                if roster.status != "locked":
                    if roster.status in ("exported", "settled"):
                        raise DomainError(
                            "already_exported", "本花名册已导出银行文件，请在发放批次中重新下载，失败记录请“重新发放”"
                        )
                    raise DomainError("not_locked", "花名册须经双人复核锁定后才能导出银行文件")
                line_filter = Q(status="pending")
            else:
                if roster.status not in ("exported", "settled"):
                    raise DomainError("not_exported", "花名册尚未导出首批银行文件")
                line_filter = Q(status__in=("failed", "pending"))
            _refuse_unconfirmed(roster)
            batch = _send_batch(by, roster, layout if layout is not None else job.layout_id, line_filter, job.kind)
            content, name = _render(batch)  # a value too wide for its column undoes the batch
            BankExportJob.objects.filter(pk=job.pk).update(status="done", batch=batch, finished_at=timezone.now())
    except DomainError as exc:
        if not retry:  # a refusal of a new request: nothing ran, no job to keep
            BankExportJob.objects.filter(pk=job.pk).delete()
        else:
            jobs.fail(BankExportJob, job.pk, exc.message)
        raise
    except Exception as exc:  # the job never stays "running" under a live process
        jobs.fail(
            BankExportJob, job.pk, f"导出失败（系统错误：{type(exc).__name__}），可点击“重试”，如仍失败请联系管理员"
        )
        raise
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


def bank_file(batch: BankBatch, *, by: User) -> tuple[bytes, str]:
    """下载银行文件 again (the same content as exported); audited as a full-PII export."""
    require(by, "payments.roster")
    require_in_scope(by=by, area_code=batch.area_code)
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

    county = Area.objects.filter(code=roster.county_code.ljust(12, "0")).values_list("name", flat=True).first()
    context = {
        "month": f"{roster.month:%Y%m}",
        "county_code": roster.county_code,
        "county_name": county or roster.county_code,
        "batch_no": batch.number,
        "date": f"{timezone.localdate(batch.exported_at):%Y%m%d}",
    }
    content = bankfiles.render(layout, rows(), context)
    suffix = {"fixed": "txt"}.get(layout.file_format, layout.file_format)
    return content, bankfiles.file_name(layout, context, f"银行发放文件-{batch.number}.{suffix}")
