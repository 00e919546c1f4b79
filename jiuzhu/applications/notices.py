"""Notices (文书): numbered per county, year and kind, rendered to PDF, kept in the archive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jiuzhu.core import jobs
from jiuzhu.registry.actions import store_generated
from jiuzhu.web.seal import record_signed, render_and_sign

from .config import config_for
from .models import NOTICE_KINDS, Application, Intake, Notice, NoticeJob, NoticeSequence
from .procedure import ProcedureConfig

KIND_MARK = {
    "receipt": "受",
    "checklist": "告",
    "not_accepted": "不受",
    "approval": "批",
    "rejection": "不批",
    "advance": "急",
    "adjustment": "调",
    "stop": "停",
    "gradual": "渐",
    "suspend": "暂",
}


def next_sequence(county_code: str, kind: str) -> int:
    """The next number of a per-county, per-year sequence. One statement (an upsert that
    returns the new value; PostgreSQL and SQLite both have it) creates or advances the row and
    keeps it locked until the caller's transaction ends, so no repeats and no gaps; it was
    three statements (get or create, lock, save) per number, nine per intake."""
    table = connection.ops.quote_name(NoticeSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (county_code, year, kind, last) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (county_code, year, kind) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [county_code, timezone.localdate().year, kind],
        )
        row = cursor.fetchone()
    return int(row[0])


def next_number(county_code: str, kind: str, prefix: str) -> str:
    """``台民救〔2026〕批0012号``."""
    year = timezone.localdate().year
    return f"{prefix}〔{year}〕{KIND_MARK[kind]}{next_sequence(county_code, kind):04d}号"


def issue(
    by: Any, kind: str, *, intake: Intake, application: Application | None = None, extra: dict[str, Any] | None = None
) -> Notice:
    """Render and archive one notice now, in the caller's transaction (rosters' notices)."""
    return _render(_prepare(by, kind, intake=intake, application=application, extra=extra))


def issue_after(
    by: Any, kind: str, *, intake: Intake, application: Application | None = None, extra: dict[str, Any] | None = None
) -> None:
    """Number a notice now, in the action's transaction, and render, sign and archive it when
    the action's ``rendered_after()`` block has ended — after its transaction committed, so no
    PDF is made while the database's write lock is held, and a rolled-back action leaves none."""
    queue = _queue.get()
    if queue is None:
        raise RuntimeError("issue_after() outside a rendered_after() block")
    prepared = _prepare(by, kind, intake=intake, application=application, extra=extra)
    job = NoticeJob.objects.create(
        number=prepared.number,
        kind=kind,
        intake=intake,
        application=application,
        area_code=intake.area_code,
        issued_by=by if getattr(by, "pk", None) else None,
        today=prepared.context["today"],
        extra=_encode(extra or {}),
        worker=jobs.this_worker(),  # the action's process renders it once the action committed
        attempts=1,
    )
    queue.append(lambda: _render_job(job.pk, prepared))


# ---- the job row of a notice rendered after commit (issue 19 item 3) -------------------------


