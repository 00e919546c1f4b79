"""Phase 1 of a month's roster (花名册): ``compute`` reads only — the cases in force for a
county or town, their amounts recomputed in one vectorized pass with the parameters in force
that month, the change since last month with its reason, the exceptions — and saves its
progress to the ``RosterRun`` row. Phase 2 is ``roster_write.write``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Exists, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from jiuzhu.applications.models import Application
from jiuzhu.areas.models import Area, in_subtree, prefix_of
from jiuzhu.core.bulk import fetch_rows
from jiuzhu.core.dates import month_label
from jiuzhu.programs.engine import parameter_store, rules_error
from jiuzhu.registry.models import Person
from jiuzhu.rules import RulesInputError, evaluate

from . import basis as basis_mod
from .models import (
    MONTHLY_PROGRAMS,
    PROGRAM_LABELS,
    SCHEDULED_KINDS,
    Benefit,
    CaseBasis,
    Roster,
    RosterLine,
    ScheduledPayment,
    add_months,
)
from .roster import Progress, config_for, month_end, refresh_bases, roster_area, sync_benefits

CHUNK = 20_000


STANDARD_PARAMETERS = {
    "dibao": ("dibao.standard.{u}",),
    "tekun": ("dibao.standard.{u}", "tekun.basic_multiplier.{u}"),
}


@dataclass
class Computed:
    area: Area
    month: dt.date
    digest: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    stopped: list[int] = field(default_factory=list)  # gradual benefits that ended before this month
    previous_ids: set[int] = field(default_factory=set)  # cases on the area's roster last month


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


def shares_account(person: str = "") -> Exists:
    """Annotation: true when a person of another household has the same bank account (blind
    index) as the person at ``person`` (a path from the query's model; "" for a ``Person``
    query) — a roster line paid to that person is an exception (SUP-11). One index probe per
    person, so a roster reads it with its payees instead of grouping every holder of their
    accounts. (Payees always belong to a household.)"""
    prefix = f"{person}__" if person else ""
    return Exists(
        Person.objects.filter(
            bank_account_index=OuterRef(f"{prefix}bank_account_index"), household__isnull=False
        ).exclude(household_id=OuterRef(f"{prefix}household_id"))
    )


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
        .annotate(payee_shares_account=shares_account("payee"))
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
            "start_month",
            "payee__bank_account_index",
            "payee__death_date",
            "payee__temp_number",
            "payee_shares_account",
        )
    )
    ended = list(
        Benefit.objects.filter(in_subtree("area_code", area.prefix), status="gradual", end_month__lt=month).values_list(
            "application_id", flat=True
        )
    )
    # Last month's monthly lines of the area: a case's area code never changes, so this holds each
    # case's line of last month (and those of cases no longer paid, for the summary's "dropped" —
    # a one-off 临时救助 paid last month was never "在册").
    previous = {
        app: (amount, version)
        for app, amount, version in RosterLine.objects.filter(
            in_subtree("area_code", area.prefix), month=add_months(month, -1), program__in=MONTHLY_PROGRAMS
        ).values_list("application_id", "amount_fen", "basis_version")
    }
    params = parameter_store()
    out = Computed(area, month, params.digest, stopped=ended, previous_ids=set(previous))
    n = len(cases)
    tick("读取在保案件", n, n)
    if not n:
        out.rows.extend(one_off_rows(area, month))
        add_scheduled(out.rows, area, month)
        return out
    ids = [c[0] for c in cases]
    app_sub = Subquery(in_force.values("application_id"))
    stored = {
        pk: (version, layout, m, s, data)
        for pk, version, layout, m, s, data in fetch_rows(
            CaseBasis.objects.filter(application_id__in=app_sub).values_list(
                "application_id", "version", "layout", "members", "supporters", "data"
            )
        )
    }
    stale = [c[0] for c in cases if (b := stored.get(c[0])) is None or b[0] != c[8] or b[1] != basis_mod.LAYOUT]
    facts_errors = {}
    if stale:
        facts_errors = refresh_bases(
            stale,
            tick,
            built=stored,
            existing={pk for pk in stale if pk in stored},
            source=Application.objects.filter(pk__in=app_sub) if len(stale) * 2 > n else None,
        )

    # ---- amounts: one vectorized evaluation per program -----------------------------------
    amounts = np.zeros(n, dtype=np.int64)
    eligible = np.zeros(n, dtype=bool)
    urban = np.zeros(n, dtype=bool)
    sizes = np.zeros(n, dtype=np.int64)
    usable = np.array([pk not in facts_errors for pk in ids]) if facts_errors else np.ones(n, dtype=bool)
    program_of = np.array([c[1] for c in cases])
    for program in MONTHLY_PROGRAMS:
        idx = np.flatnonzero((program_of == program) & usable)
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
    deaths: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)  # households with a death only
    for hh, pk, death in Person.objects.filter(
        household_id__in=Subquery(in_force.values("household_id")), death_date__isnull=False
    ).values_list("household_id", "pk", "death_date"):
        deaths[hh].append((pk, death))
    reviewed = dict(  # the last decided review (jiuzhu.monitoring) of each case
        Application.objects.filter(pk__in=app_sub, reviews__status="decided")
        .annotate(last=Max("reviews__decided_at"))
        .values_list("pk", "last")
    )
    # plain lists: the loop below reads one element at a time, which numpy makes slow
    amount_of, eligible_of, urban_of, size_of = amounts.tolist(), eligible.tolist(), urban.tolist(), sizes.tolist()
    notes = _standard_notes({(c[1], c[2], urban_of[i]) for i, c in enumerate(cases)}, month)
    month_last = month_end(month)
    jump = config.amount_jump_percent
    late: dict[int, dt.date] = {}  # new cases whose first month is past: maybe 补发

    for i, case in enumerate(cases):
        app_id, program, area_c, household_id, payee_id, status, gradual_fen, end_month, version, start = case[:10]
        index, death, temp, shared = case[10:]
        exceptions = []
        prev = previous.get(app_id)
        if app_id in facts_errors:
            amount, change, note = 0, "facts", f"家庭情况数据有误：{facts_errors[app_id]}"
            exceptions.append("ineligible")
        elif status == "gradual":
            amount, change = int(gradual_fen or 0), "gradual"
            note = f"渐退期，至{month_label(end_month)}"
        else:
            amount = amount_of[i]
            if not eligible_of[i]:
                exceptions.append("ineligible")
            if prev is None:
                change, note = (
                    "new",
                    f"自{month_label(start)}起发放" if start == month else "新增",
                )
                if start is not None and start < month:
                    late[app_id] = start
            elif prev[0] == amount:
                change, note = "same", ""
            elif prev[1] != version:
                change, note = "facts", "复核或变更报告后家庭情况变化"
            elif (program, area_c, urban_of[i]) in notes:
                change, note = "standard", notes[(program, area_c, urban_of[i])]
            else:
                change, note = "category", "成员年龄等变化，分类施保加发或标准适用随之变化"
        if prev is not None and prev[0] and abs(amount - prev[0]) * 100 > jump * prev[0]:
            exceptions.append("amount_jump")
        if temp:  # INT-24: a 临时编号 is never sent to a bank as an ID number
            exceptions.append("unidentified")
        if not index:
            exceptions.append("no_account")
        elif shared:
            exceptions.append("duplicate_account")
        if death is not None and death < month:
            exceptions.append("deceased")
        if household_id in deaths:
            last_review = reviewed.get(app_id)
            for pk, died in deaths[household_id]:
                if pk == payee_id or died > month_last or died < (start or month):
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
                "members": size_of[i],
                "amount_fen": amount,
                "previous_fen": prev[0] if prev else None,
                "basis_version": version,
                "change": change,
                "change_note": note[:200],
                "exceptions": exceptions,
            }
        )
    tick("核查", n, n)
    if late:
        add_back_pay(out.rows, late, month)
    out.rows.extend(one_off_rows(area, month))
    add_scheduled(out.rows, area, month)
    return out


def unidentified_payees(payees: list[int] | Subquery) -> set[int]:
    """The payees (ids, or a subquery of them) registered under a 临时编号 (INT-24): no real ID
    number to send to a bank."""
    people = Person.objects.filter(pk__in=payees, temp_number__isnull=False).exclude(temp_number="")
    return set(people.values_list("pk", flat=True))


def one_off_rows(area: Area, month: dt.date) -> list[dict[str, Any]]:
    """一次性救助 (临时救助) on the roster of the month of its decision or a later one, once:
    the decided amount less any 先行救助 already paid from the town's reserve. A case whose line
    was held (暂缓发放) comes again; one sent, paid, failed (重发 by the bank flow) or pulled does not."""
    # Lines of this month are this roster's own (regenerated); rosters never overlap. A line that
    # carried only a scheduled amount (过渡期生活救助) did not pay the decided amount.
    scheduled = ScheduledPayment.objects.filter(application_id=OuterRef("application_id"), month=OuterRef("month"))
    on_roster = (
        RosterLine.objects.filter(application_id=OuterRef("pk"))
        .exclude(status="held")
        .exclude(month=month)
        .annotate(scheduled_fen=Coalesce(Subquery(scheduled.values("amount_fen")[:1]), 0))
        .filter(amount_fen__gt=F("scheduled_fen"))
    )
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
    unidentified = unidentified_payees([r[2] for r in rows])
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
        exceptions = ["unidentified"] if payee_id in unidentified else []
        if not people.get(payee_id):
            exceptions.append("no_account")
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


def add_back_pay(rows: list[dict[str, Any]], late: dict[int, dt.date], month: dt.date) -> None:
    """补发: a monthly case approved after the roster of its first month was generated was never
    on that roster. Its first line also pays each month from its start on whose roster (of its
    area or above) it is missing — at this month's amount, noted on the line and kept as a
    专项发放 of kind 补发 (``write``), so the line's amount is not read as the monthly one. A case
    paid before (a line in any month) gets none: a suspension's months are not owed."""
    rosters = defaultdict(list)
    for code, m in Roster.objects.filter(month__gte=min(late.values()), month__lt=month).values_list(
        "area_code", "month"
    ):
        rosters[m].append(prefix_of(code))
    if not rosters:
        return
    owed: dict[int, list[dt.date]] = {}
    for row in rows:
        start = late.get(row["application_id"])
        if start is None:
            continue
        area_c, m, missed = row["area_code"], start, []
        while m < month:
            if any(area_c.startswith(prefix) for prefix in rosters.get(m, ())):
                missed.append(m)
            m = add_months(m, 1)
        if missed:
            owed[row["application_id"]] = missed
    if not owed:
        return
    paid = set(RosterLine.objects.filter(application_id__in=owed).values_list("application_id", flat=True))
    stored = set(
        ScheduledPayment.objects.filter(application_id__in=owed, month=month).values_list("application_id", flat=True)
    )
    settled = paid | stored
    for row in rows:
        missed = owed.get(row["application_id"], [])
        if not missed or row["application_id"] in settled:
            continue
        text = f"补发{'、'.join(month_label(m) for m in missed)}救助金（审批晚于当月花名册生成）"
        back_pay = row["amount_fen"] * len(missed)
        row["amount_fen"] += back_pay
        row["change_note"] = f"{row['change_note']}；含{text}"[:200]
        row["back_pay"] = (back_pay, text)


