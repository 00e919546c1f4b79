"""资金台账: every ledger entry is booked here (issue 15 item 1).

``book()`` writes one entry of a case (应发, 实发, 冲回, 追回, 调整) after checking its kind, source
and amount; ``book_rows()`` writes many at once (locking a roster, a bank result) through the
same column list. The ledger is append-only: a correction is a new entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jiuzhu.accounts.system import user_or_none
from jiuzhu.core.bulk import allocate_ids, insert_rows
from jiuzhu.core.errors import InvalidInput

from .models import ENTRY_KINDS, ENTRY_SOURCES, LedgerEntry, Roster, RosterLine

KINDS = frozenset(k for k, _ in ENTRY_KINDS)
SOURCES = frozenset(s for s, _ in ENTRY_SOURCES)

COLUMNS = (
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


@dataclass(frozen=True)
class Party:
    """Whose entry: the case, the person paid, the household, the program and the area."""

    application_id: int
    person_id: int
    household_id: int
    program: str
    area_code: str
    county_code: str

    @classmethod
    def of_application(cls, app: Any, person_id: int | None = None, area_code: str = "") -> Party:
        return cls(
            app.pk,
            person_id or app.applicant_id,
            app.household_id,
            app.program,
            area_code or app.area_code,
            app.county_code,
        )

    @classmethod
    def of_line(cls, line: RosterLine, roster: Roster) -> Party:
        return cls(
            line.application_id, line.payee_id, line.household_id, line.program, line.area_code, roster.county_code
        )

    @classmethod
    def of_entry(cls, entry: LedgerEntry) -> Party:
        return cls(
            entry.application_id,
            entry.person_id,
            entry.household_id,
            entry.program,
            entry.area_code,
            entry.county_code,
        )


def book(
    kind: str,
    party: Party,
    *,
    by: Any,
    amount_fen: int,
    reason: str,
    source: str,
    period: dt.date | None = None,
    **links: Any,
) -> LedgerEntry:
    """One entry in the caller's transaction. ``links``: roster, roster_line, bank_line_id,
    reverses, plan, attempt. Only an adjustment may be negative; no entry is zero."""
    if kind not in KINDS or source not in SOURCES:
        raise ValueError(f"unknown ledger kind or source: {kind}/{source}")
    if amount_fen == 0 or (amount_fen < 0 and kind != "adjustment"):
        raise InvalidInput("invalid_amount", "台账金额不能为0，且只有调整可以为负数", field="amount_fen")
    return LedgerEntry.objects.create(
        kind=kind,
        application_id=party.application_id,
        person_id=party.person_id,
        household_id=party.household_id,
        program=party.program,
        area_code=party.area_code,
        county_code=party.county_code,
        period=period,
        amount_fen=amount_fen,
        reason=reason[:200],
        source=source,
        created_by=user_or_none(by),
        **links,
    )


def book_rows(rows: Iterable[tuple[Any, ...]], count: int) -> None:
    """Many entries at once: ``rows`` hold every column of ``COLUMNS`` but the id."""
    ids = allocate_ids(LedgerEntry, count)
    insert_rows(LedgerEntry, COLUMNS, ((pk, *r) for pk, r in zip(ids, rows, strict=True)))
