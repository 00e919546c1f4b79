"""Life events reach the payments (生命事件, DYN-7, LNK-11): a death (死亡 / 死亡注销) or a move
out of the county (迁出) in a department batch — 公安 户籍 or 民政 殡葬 — sets the registry
fact, stops or suspends the money of the family's cases, opens their review and tells the
family.

When: right after the batch's load has committed, in the job that follows every load
(``verification.tasks.after_batch_loaded`` sends ``batch_loaded``), in one transaction of its
own for the whole batch. Not inside the load's transaction: the department's file is a fact
whatever the payments side does (a roster being locked, a notice that cannot be made must not
reject the 公安 data), and the load's transaction holds a partition being written by COPY.
A failure is isolated (``after_load``: recorded, the other steps go on) and the county retries
it; this step is idempotent (one ``LifeEvent`` per person, kind and day), so nothing is lost
between the two transactions.

Set-based: one SQL query finds the batch's deaths and moves out among the county's registered
persons, one query the persons already handled, one bulk update sets the death dates, one
bulk insert keeps the events; only the cases in payment that they touch (a handful per batch)
are then stopped or suspended one by one, as every roster-line withdrawal locks its rosters.
The notices are rendered after the transaction (``notices.rendered_after``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.applications import notices
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.dates import day_label, month_label
from jiuzhu.payments import roster as roster_mod
from jiuzhu.payments.actions.benefits import close_benefit, pull_lines
from jiuzhu.payments.actions.rosters import issue_notice
from jiuzhu.payments.models import MONTHLY_PROGRAMS, Benefit, add_months, month_start
from jiuzhu.referrals.records import end_person_records
from jiuzhu.registry.models import Person
from jiuzhu.verification.effects import batch_filter, person_key_sql, rules_of
from jiuzhu.verification.models import Batch

from .actions.benefits import _suspend
from .actions.reviews import open_reviews
from .models import LifeEvent

KIND_OF_MEASURE = {"death": "death", "moved_out": "moved_out"}


@dataclass
class Outcome:
    """What one batch did: events kept, cases stopped and suspended, reviews opened."""

    events: int = 0
    deaths: int = 0
    moved_out: int = 0
    stopped: list[int] = field(default_factory=list)
    suspended: list[int] = field(default_factory=list)
    reviews: int = 0


@dataclass(frozen=True)
class _Row:
    person_id: int
    kind: str
    event_on: dt.date
    category: str
    detail: str


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def batch_events(batch: Batch) -> list[_Row]:
    """The batch's deaths and moves out among the registered persons of its county: one SQL
    query over the batch's facts joined to the registry by blind index; one row per person
    and kind (the earliest date the batch gives)."""
    rules = [r for r in rules_of(batch.source.effect) if r.kind == "status" and r.measure in KIND_OF_MEASURE]
    if not rules:
        return []
    where, params = batch_filter(batch)
    cats: set[str] = set()
    for r in rules:
        if r.categories is None:
            cats = set()
            break
        cats |= r.categories
    cat_sql = f" AND t.category IN ({', '.join(['%s'] * len(cats))})" if cats else ""
    sql = (
        "SELECT p.id, t.category, f.period_start, t.detail FROM verification_fact f "
        "JOIN verification_fact_text t ON t.batch_id = f.batch_id AND t.number = f.text_number "
        f"JOIN registry_person p ON {person_key_sql('p.id_number_index')} = f.person "
        f"WHERE {where} AND f.active = %s AND p.county_code = %s AND f.period_start IS NOT NULL{cat_sql}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [*params, True, batch.county_code, *sorted(cats)])
        rows = cur.fetchall()
    best: dict[tuple[int, str], _Row] = {}
    for person_id, category, start, detail in rows:
        for rule in rules:
            if rule.matches(category or ""):
                kind = KIND_OF_MEASURE[rule.measure]
                row = _Row(person_id, kind, _date(start), category or "", (detail or "")[:200])
                seen = best.get((person_id, kind))
                if seen is None or row.event_on < seen.event_on:
                    best[(person_id, kind)] = row
                break
    return sorted(best.values(), key=lambda r: (r.person_id, r.kind))


def _source_name(batch: Batch) -> str:
    provider = getattr(batch.source, "provider", None)
    name = batch.source.name
    return f"{provider.name}·{name}"[:100] if provider is not None else name[:100]


def apply_batch(batch: Batch, *, by: User) -> Outcome:
    """Set the registry facts of the batch's deaths and moves out and stop or suspend the money
    of the cases they touch, in one transaction; the notices follow after it. Idempotent."""
    out = Outcome()
    rows = batch_events(batch)
    if not rows:
        return out
    done = set(
        LifeEvent.objects.filter(person_id__in={r.person_id for r in rows}).values_list("person_id", "kind", "event_on")
    )
    rows = [r for r in rows if (r.person_id, r.kind, r.event_on) not in done]
    if not rows:
        return out
    source = _source_name(batch)
    with notices.rendered_after(), transaction.atomic():
        persons = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in={r.person_id for r in rows})}
        dead_now, known = [], set()
        for r in rows:
            p = persons[r.person_id]
            if r.kind == "death":
                if p.death_date is None:
                    p.death_date, p.version = r.event_on, p.version + 1
                    dead_now.append(p)
                else:
                    known.add(p.pk)
        Person.objects.bulk_update(dead_now, ["death_date", "version"], batch_size=1000)
        events = LifeEvent.objects.bulk_create(
            [
                LifeEvent(
                    person_id=r.person_id,
                    household_id=persons[r.person_id].household_id,
                    area_code=persons[r.person_id].area_code,
                    county_code=persons[r.person_id].county_code,
                    kind=r.kind,
                    event_on=r.event_on,
                    category=r.category,
                    detail=r.detail,
                    batch=batch,
                    source_name=source,
                    status="known" if (r.kind == "death" and r.person_id in known) else "no_case",
                )
                for r in rows
            ],
            batch_size=1000,
        )
        for ev in events:
            person = persons[ev.person_id]
            if ev.status != "known":
                end_person_records(person, ev.event_on)
            record(
                by,
                f"monitoring.life_event.{ev.kind}",
                person,
                area_code=person.area_code,
                changes={
                    "person": person.pk,
                    "kind": ev.kind,
                    "event_on": ev.event_on,
                    "category": ev.category,
                    "batch": batch.pk,
                    "source": batch.source.code,
                    "death_date_set": ev.kind == "death" and ev.status != "known",
                },
            )
        out.events = len(events)
        out.deaths = sum(1 for e in events if e.kind == "death")
        out.moved_out = out.events - out.deaths
        active = [e for e in events if e.status != "known"]
        _apply_to_cases(active, persons, by=by, out=out)
    return out


def _apply_to_cases(events: list[LifeEvent], persons: dict[int, Person], *, by: User, out: Outcome) -> None:
    if not events:
        return
    by_household: dict[int, list[LifeEvent]] = defaultdict(list)
    by_applicant: dict[int, list[LifeEvent]] = defaultdict(list)
    for ev in events:
        if ev.household_id:
            by_household[ev.household_id].append(ev)
        by_applicant[ev.person_id].append(ev)
    apps = list(
        Application.objects.filter(state="approved", program__in=MONTHLY_PROGRAMS)
        .filter(Q(household_id__in=list(by_household)) | Q(applicant_id__in=list(by_applicant)))
        .select_related("intake", "intake__household", "intake__applicant", "applicant")
        .order_by("pk")
    )
    for area in sorted({a.area_code for a in apps}):
        roster_mod.sync_benefits(area)
    gone_ids = {ev.person_id for ev in events}
    for app in apps:
        evs = sorted(
            {e.pk: e for e in by_household.get(app.household_id, []) + by_applicant.get(app.applicant_id, [])}.values(),
            key=lambda e: e.event_on,
        )
        benefit = Benefit.objects.select_for_update().filter(application=app).first()
        if benefit is None or benefit.status == "stopped":
            continue
        first = evs[0]
        entry = _apply_to_case(app, benefit, evs, persons, gone_ids, by=by, out=out)
        first.status = "applied"
        first.cases = [*first.cases, entry]
        first.save(update_fields=["status", "cases"])
        for other in evs[1:]:
            if other.status == "no_case":
                other.status = "applied"
                other.save(update_fields=["status"])


def _what_happened(evs: list[LifeEvent], persons: dict[int, Person]) -> str:
    """In the family's words: ``王淑兰于2027年1月3日死亡注销户籍（公安机关户籍信息）``."""
    parts = []
    for ev in evs:
        name = persons[ev.person_id].name
        if ev.kind == "death":
            parts.append(f"{name}于{day_label(ev.event_on)}死亡")
        else:
            parts.append(f"{name}于{day_label(ev.event_on)}将户籍迁出本县")
    return "，".join(parts)


