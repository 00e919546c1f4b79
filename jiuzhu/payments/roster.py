"""花名册 generation: every case in force for a month and an area, its amount recomputed with
the parameters in force that month, the difference to last month with its reason, and the
checks (missing account, change > threshold, deceased, duplicate account, not eligible).

Two phases, so a kill at any moment leaves nothing half-written:
1. ``roster_compute.compute``: reads only (set-based queries, vectorized evaluation); progress
   is saved to the ``RosterRun`` row as it goes.
2. ``roster_write.write``: one transaction inserts the roster and its lines (COPY on
   PostgreSQL). The roster's unique (area, month) index decides races: the loser gets the
   winner's roster.

This module holds what both read: the county's settings and the benefits register (待遇 in
force, kept in step with the decided cases by ``sync_benefits``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from jiuzhu.applications.models import Application
from jiuzhu.areas.models import Area, in_subtree
from jiuzhu.core.bulk import insert_rows
from jiuzhu.core.errors import DomainError
from jiuzhu.core.money import format_yuan
from jiuzhu.programs.engine import parameter_store
from jiuzhu.rules import RulesInputError

from . import basis as basis_mod
from .models import BLOCKING, MONTHLY_PROGRAMS, Benefit, CaseBasis, PaymentConfig, RosterLine, add_months

Progress = Callable[[str, int, int], None]
EncodedChunk = tuple[list[tuple[Any, ...]], dict[int, str]]  # (rows of CaseBasis, {case: error})


def _unique_errors() -> tuple[type[BaseException], ...]:
    """COPY runs on psycopg's own cursor, whose errors Django does not wrap."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return (IntegrityError,)
    return (IntegrityError, psycopg.errors.UniqueViolation)


UNIQUE_ERRORS = _unique_errors()


PAYMENT_SETTINGS = {
    "gradual_exit_months": "review.gradual_exit_months",
    "amount_jump_percent": "payments.amount_jump_percent",
    "review_lead_days": "review.lead_days",
    "review_limit_days": "review.limit_days",
    "reserve_low_balance_fen": "payments.reserve_low_balance",
    "roster_months_ahead": "payments.roster_months_ahead",
    "recovery_due_days": "payments.recovery_due_days",
}


def config_for(county_code: str, on: dt.date | None = None) -> PaymentConfig:
    """The county's payment and review settings in force on ``on`` (today by default)."""
    store = parameter_store()
    day = on or timezone.localdate()
    try:
        values = {attr: store.lookup(key, county_code, day).value for attr, key in PAYMENT_SETTINGS.items()}
    except RulesInputError as exc:
        raise DomainError("payment_not_configured", f"{exc.message}。请在“救助标准与设置”中录入") from None
    return PaymentConfig(county_code=county_code, **{k: int(v) for k, v in values.items()})


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def roster_area(code: str) -> Area:
    area = Area.objects.filter(code=code.ljust(12, "0")).first()
    if area is None or area.level not in ("county", "town"):
        raise DomainError("invalid_area", "花名册按县（区）或镇（街道）生成，请选择县级或镇级区划")
    return area


BENEFIT_COLUMNS = (
    "application_id",
    "household_id",
    "payee_id",
    "program",
    "area_code",
    "county_code",
    "status",
    "start_month",
    "end_month",
    "gradual_amount_fen",
    "stop_reason",
    "stop_note",
    "suspended_from",
    "suspend_reason",
    "suspend_note",
    "next_review_on",
    "updated_at",
)
BASIS_COLUMNS = ("application_id", "version", "layout", "members", "supporters", "data")


def open_benefit(application: Application) -> int:
    """批准 → 待遇: the named hand-off from a decision to payment (issue 15 item 4). The
    approval action calls it in its own transaction when a monthly case becomes approved."""
    return sync_benefits(application.area_code, application_ids=[application.pk])


def sync_benefits(prefix: str, application_ids: list[int] | None = None) -> int:
    """Create the ``Benefit`` row of every approved monthly case in ``prefix`` that has none
    (idempotent: concurrent callers insert each row once). Rosters still call it as a
    safety net for cases approved before the hand-off existed."""
    cases = Application.objects.filter(in_subtree("area_code", prefix))
    if application_ids is not None:
        cases = cases.filter(pk__in=application_ids)
    missing = cases.filter(
        state="approved", program__in=MONTHLY_PROGRAMS, start_month__isnull=False, benefit__isnull=True
    ).values_list(
        "pk",
        "household_id",
        "applicant_id",
        "program",
        "area_code",
        "county_code",
        "start_month",
        "review_cycle_months",
    )
    now = timezone.now()
    rows = [
        (
            pk,
            hh,
            payee,
            program,
            area,
            county,
            "active",
            start,
            None,
            None,
            "",
            "",
            None,
            "",
            "",
            add_months(start, cycle or 6),
            now,
        )
        for pk, hh, payee, program, area, county, start, cycle in missing.iterator(chunk_size=5000)
    ]
    if rows:
        try:
            with transaction.atomic():
                insert_rows(Benefit, BENEFIT_COLUMNS, rows)
        except UNIQUE_ERRORS:  # another worker inserted some of them meanwhile
            Benefit.objects.bulk_create(
                [Benefit(**dict(zip(BENEFIT_COLUMNS, r, strict=True))) for r in rows],
                batch_size=5000,
                ignore_conflicts=True,
            )
    return len(rows)


