"""批量先行救助 as a job (WF-12, PRG-12; issue 19 item 3's recovering jobs): asking checks the
reserves and fixes the households; the job (``run_relief``, in the task worker) opens and pays
one 急难型临时救助 case per household — each household in its own transaction, its three
notices rendered after that commit — under a heartbeat, with its progress on the row. A killed
worker is found dead (``recover_reliefs``) and the job marked failed with the reason; ``retry``
relieves the households still without a case. A household already relieved is never paid twice:
its row is locked and its ``application`` checked in the transaction that would pay it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import system_user, user_or_none
from jiuzhu.applications import actions as case_actions
from jiuzhu.applications import notices
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record, record_job_death
from jiuzhu.core import jobs
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.masking import mask_name
from jiuzhu.core.money import format_yuan
from jiuzhu.funds.actions import reserve_balance
from jiuzhu.funds.models import ReserveFund
from jiuzhu.registry.models import Household, Person

from ..models import Emergency, EmergencyHousehold, EmergencyRelief
from ._common import CASE_EVENT, _active, _visible


def _applicant(household: Household) -> Person:
    members: list[Person] = list(
        Person.objects.filter(household=household, death_date__isnull=True).order_by("relation_order", "id")
    )
    if not members:
        raise DomainError("no_member", f"受灾户{household.pk}没有在世成员，不能先行救助")
    return next((m for m in members if m.relation == "self"), members[0])


def _check_reserves(emergency: Emergency, pending: list[EmergencyHousehold]) -> None:
    """All or nothing: a town whose 备用金 cannot cover its households refuses the whole batch
    before anything is written."""
    by_town: dict[str, int] = {}
    for row in pending:
        by_town[row.area_code[:9] + "000"] = by_town.get(row.area_code[:9] + "000", 0) + 1
    for town, count in sorted(by_town.items()):
        fund = ReserveFund.objects.filter(area_code=town).first()
        town_name = Area.objects.filter(code=town).values_list("name", flat=True).first() or town
        if fund is None:
            raise DomainError("reserve_missing", f"{town_name}尚未设立临时救助备用金，不能先行救助")
        need, have = count * emergency.advance_fen, reserve_balance(fund)
        if have < need:
            raise DomainError(
                "reserve_insufficient",
                f"{town_name}临时救助备用金余额不足：当前余额{format_yuan(have)}，本次{count}户先行救助共需"
                f"{format_yuan(need)}。请联系县民政局拨付备用金后再办理",
            )


def _scope_code(by: User) -> str:
    area = getattr(by, "area", None)
    return area.code if area is not None else ""


def recover_reliefs(scope: Any = None) -> list[int]:
    """Relief jobs whose worker died are marked failed with the reason (and audited)."""
    return jobs.reap(EmergencyRelief, scope=scope, audit=record_job_death)


def request_relief(emergency: Emergency, *, by: User, limit: int = 0) -> EmergencyRelief:
    """批量先行救助 (WF-12, PRG-12): every listed household of the actor's jurisdiction not yet
    relieved is to get a 急难型临时救助 case paid the period's amount from its town's 备用金
    within 24 hours, with 补办登记 due in the county's working days. The reserves are checked
    now (a short town refuses the whole request, nothing written); the job does the paying.
    ``limit`` > 0 takes at most that many households (in list order). An open job of the same
    jurisdiction is returned instead of a second one."""
    if limit < 0:
        raise InvalidInput("invalid_limit", "每批户数不能为负数", field="limit")
    require(by, "applications.intake")
    require(by, "payments.reserve")
    _visible(emergency, by)
    _active(emergency)
    area_code = _scope_code(by)
    recover_reliefs(EmergencyRelief.objects.filter(emergency=emergency, area_code=area_code))
    with transaction.atomic():
        Emergency.objects.select_for_update().get(pk=emergency.pk)  # one request at a time per period
        open_job: EmergencyRelief | None = EmergencyRelief.objects.filter(
            emergency=emergency, area_code=area_code, status__in=("queued", "running")
        ).first()
        if open_job is not None:
            return open_job
        pending = list(
            EmergencyHousehold.objects.visible_to(by)
            .filter(emergency=emergency, application__isnull=True)
            .order_by("area_code", "household_id")
        )
        if limit:
            pending = pending[:limit]
        if not pending:
            raise DomainError("nothing_to_relieve", "名单中没有待先行救助的受灾户（请先导入受灾人员名单）")
        _check_reserves(emergency, pending)
        job = EmergencyRelief.objects.create(
            emergency=emergency,
            area_code=area_code,
            households=[r.pk for r in pending],
            total=len(pending),
            requested_by=user_or_none(by),
        )
        record(
            by,
            "monitoring.emergency.relieve_request",
            job,
            area_code=area_code,
            changes={"emergency": emergency.pk, "households": len(pending), "amount_fen": 0},
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from ..tasks import emergency_relief_task

    emergency_relief_task.enqueue(job_id)


def retry_relief(job: EmergencyRelief, *, by: User) -> EmergencyRelief:
    """重试: queue a failed job again; it relieves only its households still without a case."""
    require(by, "applications.intake")
    require(by, "payments.reserve")
    _visible(job.emergency, by)
    _active(job.emergency)
    return jobs.retry(
        job,
        recover=recover_reliefs,
        reset={"status": "queued", "error": "", "finished_at": None, "done": 0},
        audit=lambda locked: record(
            by,
            "monitoring.emergency.relieve_retry",
            locked,
            area_code=locked.area_code,
            changes={"job": locked.pk, "attempts": locked.attempts, "relieved": locked.relieved},
        ),
        code="relief_not_failed",
        enqueue=_enqueue,
    )


def _relieve_one(job: EmergencyRelief, emergency: Emergency, row_id: int, by: User) -> None:
    """One household in one transaction: the case, the reserve draw and ledger (``advance_pay``),
    the row and the job's counts; its notices are rendered once this has committed."""
    with notices.rendered_after(), transaction.atomic():
        row = EmergencyHousehold.objects.select_for_update().select_related("household").get(pk=row_id)
        if row.application_id is not None:  # relieved already (an earlier attempt or another job)
            EmergencyRelief.objects.filter(pk=job.pk).update(done=F("done") + 1)
            return
        household = row.household
        try:
            intake = case_actions.intake(
                case_actions.IntakeRequest(
                    household=household,
                    applicant=_applicant(household),
                    programs=["temporary"],
                    temporary_kind="emergency",
                    emergency_event=CASE_EVENT[emergency.kind],
                    documents_provided=["急难事由说明"],
                    remarks=f"应急期批量先行救助：{emergency.name}",
                ),
                by=by,
            )
            app = intake.applications.get()
            case_actions.advance_pay(
                app, by=by, amount_fen=emergency.advance_fen, note=f"{emergency.name}应急期24小时内先行救助"
            )
        except DomainError as exc:
            raise DomainError(exc.code, f"受灾户（户主{mask_name(household.head_name)}）：{exc.message}") from exc
        row.application, row.advance_fen, row.relieved_at = app, emergency.advance_fen, timezone.now()
        row.save(update_fields=["application", "advance_fen", "relieved_at"])
        EmergencyRelief.objects.filter(pk=job.pk).update(
            done=F("done") + 1, relieved=F("relieved") + 1, amount_fen=F("amount_fen") + emergency.advance_fen
        )