def _apply_to_case(
    app: Application,
    benefit: Benefit,
    evs: list[LifeEvent],
    persons: dict[int, Person],
    gone_ids: set[int],
    *,
    by: User,
    out: Outcome,
) -> dict[str, Any]:
    """Stop the case when nobody it covers stays (a single-person household, or 特困 of the
    person who left); otherwise suspend it from the month after the event and open its review.
    Months already at the bank after the event are kept for 追回."""
    first = evs[0]
    what = _what_happened(evs, persons)
    note = f"{what}（{first.source_name}）"
    after = add_months(month_start(first.event_on), 1)
    remaining = (
        Person.objects.filter(household_id=benefit.household_id, death_date__isnull=True)
        .exclude(pk__in=gone_ids)
        .exists()
    )
    covered_left = app.applicant_id in gone_ids or benefit.payee_id in gone_ids
    entry: dict[str, Any] = {"application": app.pk, "number": app.number, "program": app.program}
    if not remaining or (app.program == "tekun" and covered_left):
        reason = "death" if first.kind == "death" else "moved"
        last, pulled = close_benefit(
            app,
            benefit,
            by=by,
            reason=reason,
            note=note,
            last_month=max(month_start(first.event_on), add_months(benefit.start_month, -1)),
        )
        record(
            by,
            "payments.benefit.stop",
            app,
            changes={"reason": reason, "note": note, "last_month": last, "source": "life_event", **pulled.changes()},
        )
        entry.update(action="stop", from_month=add_months(last, 1).isoformat()[:7])
        _after_stop(app, first, what, reason=reason, last=last, by=by)
        out.stopped.append(app.pk)
    else:
        payee_died = any(e.kind == "death" and e.person_id == benefit.payee_id for e in evs)
        if benefit.status == "suspended":
            pulled = pull_lines(app.pk, by=by, from_month=after, reason=f"暂停发放（{what}）")
            since = benefit.suspended_from or after
        else:
            pulled = _suspend(
                by, app, benefit, reason="payee_died" if payee_died else "other", note=note, from_month=after
            )
            since = benefit.suspended_from or after
        kind = "death" if first.kind == "death" else "data"
        review_reason = (
            f"部门数据显示{what}，已自{month_label(since)}起暂停发放，请入户核实家庭人口和收入后作出复核结论"
        )
        out.reviews += open_reviews([app.pk], kind, review_reason, timezone.localdate(), by=by)
        entry.update(action="suspend", from_month=since.isoformat()[:7])
        _after_suspend(app, first, what, since=since, payee_died=payee_died, by=by)
        out.suspended.append(app.pk)
    entry["recover_months"] = [m.isoformat()[:7] for m in pulled.exported if m >= after]
    entry["withdrawn_months"] = [m.isoformat()[:7] for m in pulled.withdrawn]
    return entry


