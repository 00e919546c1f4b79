"""Phase 2 of a month's roster (花名册): ``write`` inserts the computed roster and its lines in
one transaction (COPY on PostgreSQL) with its summary; the roster's unique (area, month) index
decides races. Death data seen at the check is announced for review (``signals.deaths_flagged``)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from jiuzhu.accounts.system import user_or_none
from jiuzhu.applications.models import Application
from jiuzhu.areas.models import Area, in_subtree, level_of
from jiuzhu.audit.log import record
from jiuzhu.core.bulk import insert_rows
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import DomainError
from jiuzhu.referrals.actions import cancel_for_ended_case
from jiuzhu.web.labels import area_label

from .models import STOP_REASONS, Benefit, Roster, RosterLine, ScheduledPayment, add_months
from .roster import UNIQUE_ERRORS
from .roster_compute import Computed
from .signals import deaths_flagged

COMPUTED = (  # a computed line's values, in the order of the table's columns below
    "application_id",
    "household_id",
    "payee_id",
    "program",
    "area_code",
    "members",
    "amount_fen",
    "previous_fen",
    "basis_version",
    "change",
    "change_note",
)
LINE_COLUMNS = (  # ids come from the table's own default (no round trip to reserve them)
    "roster_id",
    "month",
    "status",
    "resolution_note",
    "resolved_by_id",
    *COMPUTED,
    "exceptions",
)


def exceptions_json(exceptions: list[str]) -> str:
    """The JSON of a line's exceptions; most lines have none, so skip the encoder for them."""
    return json.dumps(exceptions) if exceptions else "[]"


def _summary(rows: list[dict[str, Any]], previous_ids: set[int], month: dt.date) -> dict[str, Any]:
    by_change: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "delta_fen": 0})
    exceptions: dict[str, int] = defaultdict(int)
    for r in rows:
        entry = by_change[r["change"]]
        entry["count"] += 1
        entry["delta_fen"] += r["amount_fen"] - (r["previous_fen"] or 0)
        for e in r["exceptions"]:
            exceptions[e] += 1
    current = {r["application_id"] for r in rows}
    dropped = sorted(previous_ids - current)
    return {
        "changes": dict(by_change),
        "exceptions": dict(exceptions),
        "dropped": len(dropped),
        "dropped_ids": dropped[:500],
        "previous_month": add_months(month, -1).isoformat(),
    }


def write(by: Any, computed: Computed, *, refresh: bool = False) -> tuple[Roster, bool]:
    """Phase 2: insert the roster and its lines in one transaction. Returns (roster, created).

    An existing roster for the same area and month is returned untouched (generating the
    same month twice yields the same roster), unless ``refresh`` re-generates a draft."""
    area, month = computed.area, computed.month
    rows = computed.rows
    with transaction.atomic():
        existing = Roster.objects.select_for_update().filter(area_code=area.code, month=month).first()
        if existing is not None and not refresh:
            return existing, False
        if existing is None:
            _check_overlap(area, month)
            try:
                with transaction.atomic():
                    roster = Roster.objects.create(
                        area_code=area.code,
                        county_code=area.county_code,
                        month=month,
                        generated_by=by if getattr(by, "pk", None) else None,
                    )
            except IntegrityError:
                return Roster.objects.get(area_code=area.code, month=month), False
        else:
            roster = existing
            if not roster.editable:
                raise DomainError("roster_locked", f"{roster}已锁定，不能重新生成")
            RosterLine.objects.filter(roster=roster).delete()
        head = (roster.pk, month, "pending", "", None)  # the same for every line
        values = itemgetter(*COMPUTED)  # a line's values in one call, not a subscript each
        try:
            with transaction.atomic():
                insert_rows(
                    RosterLine,
                    LINE_COLUMNS,
                    ((*head, *values(r), exceptions_json(r["exceptions"])) for r in rows),
                )
        except UNIQUE_ERRORS:
            raise DomainError(
                "roster_overlap", f"部分案件已列入{month_label(month)}的其他花名册，请勿对上下级区域重复生成"
            ) from None
        roster.line_count = len(rows)
        roster.total_fen = sum(r["amount_fen"] for r in rows)
        roster.exception_count = sum(1 for r in rows if r["exceptions"])
        roster.parameters_digest = computed.digest
        roster.summary = _summary(rows, computed.previous_ids, month)
        roster.status = "generated"
        roster.generated_at = timezone.now()
        roster.checked_by = roster.checked_at = None
        roster.save()
        if computed.stopped:
            _end_gradual_exits(by, computed.stopped)
        _keep_back_pay(by, rows, area, month)
        _open_death_reviews(by, rows, month)
        record(
            by,
            "payments.roster.refresh" if existing else "payments.roster.generate",
            roster,
            changes={
                "month": month.isoformat(),
                "lines": roster.line_count,
                "total_fen": roster.total_fen,
                "exceptions": roster.exception_count,
                "parameters_digest": computed.digest,
                "gradual_ended": computed.stopped[:100],
            },
        )
    return roster, True


def _keep_back_pay(by: Any, rows: list[dict[str, Any]], area: Area, month: dt.date) -> None:
    """The 补发 a line carries (``roster_compute.add_back_pay``), kept as the month's 专项发放 of
    the case: the line's amount less it is the monthly amount (the family's 掌上办, the case page),
    and a draft generated again carries it as it carries every 专项发放."""
    ScheduledPayment.objects.bulk_create(
        [
            ScheduledPayment(
                application_id=r["application_id"],
                household_id=r["household_id"],
                payee_id=r["payee_id"],
                program=r["program"],
                kind="back_pay",
                area_code=r["area_code"],
                county_code=area.county_code,
                month=month,
                amount_fen=r["back_pay"][0],
                note=r["back_pay"][1][:120],
                created_by=user_or_none(by),
            )
            for r in rows
            if "back_pay" in r
        ]
    )


def _end_gradual_exits(by: Any, application_ids: list[int]) -> None:
    """渐退期满停发: the benefits whose 渐退 ended before this month stop, and, as at every stop,
    their cases' referrals no department has answered are withdrawn (the 渐退告知书 told the
    family the last month; the register ended with the 渐退 decision)."""
    ending = Benefit.objects.filter(application_id__in=application_ids, status="gradual")
    ended = list(ending.values_list("application_id", flat=True))
    ending.update(status="stopped", stop_reason="gradual_end", stop_note="渐退期满停发")
    why = f"已停发（{dict(STOP_REASONS)['gradual_end']}）"
    for application in Application.objects.filter(pk__in=ended):
        cancel_for_ended_case(application, by=by, why=why)


def _check_overlap(area: Area, month: dt.date) -> None:
    ancestors = [area.code[:6].ljust(12, "0")] if level_of(area.code) == "town" else []
    clash = (
        Roster.objects.filter(month=month)
        .filter(Q(area_code__in=ancestors) | in_subtree("area_code", area.prefix))
        .exclude(area_code=area.code)
        .first()
    )
    if clash is not None:
        raise DomainError(
            "roster_overlap",
            f"{month_label(month)}已有覆盖该区域的花名册（{area_label(clash.area_code)}），同一案件不能列入两份花名册",
        )


def _open_death_reviews(by: Any, rows: list[dict[str, Any]], month: dt.date) -> None:
    """DYN-7: death data seen at the roster check becomes a review task (one per case)."""
    flagged = [r["application_id"] for r in rows if {"deceased", "member_deceased"} & set(r["exceptions"])]
    if flagged:
        deaths_flagged.send(sender=Roster, by=by, application_ids=flagged, on=timezone.localdate())
