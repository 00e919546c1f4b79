"""现场发现报告 → 核查任务, and 身份认定 → the temporary record merged (issue 17 item 4).

A report of a person with an ID (or once matched) becomes a 预警 of the county's disabled rule
``field_report`` (网格员发现, never run by the nightly evaluation) and its 核查任务 for the
village of the person's address — the same warning → task → closure as any other, so the
deadline (``monitoring.task_days``), the outcomes (applied opens the prefilled intake, INT-11)
and escalation are shared, and the yield page counts field reports as their own source
(``facts[0].source == "field_report"``). Why a Warning and not a nullable ``GridTask.warning``:
docs/decisions.md, "Field reports become warnings of a rule".

``merge_temporary``: the registry record under the 临时编号 (INT-24) is merged into the real
person: the cases, their intakes, documents, referrals, the recipients register, the benefit
register and the 专项发放 of unlocked months follow (the roster holds a payee under a 临时编号
as an exception, never in a bank file); the ledger and the reserve passbook are append-only
and keep the temporary record they were booked against (``Person.merged_into`` leads from it
to the real person).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from jiuzhu.accounts.models import User
from jiuzhu.applications.models import Application, Intake
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.payments.models import Benefit, RosterLine, ScheduledPayment
from jiuzhu.referrals.models import AssistanceRecord, Referral
from jiuzhu.registry.actions import retire_merged
from jiuzhu.registry.models import Document, Person

from .models import FieldReport, GridTask, MonitoringRule, Warning
from .warnings import kept_rule, task_days

FIELD_RULE = "field_report"  # 网格员发现
FIELD_SOURCE = "field_report"
FIELD_SOURCE_NAME = "网格员现场发现"


def field_rule(county: str, by: User) -> MonitoringRule:
    """The county's rule behind field-report tasks; disabled, so the nightly run never runs it."""
    return kept_rule(
        county,
        FIELD_RULE,
        by,
        name="网格员现场发现",
        reason="网格员、村协理员现场发现生活困难人员，核查是否符合救助条件",
        status="field_report",
        source="现场发现报告（DIS-5）",
    )


def open_report_task(report: FieldReport, person: Person, *, by: User, on: dt.date) -> GridTask | None:
    """The report's 预警 and 核查任务 for the village of the person's household (in the caller's
    transaction). ``None`` when the household already has an unclosed task: it is worked there."""
    if person.household_id is None:
        return None
    household = person.household
    assert household is not None
    if GridTask.objects.filter(household_id=household.pk).unclosed().exists():
        return None
    county = household.county_code
    rule = field_rule(county, by)
    period = f"{on:%Y-%m}"
    if Warning.objects.filter(rule=rule, person=person, period=period).exists():
        return None  # reported and worked this month already
    note = f"{report.place}：{report.situation}"[:200]
    warning = Warning.objects.create(
        rule=rule,
        person=person,
        household=household,
        area_code=household.area_id,
        county_code=county,
        level="red" if report.urgency == "critical" else rule.level,
        program=rule.program,
        reason=f"{rule.name}：{note}"[:300],
        facts=[
            {
                "source": FIELD_SOURCE,
                "source_name": FIELD_SOURCE_NAME,
                "label": f"现场发现报告#{report.pk}",
                "value": report.needs or report.situation[:100],
            }
        ],
        period=period,
        status="tasked",
    )
    task = GridTask.objects.create(
        warning=warning,
        household=household,
        person=person,
        area_code=household.area_id,
        county_code=county,
        due_on=current_calendar().add_working_days(on, task_days(county, on)),
    )
    record(
        by,
        "monitoring.field_report.task",
        task,
        area_code=task.area_code,
        changes={"field_report": report.pk, "person_name": person.name, "due_on": task.due_on},
    )
    return task


def merge_temporary(temp: Person, real: Person, *, by: User) -> dict[str, Any]:
    """并入本人档案 (INT-24): the temporary record's cases follow the real person."""
    if not temp.temp_number:
        raise DomainError("not_temporary", "只有临时登记的身份不明人员才能并入本人档案")
    if real.household_id is None:
        raise DomainError("no_household", f"{real.name}尚未登记到家庭，请先在一户一档中登记其家庭，再认定身份")
    if real.death_date is not None:
        raise DomainError("person_dead", "该身份证号码的人员已登记死亡，不能认定为本人")
    old_household = temp.household_id
    home = real.household
    assert home is not None
    with transaction.atomic():
        moved = {
            "applications": Application.objects.filter(applicant=temp).update(
                applicant=real, household_id=real.household_id
            ),
            "intakes": Intake.objects.filter(applicant=temp).update(applicant=real, household_id=real.household_id),
            "documents": Document.objects.filter(household_id=old_household).update(
                household_id=real.household_id, person=real, area_code=home.area_id
            )
            if old_household
            else 0,
            "referrals": Referral.objects.filter(household_id=old_household).update(household_id=real.household_id)
            if old_household
            else 0,
            "records": AssistanceRecord.objects.filter(person=temp).update(
                person=real,
                household_id=real.household_id,
                id_number_index=real.id_number_index,
                id_number_masked=real.id_number_masked,
                name=real.name,
            ),
        }
        # the money follows too (INT-24): the benefit register and the 专项发放 of months whose
        # roster is not locked yet name the real person, so the next roster pays him normally;
        # lines already locked keep the temporary record (held there as 临时编号人员)
        moved["benefits"] = Benefit.objects.filter(payee=temp).update(payee=real, household_id=real.household_id)
        locked_line = RosterLine.objects.filter(
            application_id=OuterRef("application_id"),
            month=OuterRef("month"),
            roster__status__in=("locked", "exported", "settled"),
        )
        moved["scheduled"] = (
            ScheduledPayment.objects.filter(payee=temp)
            .exclude(Exists(locked_line))
            .update(payee=real, household_id=real.household_id)
        )
        FieldReport.objects.filter(temp_person=temp).update(person=real)
        retire_merged(temp, real, by=by)
        record(
            by,
            "monitoring.field_report.merge",
            real,
            area_code=real.area_code,
            changes={"temp_number": temp.temp_number, **moved},
        )
    return moved
