"""Notices (文书): numbered per county, year and kind, rendered to PDF, kept in the archive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.registry.actions import store_generated
from jiuzhu.web.seal import record_signed, render_and_sign

from .config import config_for
from .models import NOTICE_KINDS, Application, Intake, Notice, NoticeSequence
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
    """The next number of a per-county, per-year sequence; the row is locked, so no repeats."""
    year = timezone.localdate().year
    NoticeSequence.objects.get_or_create(county_code=county_code, year=year, kind=kind)
    seq = NoticeSequence.objects.select_for_update().get(county_code=county_code, year=year, kind=kind)
    seq.last += 1
    seq.save(update_fields=["last"])
    return seq.last


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
    queue.append(lambda: _render(prepared))


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
    context = {
        "number": number,
        "title": title,
        "intake": intake,
        "application": application,
        "config": config,
        "household": intake.household,
        "applicant": intake.applicant,
        "today": timezone.localdate(),
        "applications": list(intake.applications.all()),
        **(extra or {}),
    }
    return _Prepared(by, kind, number, title, intake, application, config, context)


def _render(p: _Prepared) -> Notice:
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
        return Notice.objects.create(
            application=p.application,
            intake=p.intake,
            kind=p.kind,
            number=p.number,
            document=document,
            issued_by=p.by if getattr(p.by, "pk", None) else None,
        )
