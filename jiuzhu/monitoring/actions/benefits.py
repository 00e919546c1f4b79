"""待遇 decisions of dynamic management (DYN-4 … DYN-7): a death recorded in the 一户一档, 暂停发放
and 恢复发放. What they do to the rosters (withdrawing and restoring lines, the ledger, the
停发告知书) is payments' own machinery (``jiuzhu.payments.actions.benefits``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.dates import day_label, month_label
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.payments import roster as roster_mod
from jiuzhu.payments.actions._common import _today, parse_month
from jiuzhu.payments.actions.benefits import (
    SUSPEND_REASON_LABELS,
    Pulled,
    end_benefit,
    lock_benefit,
    pull_lines,
    restore_lines,
)
from jiuzhu.payments.models import MONTHLY_PROGRAMS, Benefit, add_months, month_start
from jiuzhu.referrals.records import end_case_records, end_person_records, reopen_case_records
from jiuzhu.registry.models import Person

from .reviews import open_reviews


def record_death(person: Person, *, by: User) -> None:
    """A death in the 一户一档 (DYN-7), in the recording transaction: the person's rows of the
    register end that day; a benefit paid to him or her stops after the month of death when
    nobody else is covered (or it is 特困), else it is suspended (暂停发放) until the county
    names a new payee; every benefit of the family gets a review task."""
    died = person.death_date
    if died is None:
        return
    end_person_records(person, died)
    after = add_months(month_start(died), 1)
    apps = Application.objects.filter(state="approved", program__in=MONTHLY_PROGRAMS).filter(
        Q(applicant=person) | Q(household_id=person.household_id) if person.household_id else Q(applicant=person)
    )
    for app in apps.select_related("intake"):
        roster_mod.sync_benefits(app.area_code)
        benefit = Benefit.objects.select_for_update().filter(application=app).first()
        if benefit is None or benefit.status == "stopped":
            continue
        note = f"{person.name}于{day_label(died)}死亡"
        if benefit.payee_id == person.pk:
            survivors = (
                Person.objects.filter(household_id=benefit.household_id, death_date__isnull=True)
                .exclude(pk=person.pk)
                .exists()
            )
            if app.program == "tekun" or not survivors:
                last = max(month_start(died), add_months(benefit.start_month, -1))
                _, pulled = end_benefit(app, benefit, by=by, reason="death", note=note, last_month=last)
                changes = {"reason": "death", "note": note, "last_month": last, **pulled.changes()}
                record(by, "payments.benefit.stop", app, changes=changes)
                continue
            if benefit.status == "suspended":
                pull_lines(app.pk, by=by, from_month=after, reason="领款人死亡")
            else:
                _suspend(by, app, benefit, reason="payee_died", note=note, from_month=after)
        open_reviews([app.pk], "death", f"家庭成员死亡：{note}", _today(), by=by)


def _suspend(by: User, app: Application, benefit: Benefit, *, reason: str, note: str, from_month: dt.date) -> Pulled:
    if benefit.status == "stopped":
        raise DomainError("benefit_stopped", "该案件已停发")
    if benefit.status == "suspended":
        raise DomainError("already_suspended", f"该案件已自{month_label(benefit.suspended_from)}起暂停发放")
    from_month = max(from_month, benefit.start_month)
    if benefit.end_month is not None and from_month > benefit.end_month:
        raise InvalidInput("invalid_month", "暂停月份晚于最后发放月份，无需暂停", field="from_month")
    benefit.status, benefit.suspended_from = "suspended", from_month
    benefit.suspend_reason, benefit.suspend_note = reason, note.strip()[:200]
    benefit.save()
    pulled = pull_lines(app.pk, by=by, from_month=from_month, reason=f"暂停发放（{SUSPEND_REASON_LABELS[reason]}）")
    end_case_records(app, from_month - dt.timedelta(days=1))
    record(
        by,
        "payments.benefit.suspend",
        app,
        changes={"reason": reason, "note": note, "from_month": from_month, **pulled.changes()},
    )
    benefit.pulled = pulled
    return pulled


def suspend_benefit(application: Application, *, by: User, reason: str, note: str, from_month: Any = None) -> Benefit:
    """暂停发放 from a month (default: this month), e.g. when the person cannot be reached or
    does not come to the review: the unexported lines are withdrawn, the family leaves the
    active register, and payment waits for 恢复发放 or 停发."""
    require(by, "payments.decide")
    require_in_scope(by=by, area_code=application.area_code)
    if reason not in SUSPEND_REASON_LABELS:
        raise InvalidInput("invalid_choice", "暂停原因无效", field="reason")
    if not (note or "").strip():
        raise InvalidInput("required", "请填写暂停发放情况说明", field="note")
    first = parse_month(from_month, "from_month") if from_month else month_start(_today())
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        benefit = lock_benefit(app)
        _suspend(by, app, benefit, reason=reason, note=note, from_month=first)
    return benefit


def resume_benefit(application: Application, *, by: User, note: str, payee_id: int | None = None) -> Benefit:
    """恢复发放: the suspension is lifted; the lines it withdrew go back to their rosters (the
    months whose roster was made during the suspension have no line and are not paid). After
    the payee's death another living member of the family is named payee."""
    require(by, "payments.decide")
    require_in_scope(by=by, area_code=application.area_code)
    if not (note or "").strip():
        raise InvalidInput("required", "请填写恢复发放情况说明", field="note")
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        benefit = lock_benefit(app)
        if benefit.status != "suspended":
            raise DomainError("not_suspended", "该案件未暂停发放")
        if payee_id is not None:
            payee = Person.objects.filter(
                pk=payee_id, household_id=benefit.household_id, death_date__isnull=True
            ).first()
            if payee is None:
                raise InvalidInput("invalid_person", "领款人须为该家庭在世的成员", field="payee_id")
            benefit.payee = payee
        if Person.objects.filter(pk=benefit.payee_id, death_date__isnull=False).exists():
            raise DomainError("payee_deceased", "领款人已死亡：请指定家庭中另一名成员为领款人后恢复发放")
        restored = restore_lines(app, benefit, note.strip(), by=by)
        gradual = benefit.gradual_amount_fen is not None and benefit.stop_reason == "gradual_end"
        since = benefit.suspended_from
        benefit.status = "gradual" if gradual else "active"
        benefit.suspended_from, benefit.suspend_reason, benefit.suspend_note = None, "", ""
        benefit.save()
        reopen_case_records(app)
        record(
            by,
            "payments.benefit.resume",
            app,
            changes={
                "note": note,
                "suspended_from": since,
                "payee": benefit.payee_id,
                "restored_months": [m.isoformat()[:7] for m in restored],
            },
        )
    return benefit
