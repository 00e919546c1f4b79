"""花名册 generation: every case in force for a month and an area, its amount recomputed with
the parameters in force that month, the difference to last month with its reason, and the
checks (missing account, change > threshold, deceased, duplicate account, not eligible).

Two phases, so a kill at any moment leaves nothing half-written:
1. ``compute``: reads only (set-based queries, vectorized evaluation); progress is saved to
   the ``RosterRun`` row as it goes.
2. ``write``: one transaction inserts the roster and its lines (COPY on PostgreSQL). The
   roster's unique (area, month) index decides races: the loser gets the winner's roster.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from jiuzhu.applications.models import Application
from jiuzhu.areas.models import Area, in_subtree, level_of
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError
from jiuzhu.core.money import format_yuan
from jiuzhu.programs.engine import parameter_store, rules_error
from jiuzhu.registry.bulk import allocate_ids, insert_rows
from jiuzhu.registry.models import Person
from jiuzhu.rules import RulesInputError, evaluate
from jiuzhu.web.labels import area_label

from . import basis as basis_mod
from .models import (
    BLOCKING,
    MONTHLY_PROGRAMS,
    PROGRAM_LABELS,
    Benefit,
    CaseBasis,
    PaymentConfig,
    Roster,
    RosterLine,
    add_months,
    month_label,
)
from .signals import deaths_flagged

Progress = Callable[[str, int, int], None]


def _unique_errors() -> tuple[type[BaseException], ...]:
    """COPY runs on psycopg's own cursor, whose errors Django does not wrap."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return (IntegrityError,)
    return (IntegrityError, psycopg.errors.UniqueViolation)


UNIQUE_ERRORS = _unique_errors()
CHUNK = 20_000
STANDARD_PARAMETERS = {
    "dibao": ("dibao.standard.{u}",),
    "tekun": ("dibao.standard.{u}", "tekun.basic_multiplier.{u}"),
}


def config_for(county_code: str) -> PaymentConfig:
    config, _ = PaymentConfig.objects.get_or_create(county_code=county_code)
    return config


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


def refresh_bases(application_ids: list[int], progress: Progress | None = None) -> dict[int, str]:
    """Rebuild the stored columns of cases whose version changed; returns {case: error}."""
    errors: dict[int, str] = {}
    existing = set(
        CaseBasis.objects.filter(application_id__in=application_ids).values_list("application_id", flat=True)
    )
    for start in range(0, len(application_ids), 5000):
        chunk = application_ids[start : start + 5000]
        rows = []
        for pk, version, facts in Application.objects.filter(pk__in=chunk).values_list("pk", "version", "facts"):
            try:
                enc = basis_mod.encode(facts or {})
            except RulesInputError as exc:
                errors[pk] = f"{exc.field}：{exc.message}" if exc.field else exc.message
                continue
            rows.append((pk, version, basis_mod.LAYOUT, enc.members, enc.supporters, enc.data))
        fresh = [r for r in rows if r[0] not in existing]
        try:
            with transaction.atomic():
                insert_rows(CaseBasis, BASIS_COLUMNS, fresh)
        except UNIQUE_ERRORS:  # another worker built some of them meanwhile
            existing.update(r[0] for r in fresh)
        CaseBasis.objects.bulk_create(
            [CaseBasis(**dict(zip(BASIS_COLUMNS, r, strict=True))) for r in rows if r[0] in existing],
            update_conflicts=True,
            unique_fields=["application"],
            update_fields=["version", "layout", "members", "supporters", "data"],
        )
        if progress:
            progress("整理测算数据", start + len(chunk), len(application_ids))
    return errors


@dataclass
class Computed:
    area: Area
    month: dt.date
    digest: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    stopped: list[int] = field(default_factory=list)  # gradual benefits that ended before this month