def _encode(value: Any) -> Any:
    """JSON of a notice's extra context; dates are tagged so a retry renders them as dates."""
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__date__"}:
            return dt.date.fromisoformat(value["__date__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _render_job(job_id: int, prepared: _Prepared) -> Notice:
    """Render the job's notice under its heartbeat; a failure leaves the job failed with the
    reason (the action itself has committed), to be retried."""
    try:
        with jobs.heartbeat(NoticeJob, job_id):
            return _render(prepared, job_id=job_id)
    except Exception as exc:
        jobs.fail(NoticeJob, job_id, f"文书生成失败（{type(exc).__name__}），可点击“重试”", status="running")
        raise


def recover_notice_jobs(scope: Any = None) -> list[int]:
    """Notice renderings whose process died are marked failed with the reason."""
    from jiuzhu.audit.log import record_job_death

    return jobs.reap(NoticeJob, scope=scope, audit=record_job_death)


def retry_notice_job(job: NoticeJob, *, by: Any) -> Notice:
    """重试: render, sign and archive a failed job's notice under the number it already has
    (the number was given in the action's transaction and is never given again)."""
    from jiuzhu.accounts.permissions import require
    from jiuzhu.accounts.scope import require_in_scope
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.audit.log import record

    require(by, "applications.notices")  # the town or county roles that issue notices (roles.py)
    require_in_scope(by=by, area_code=job.area_code)
    locked = jobs.retry(
        job,
        recover=recover_notice_jobs,
        reset={"status": "running", "error": "", "finished_at": None},
        claim=True,  # rendered now, in this request
        audit=lambda locked: record(
            by, "applications.notice.retry", locked, changes={"number": locked.number, "attempts": locked.attempts}
        ),
        code="notice_job_not_failed",
        refusal="该文书任务当前为“{status}”，只有失败的任务可以重试",
    )
    existing = Notice.objects.filter(number=locked.number).first()
    if existing is not None:  # kept already (the job's own end was lost): nothing to render
        NoticeJob.objects.filter(pk=locked.pk).update(status="done", notice=existing, finished_at=timezone.now())
        return existing
    issuer = locked.issued_by or SystemActor("系统（文书重试）")
    return _render_job(locked.pk, _prepare_again(issuer, locked))


def _prepare_again(by: Any, job: NoticeJob) -> _Prepared:
    """What ``_prepare`` made when the action numbered the notice: same number, same date."""
    intake, application = job.intake, job.application
    accepted = application.accepted_at if application is not None and application.accepted_at else intake.created_at
    config = config_for(intake.area_code[:6], timezone.localdate(accepted))
    return _Prepared(
        by,
        job.kind,
        job.number,
        dict(NOTICE_KINDS)[job.kind],
        intake,
        application,
        config,
        _context(job.number, dict(NOTICE_KINDS)[job.kind], intake, application, config, job.today, _decode(job.extra)),
    )


def after(work: Callable[[], Any]) -> None:
    """Run ``work`` (a PDF to make and keep) when the ``rendered_after()`` block has ended."""
    queue = _queue.get()
    if queue is None:
        raise RuntimeError("after() outside a rendered_after() block")
    queue.append(work)


@contextmanager
def rendered_after() -> Iterator[None]:
    """Wrap an action's ``transaction.atomic()`` in this (``with rendered_after(), atomic():``):
    the work queued by ``issue_after``/``after`` in the block runs once the block has ended
    without an exception, in order; if it raises, the queued work is dropped. Nested (an action
    inside another one's block), the outermost block runs it."""
    queue = _queue.get()
    if queue is not None:
        mark = len(queue)
        try:
            yield
        except BaseException:
            del queue[mark:]
            raise
        return
    queue = []
    token = _queue.set(queue)
    try:
        yield
    finally:
        _queue.reset(token)
    for work in queue:
        work()


_queue: ContextVar[list[Callable[[], Any]] | None] = ContextVar("jiuzhu_notices_after", default=None)


@dataclass(frozen=True)
class _Prepared:
    by: Any
    kind: str
    number: str
    title: str
    intake: Intake
    application: Application | None
    config: ProcedureConfig
    context: dict[str, Any]


def _prepare(
    by: Any, kind: str, *, intake: Intake, application: Application | None, extra: dict[str, Any] | None
) -> _Prepared:
    """The number (from the locked per-county sequence) and what the notice says, as of now."""
    county = intake.area_code[:6]
    # The case's documents say what the settings in force on its acceptance day say (文书字号,
    # 出具单位, 救济途径), like its deadlines: a later change applies to cases accepted after it.
    accepted = application.accepted_at if application is not None and application.accepted_at else intake.created_at
    config = config_for(county, timezone.localdate(accepted))
    number = next_number(county, kind, config.notice_prefix)
    title = dict(NOTICE_KINDS)[kind]
    context = _context(number, title, intake, application, config, timezone.localdate(), extra or {})
    return _Prepared(by, kind, number, title, intake, application, config, context)


def _context(
    number: str,
    title: str,
    intake: Intake,
    application: Application | None,
    config: ProcedureConfig,
    today: dt.date,
    extra: dict[str, Any],
) -> dict[str, Any]:
    return {
        "number": number,
        "title": title,
        "intake": intake,
        "application": application,
        "config": config,
        "household": intake.household,
        "applicant": intake.applicant,
        "today": today,
        "applications": list(intake.applications.all()),
        **extra,
    }


def _render(p: _Prepared, job_id: int | None = None) -> Notice:
    """Render and sign (no database), then keep the 存证 row, the archived file and the notice
    together in one short transaction."""
    pdf, seal = render_and_sign(f"applications/notices/{p.kind}.html", p.context, number=p.number, title=p.title)
    with transaction.atomic():
        record_signed(
            pdf,
            seal,
            kind=f"notice.{p.kind}",
            number=p.number,
            title=p.title,
            issuer=p.config.issuer_name,
            area_code=p.intake.area_code,
        )
        document = store_generated(
            p.intake.household,
            pdf,
            by=p.by,
            kind="notice",
            title=f"{p.title} {p.number}",
            filename=f"{p.title}-{p.number}.pdf",
            content_type="application/pdf",
            person=p.intake.applicant,
        )
        notice = Notice.objects.create(
            application=p.application,
            intake=p.intake,
            kind=p.kind,
            number=p.number,
            document=document,
            issued_by=p.by if getattr(p.by, "pk", None) else None,
        )
        if job_id is not None:  # the job ends with the notice it kept, in the same transaction
            NoticeJob.objects.filter(pk=job_id).update(status="done", notice=notice, finished_at=timezone.now())
        return notice