def run_relief(job_id: int) -> EmergencyRelief:
    """The job: relieve the job's households one by one under its heartbeat."""
    job: EmergencyRelief = EmergencyRelief.objects.select_related("emergency", "requested_by").get(pk=job_id)
    if job.status == "done":
        return job
    by: User = job.requested_by or system_user("系统（应急先行救助）")
    jobs.claim(EmergencyRelief, job.pk, done=0)

    def work() -> None:
        _active(job.emergency)
        for row_id in job.households:
            _relieve_one(job, job.emergency, int(row_id), by)
        with transaction.atomic():  # done and its audit row together
            job.refresh_from_db()
            EmergencyRelief.objects.filter(pk=job.pk).update(status="done", finished_at=timezone.now())
            record(
                by,
                "monitoring.emergency.relieve",
                job.emergency,
                area_code=job.emergency.area_code,
                changes={"households": job.relieved, "amount_fen": job.amount_fen},
            )

    jobs.run(EmergencyRelief, job.pk, work, crashed="先行救助中断：{error}，可点击“重试”继续")
    job.refresh_from_db()
    return job


def pay_advance_relief(emergency: Emergency, *, by: User, limit: int = 0) -> list[EmergencyHousehold]:
    """Ask for a relief job and run it in this process now (the demo, scripts and tests): the
    rows it relieved, or the job's failure as a ``DomainError``."""
    job = request_relief(emergency, by=by, limit=limit)
    job = run_relief(job.pk)
    if job.status != "done":
        raise DomainError("relief_failed", job.error or "先行救助未完成，可重试")
    return list(
        EmergencyHousehold.objects.filter(pk__in=job.households, application__isnull=False).order_by(
            "area_code", "household_id"
        )
    )