def _standard_notes(keys: set[tuple[str, str, bool]], month: dt.date) -> dict[tuple[str, str, bool], str]:
    """For each (program, area, urban): a note when a standard changed since last month."""
    params = parameter_store()
    prev = add_months(month, -1)
    out = {}
    for program, area, urban in keys:
        notes = []
        for template in STANDARD_PARAMETERS.get(program, ()):
            name = template.format(u="urban" if urban else "rural")
            try:
                old, new = params.lookup(name, area, prev), params.lookup(name, area, month)
            except RulesInputError:
                continue
            if old.internal != new.internal:
                notes.append(f"{new.description}由{old.display()}调整为{new.display()}（{new.source}）")
        if notes:
            out[(program, area, urban)] = "；".join(notes)
    return out


def compute(area_code: str, month: dt.date, progress: Progress | None = None) -> Computed:
    """Phase 1 (reads only): the lines of the roster for ``area_code`` and ``month``."""
    area = roster_area(area_code)
    tick = progress or (lambda phase, done, total: None)
    tick("读取在保案件", 0, 0)
    sync_benefits(area.prefix)
    config = config_for(area.county_code)
    in_force = Benefit.objects.in_force(month).filter(in_subtree("area_code", area.prefix))
    cases = list(
        in_force.filter(application__state="approved")
        .order_by("program", "application_id")
        .values_list(
            "application_id",
            "program",
            "area_code",
            "household_id",
            "payee_id",
            "status",
            "gradual_amount_fen",
            "end_month",
            "application__version",
        )
    )
    ended = list(
        Benefit.objects.filter(in_subtree("area_code", area.prefix), status="gradual", end_month__lt=month).values_list(
            "application_id", flat=True
        )
    )
    params = parameter_store()
    out = Computed(area, month, params.digest, stopped=ended)
    n = len(cases)
    tick("读取在保案件", n, n)
    if not n:
        out.rows.extend(one_off_rows(area, month))
        return out
    ids = [c[0] for c in cases]
    app_sub = Subquery(in_force.values("application_id"))
    stored = {
        pk: (version, layout, m, s, data)
        for pk, version, layout, m, s, data in CaseBasis.objects.filter(application_id__in=app_sub).values_list(
            "application_id", "version", "layout", "members", "supporters", "data"
        )
    }
    stale = [c[0] for c in cases if (b := stored.get(c[0])) is None or b[0] != c[8] or b[1] != basis_mod.LAYOUT]
    facts_errors = refresh_bases(stale, tick) if stale else {}
    if stale:
        stored.update(
            {
                pk: (version, layout, m, s, data)
                for pk, version, layout, m, s, data in CaseBasis.objects.filter(application_id__in=stale).values_list(
                    "application_id", "version", "layout", "members", "supporters", "data"
                )
            }
        )

    # ---- amounts: one vectorized evaluation per program -----------------------------------
    amounts = np.zeros(n, dtype=np.int64)
    eligible = np.zeros(n, dtype=bool)
    urban = np.zeros(n, dtype=bool)
    sizes = np.zeros(n, dtype=np.int64)
    usable = np.array([pk not in facts_errors for pk in ids])
    for program in MONTHLY_PROGRAMS:
        idx = np.flatnonzero(np.array([c[1] == program for c in cases]) & usable)
        for a in range(0, idx.size, CHUNK):
            part = idx[a : a + CHUNK]
            tick(f"测算{PROGRAM_LABELS[program]}金额", int(a), int(idx.size))
            rows = [stored[ids[i]] for i in part]
            batch = basis_mod.decode(
                [cases[i][2] for i in part], [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows]
            )
            try:
                result = evaluate(program, batch, month, params)
            except RulesInputError as exc:
                raise rules_error(exc) from None
            amounts[part] = result.monthly_amount_fen
            eligible[part] = result.eligible
            urban[part] = batch.hh["urban"]
            sizes[part] = batch.hh["size"]

    # ---- last month, people, accounts --------------------------------------------------------
    tick("核查", 0, n)
    prev_month = add_months(month, -1)
    previous = {
        app: (amount, version)
        for app, amount, version in RosterLine.objects.filter(month=prev_month, application_id__in=app_sub).values_list(
            "application_id", "amount_fen", "basis_version"
        )
    }
    payee_sub = Subquery(in_force.values("payee_id"))
    people = {
        pk: (index, death)
        for pk, index, death in Person.objects.filter(pk__in=payee_sub).values_list(
            "pk", "bank_account_index", "death_date"
        )
    }
    shared = set(
        Person.objects.filter(
            bank_account_index__in=Subquery(
                Person.objects.filter(pk__in=payee_sub).exclude(bank_account_index="").values("bank_account_index")
            )
        )
        .values("bank_account_index")
        .annotate(households=Count("household_id", distinct=True))
        .filter(households__gt=1)
        .values_list("bank_account_index", flat=True)
    )
    deaths: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    for hh, pk, death in Person.objects.filter(
        household_id__in=Subquery(in_force.values("household_id")), death_date__isnull=False
    ).values_list("household_id", "pk", "death_date"):
        deaths[hh].append((pk, death))
    reviewed = dict(  # the last decided review (jiuzhu.monitoring) of each case
        Application.objects.filter(pk__in=app_sub, reviews__status="decided")
        .annotate(last=Max("reviews__decided_at"))
        .values_list("pk", "last")
    )
    starts = dict(in_force.values_list("application_id", "start_month"))
    notes = _standard_notes({(c[1], c[2], bool(urban[i])) for i, c in enumerate(cases)}, month)
    month_last = month_end(month)
    jump = config.amount_jump_percent

    for i, (app_id, program, area_c, household_id, payee_id, status, gradual_fen, end_month, version) in enumerate(
        cases
    ):
        exceptions = []
        if app_id in facts_errors:
            amount, change, note = 0, "facts", f"家庭情况数据有误：{facts_errors[app_id]}"
            exceptions.append("ineligible")
        elif status == "gradual":
            amount, change = int(gradual_fen or 0), "gradual"
            note = f"渐退期，至{month_label(end_month)}"
        else:
            amount = int(amounts[i])
            if not eligible[i]:
                exceptions.append("ineligible")
        prev = previous.get(app_id)
        if app_id not in facts_errors and status != "gradual":
            if prev is None:
                change, note = (
                    "new",
                    f"自{month_label(starts.get(app_id))}起发放" if starts.get(app_id) == month else "新增",
                )
            elif prev[0] == amount:
                change, note = "same", ""
            elif prev[1] != version:
                change, note = "facts", "复核或变更报告后家庭情况变化"
            elif (program, area_c, bool(urban[i])) in notes:
                change, note = "standard", notes[(program, area_c, bool(urban[i]))]
            else:
                change, note = "category", "成员年龄等变化，分类施保加发或标准适用随之变化"
        if prev is not None and prev[0] and abs(amount - prev[0]) * 100 > jump * prev[0]:
            exceptions.append("amount_jump")
        index, death = people.get(payee_id, ("", None))
        if not index:
            exceptions.append("no_account")
        elif index in shared:
            exceptions.append("duplicate_account")
        if death is not None and death < month:
            exceptions.append("deceased")
        last_review = reviewed.get(app_id)
        for pk, died in deaths.get(household_id, []):
            if pk == payee_id or died > month_last or died < (starts.get(app_id) or month):
                continue
            if last_review is None or timezone.localdate(last_review) < died:
                exceptions.append("member_deceased")
                break
        if prev is not None and prev[0] != amount and change == "same":
            change = "category"
        out.rows.append(
            {
                "application_id": app_id,
                "household_id": household_id,
                "payee_id": payee_id,
                "program": program,
                "area_code": area_c,
                "members": int(sizes[i]),
                "amount_fen": amount,
                "previous_fen": prev[0] if prev else None,
                "basis_version": version,
                "change": change,
                "change_note": note[:200],
                "exceptions": exceptions,
            }
        )
    tick("核查", n, n)
    out.rows.extend(one_off_rows(area, month))
    return out