def refresh_bases(
    application_ids: list[int],
    progress: Progress | None = None,
    built: dict[int, tuple[int, str, int, int, bytes | memoryview]] | None = None,
    existing: set[int] | None = None,
    source: QuerySet[Application] | None = None,
) -> dict[int, str]:
    """Rebuild the stored columns of cases whose version changed; returns {case: error}.
    ``built`` receives what was stored, {case: (version, layout, members, supporters, data)},
    so the caller need not read it back; ``existing`` (the cases that have a stored row, as
    the caller just read them) saves reading them again. ``source``, cases that include all of
    ``application_ids``, is read in one stream instead of by lists of ids — cheaper when most
    of them are to be rebuilt (the first roster)."""
    errors: dict[int, str] = {}
    if existing is None:
        existing = set(
            CaseBasis.objects.filter(application_id__in=application_ids).values_list("application_id", flat=True)
        )

    def store(done: int, encoded: Future[EncodedChunk]) -> None:
        rows, failed = encoded.result()
        errors.update(failed)
        if built is not None:
            built.update((r[0], r[1:]) for r in rows)
        fresh = [r for r in rows if r[0] not in existing]
        try:
            with transaction.atomic():
                insert_rows(CaseBasis, BASIS_COLUMNS, fresh, binary=True)
        except UNIQUE_ERRORS:  # another worker built some of them meanwhile
            existing.update(r[0] for r in fresh)
        CaseBasis.objects.bulk_create(
            [CaseBasis(**dict(zip(BASIS_COLUMNS, r, strict=True))) for r in rows if r[0] in existing],
            update_conflicts=True,
            unique_fields=["application"],
            update_fields=["version", "layout", "members", "supporters", "data"],
        )
        if progress:
            progress("整理测算数据", done, len(application_ids))

    # A chunk's facts are decoded and encoded in a second thread while this one reads the next
    # chunk and writes the last one: the database's share (reading, COPY, the foreign-key checks
    # at commit) releases the GIL, so the encoding runs meanwhile instead of after it.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="basis") as encoder:
        waiting: tuple[int, Future[EncodedChunk]] | None = None
        for done, chunk in _facts_chunks(application_ids, source):
            encoded = encoder.submit(_encode_chunk, chunk)
            if waiting is not None:
                store(*waiting)
            waiting = (done, encoded)
        if waiting is not None:
            store(*waiting)
    return errors


def _encode_chunk(chunk: list[tuple[int, int, str | None]]) -> EncodedChunk:
    """[(case, version, facts as JSON text)] → (rows of ``CaseBasis``, {case: error})."""
    rows, errors = [], {}
    for pk, version, text in chunk:
        try:
            enc = basis_mod.encode(_loads(text) or {})
        except RulesInputError as exc:
            errors[pk] = f"{exc.field}：{exc.message}" if exc.field else exc.message
            continue
        rows.append((pk, version, basis_mod.LAYOUT, enc.members, enc.supporters, enc.data))
    return rows, errors


BASIS_CHUNK = 5000


def _facts_chunks(
    application_ids: list[int], source: QuerySet[Application] | None
) -> Iterator[tuple[int, list[tuple[int, int, str | None]]]]:
    """(cases done, [(case, version, facts as JSON text)]) in chunks of ``BASIS_CHUNK``. The facts
    are read as text and decoded by ``_encode_chunk``: Django's converter per value cost as much
    again as the decoding. (orjson decodes twice as fast but turns integers beyond 64 bits into
    floats.)"""
    if source is None:
        for start in range(0, len(application_ids), BASIS_CHUNK):
            ids = application_ids[start : start + BASIS_CHUNK]
            yield start + len(ids), list(_facts_as_text(Application.objects.filter(pk__in=ids)))
        return
    wanted, chunk, done = set(application_ids), [], 0
    for row in _facts_as_text(source).iterator(chunk_size=BASIS_CHUNK):
        if row[0] in wanted:
            chunk.append(row)
            if len(chunk) == BASIS_CHUNK:
                done += len(chunk)
                yield done, chunk
                chunk = []
    if chunk:
        yield done + len(chunk), chunk


def _facts_as_text(cases: QuerySet[Application]) -> QuerySet[Any]:
    return cases.annotate(facts_text=Cast("facts", output_field=TextField())).values_list("pk", "version", "facts_text")


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def blocking(line: RosterLine) -> list[str]:
    return [e for e in line.exceptions if e in BLOCKING]


def amount_text(fen: int | None) -> str:
    return "" if fen is None else format_yuan(fen)