def add_scheduled(rows: list[dict[str, Any]], area: Area, month: dt.date) -> None:
    """专项发放 of the month (过渡期生活救助): added to the case's line when it has one this
    month, else a line of its own — one line per case and month, so one entitlement at the
    lock and one payment at the bank's result."""
    items = list(
        ScheduledPayment.objects.filter(in_subtree("area_code", area.prefix), month=month)
        .order_by("application_id")
        .values_list("application_id", "household_id", "payee_id", "program", "area_code", "amount_fen", "note", "kind")
    )
    if not items:
        return
    by_case = {r["application_id"]: r for r in rows}
    payees = [i[2] for i in items]
    accounts = dict(Person.objects.filter(pk__in=payees).values_list("pk", "bank_account_index"))
    deaths = set(Person.objects.filter(pk__in=payees, death_date__isnull=False).values_list("pk", flat=True))
    unidentified = unidentified_payees(payees)
    sizes = dict(
        Person.objects.filter(household_id__in=[i[1] for i in items], death_date__isnull=True)
        .values("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
    )
    labels = dict(SCHEDULED_KINDS)
    for app_id, household_id, payee_id, program, area_code, amount, note, kind in items:
        text = note or labels.get(kind, kind)
        row = by_case.get(app_id)
        if row is not None:
            row["amount_fen"] += int(amount)
            row["change_note"] = f"{row['change_note']}；含{text}"[:200]
            continue
        exceptions = ["unidentified"] if payee_id in unidentified else []
        if not accounts.get(payee_id):
            exceptions.append("no_account")
        if payee_id in deaths:
            exceptions.append("deceased")
        rows.append(
            {
                "application_id": app_id,
                "household_id": household_id,
                "payee_id": payee_id,
                "program": program,
                "area_code": area_code,
                "members": int(sizes.get(household_id, 0)),
                "amount_fen": int(amount),
                "previous_fen": None,
                "basis_version": 0,
                "change": "new",
                "change_note": text[:200],
                "exceptions": exceptions,
            }
        )