def one_off_rows(area: Area, month: dt.date) -> list[dict[str, Any]]:
    """一次性救助 (临时救助) on the roster of the month of its decision or a later one, once:
    the decided amount less any 先行救助 already paid from the town's reserve. A case whose line
    was held (暂缓发放) comes again; one sent, paid, failed (重发 by the bank flow) or pulled does not."""
    # Lines of this month are this roster's own (regenerated); rosters never overlap.
    on_roster = RosterLine.objects.filter(application_id=OuterRef("pk")).exclude(status="held").exclude(month=month)
    cases = (
        Application.objects.filter(in_subtree("area_code", area.prefix))
        .filter(state="approved", program="temporary", amount_fen__gt=0, decided_at__isnull=False)
        .filter(decided_at__lt=timezone.make_aware(dt.datetime.combine(add_months(month, 1), dt.time())))
        .exclude(Exists(on_roster))
        .order_by("id")
        .values_list("pk", "household_id", "applicant_id", "area_code", "amount_fen", "advance_amount_fen", "version")
    )
    rows = list(cases)
    if not rows:
        return []
    people = dict(Person.objects.filter(pk__in=[r[2] for r in rows]).values_list("pk", "bank_account_index"))
    deaths = dict(
        Person.objects.filter(pk__in=[r[2] for r in rows], death_date__isnull=False).values_list("pk", "death_date")
    )
    sizes = dict(
        Person.objects.filter(household_id__in=[r[1] for r in rows], death_date__isnull=True)
        .values("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
    )
    out = []
    for app_id, household_id, payee_id, area_code, amount, advance, version in rows:
        due = int(amount) - int(advance or 0)
        if due <= 0:
            continue
        exceptions = [] if people.get(payee_id) else ["no_account"]
        if payee_id in deaths:
            exceptions.append("deceased")
        note = "一次性临时救助" + (f"（已先行救助{advance / 100:,.2f}元，补发差额）" if advance else "")
        out.append(
            {
                "application_id": app_id,
                "household_id": household_id,
                "payee_id": payee_id,
                "program": "temporary",
                "area_code": area_code,
                "members": int(sizes.get(household_id, 0)),
                "amount_fen": due,
                "previous_fen": None,
                "basis_version": version,
                "change": "new",
                "change_note": note,
                "exceptions": exceptions,
            }
        )
    return out


LINE_COLUMNS = (
    "id",
    "roster_id",
    "application_id",
    "month",
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
    "exceptions",
    "status",
    "resolution_note",
    "resolved_by_id",
)


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
        previous_ids = set(
            RosterLine.objects.filter(in_subtree("area_code", area.prefix), month=add_months(month, -1)).values_list(
                "application_id", flat=True
            )
        )
        ids = allocate_ids(RosterLine, len(rows))
        try:
            with transaction.atomic():
                insert_rows(
                    RosterLine,
                    LINE_COLUMNS,
                    (
                        (
                            pk,
                            roster.pk,
                            r["application_id"],
                            month,
                            r["household_id"],
                            r["payee_id"],
                            r["program"],
                            r["area_code"],
                            r["members"],
                            r["amount_fen"],
                            r["previous_fen"],
                            r["basis_version"],
                            r["change"],
                            r["change_note"],
                            json.dumps(r["exceptions"]),
                            "pending",
                            "",
                            None,
                        )
                        for pk, r in zip(ids, rows, strict=True)
                    ),
                )
        except UNIQUE_ERRORS:
            raise DomainError(
                "roster_overlap", f"部分案件已列入{month_label(month)}的其他花名册，请勿对上下级区域重复生成"
            ) from None
        roster.line_count = len(rows)
        roster.total_fen = sum(r["amount_fen"] for r in rows)
        roster.exception_count = sum(1 for r in rows if r["exceptions"])
        roster.parameters_digest = computed.digest
        roster.summary = _summary(rows, previous_ids, month)
        roster.status = "generated"
        roster.generated_at = timezone.now()
        roster.checked_by = roster.checked_at = None
        roster.save()
        if computed.stopped:
            Benefit.objects.filter(application_id__in=computed.stopped, status="gradual").update(
                status="stopped", stop_reason="gradual_end", stop_note="渐退期满停发"
            )
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


def blocking(line: RosterLine) -> list[str]:
    return [e for e in line.exceptions if e in BLOCKING]


def amount_text(fen: int | None) -> str:
    return "" if fen is None else format_yuan(fen)