def _note_event(event_id: int, app_id: int, number: str, title: str, *, by: User) -> None:
    """The notice's number on the event's case entry, and its audit row."""
    with transaction.atomic():
        ev = LifeEvent.objects.select_for_update().get(pk=event_id)
        ev.cases = [{**c, "notice": number} if c.get("application") == app_id else c for c in ev.cases]
        ev.save(update_fields=["cases"])
        app = Application.objects.get(pk=app_id)
        record(by, "monitoring.life_event.notice", app, changes={"event": event_id, "notice": number, "title": title})


def _notice_after(app: Application, ev: LifeEvent, kind: str, month: dt.date, *, by: User, **context: Any) -> None:
    """A notice of the case through payments' ``issue_notice`` (numbered in the county's
    sequence, signed, archived, once per case, kind and month, listed on the family's ``/my/``
    page), rendered after the transaction; addressed to the family when the applicant died
    (every notice's head does that: ``applications/notices/_head.html``)."""
    app_id, event_id = app.pk, ev.pk

    def work() -> None:
        case = Application.objects.select_related("intake", "intake__household", "intake__applicant").get(pk=app_id)
        with transaction.atomic():
            notice = issue_notice(case, kind, month, by=by, **context)
        _note_event(event_id, app_id, notice.number, notice.get_kind_display(), by=by)

    notices.after(work)


def _after_stop(app: Application, ev: LifeEvent, what: str, *, reason: str, last: dt.date, by: User) -> None:
    """The 救助金停发告知书 (notice kind ``stop``)."""
    first = add_months(last, 1)
    _notice_after(
        app,
        ev,
        "stop",
        first,
        by=by,
        reason=what,
        note="以上情况由部门共享数据核实。",
        effective_month=first,
        last_month=last,
        recovery_fen=0,
    )


def _after_suspend(app: Application, ev: LifeEvent, what: str, *, since: dt.date, payee_died: bool, by: User) -> None:
    """The 救助金暂停发放告知书 (notice kind ``suspend``, mark 暂)."""
    _notice_after(app, ev, "suspend", since, by=by, what=what, since=since, payee_died=payee_died)
