"""State changes of 一体联动: 派单, the department's handling, feedback into 两库 (LNK-1…LNK-6)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import user_or_none
from jiuzhu.applications.notices import next_sequence
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.core.masking import mask_name
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs.models import AssistanceProgram
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.pii import unseal

from .conditions import context_for, matching_programs
from .models import AssistanceRecord, Referral, ReferralPolicy

DEFAULT_DAYS = 10
FACT_FIELDS = {  # what each department needs to know (minimum necessary)
    "education_assistance": ("school_status",),
    "medical_major_illness": ("health_status",),
    "rehabilitation_assistance": ("disability_category", "disability_grade"),
    "disability_living_subsidy": ("disability_category", "disability_grade"),
    "disability_care_subsidy": ("disability_category", "disability_grade"),
    "employment_assistance": ("employment_status", "labour_capacity"),
    "zero_employment_family": ("employment_status", "labour_capacity"),
}


@dataclass(frozen=True)
class Skipped:
    program: str
    message: str


@dataclass(frozen=True)
class Offer:
    """Whether a program can be referred for a county, and how: ``online`` to a department
    with an active staff account; ``paper`` (线下转办) to an office without one, with the
    reason; ``off`` when the county switched the program's referrals off."""

    program: AssistanceProgram
    channel: str
    department: Department | None
    office: str
    note: str


def offer(program: AssistanceProgram, county_code: str) -> Offer:
    policy = _policy(program, county_code)
    if policy is not None and not policy.enabled:
        return Offer(program, "off", None, "", f"本县已停用“{program.name}”的派单，请线下办理或联系县民政局")
    department = Department.objects.filter(area_id=county_code.ljust(12, "0"), code=program.department_code).first()
    if department is None:
        county = Area.objects.filter(code=county_code.ljust(12, "0")).values_list("name", flat=True).first() or ""
        office = f"{county}{program.department_name}"
        return Offer(program, "paper", None, office[:64], f"本县未设置{program.department_name}，不能系统派单")
    if not User.objects.filter(department=department, is_active=True, role="department").exists():
        return Offer(program, "paper", department, department.name[:64], f"{department.name}尚无办理人员账号")
    return Offer(program, "online", department, department.name[:64], "")


PAPER_HINT = "可改为“线下转办”：打印转办单送达，对方回复后由经办人员登记结果"


def _department(program: AssistanceProgram, county_code: str) -> Department:
    found = offer(program, county_code)
    if found.channel == "paper" and found.department is None:
        raise DomainError("department_missing", f"{found.note}；{PAPER_HINT}")
    if found.channel == "paper":
        raise DomainError(
            "department_without_users",
            f"{found.note}，“{program.name}”无法系统派单；{PAPER_HINT}，或联系系统管理员开通账号",
        )
    assert found.department is not None
    return found.department


def referral_options(household: Household) -> list[Offer]:
    """What the 人工派单 list may offer this family: every active program that is referred to
    a department (not the ones a family applies for, such as 低保 or 特困), online where it can
    be received, else on paper; programs switched off are left out."""
    programs = AssistanceProgram.objects.filter(is_active=True, engine_program="").exclude(
        code__in=("tekun_centralized", "tekun_dispersed", "tekun_selfcare_assessment", "tekun_social_custody")
    )
    out = [offer(p, household.county_code) for p in programs.order_by("layer", "id")]
    return [o for o in out if o.channel != "off"]


def _policy(program: AssistanceProgram, county_code: str) -> ReferralPolicy | None:
    return ReferralPolicy.objects.filter(county_code=county_code, program=program).first()


def minimum_facts(household: Household, program_code: str, reasons: list[str]) -> dict[str, Any]:
    """What the department sees: masked identities, ages and the facts its program needs."""
    extra = FACT_FIELDS.get(program_code, ())
    today = timezone.localdate()
    members = []
    for m in household.current_members().filter(death_date__isnull=True):
        row: dict[str, Any] = {
            "person_id": m.pk,
            "name": mask_name(m.name),
            "id_number_masked": m.id_number_masked,
            "relation": m.get_relation_display(),
            "age": m.age_on(today),
        }
        for key in extra:
            value = getattr(m, key)
            display = getattr(m, f"get_{key}_display", None)
            row[key] = display() if display and value not in (None, "") else value
        members.append(row)
    return {
        "household": {
            "head": mask_name(household.head_name),
            "address": household.address,
            "area": household.area.full_name(),
            "urban_rural": household.get_urban_rural_display(),
        },
        "members": members,
        "reasons": reasons,
    }


def refer(
    by: Any,
    household: Household,
    program_code: str,
    *,
    reason: str,
    application: Any = None,
    origin: str = "manual",
    channel: str = "online",
) -> Referral:
    """派单 to the department that runs ``program_code`` (LNK-1, LNK-4). ``channel="paper"``
    (线下转办) refers to an office without a staff account: the town prints the 转办单 and
    records the reply by hand (``record_reply``)."""
    require(by, "referrals.create")
    if channel not in ("online", "paper"):
        raise InvalidInput("invalid_choice", "办理方式应为系统派单（online）或线下转办（paper）", field="channel")
    program = AssistanceProgram.objects.filter(code=program_code, is_active=True).first()
    if program is None:
        raise InvalidInput("unknown_program", f"救助项目库中没有启用的项目“{program_code}”", field="program")
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写派单事由", field="reason")
    county = household.county_code
    policy = _policy(program, county)
    found = offer(program, county)
    if found.channel == "off":
        raise DomainError("program_switched_off", found.note)
    if channel == "online":
        department: Department | None = _department(program, county)
        office = department.name[:64] if department else ""
    else:
        department, office = found.department, found.office
    with transaction.atomic():
        existing = Referral.objects.select_for_update().filter(household=household, program=program).open().first()
        if existing is not None:
            raise DomainError(
                "duplicate_referral",
                f"该家庭已有在办的“{program.name}”派单（{existing.number}，{existing.get_status_display()}）",
            )
        days = policy.days if policy else DEFAULT_DAYS
        referral = Referral.objects.create(
            number=f"PD{county}-{timezone.localdate():%Y}-{next_sequence(county, 'referral'):06d}",
            household=household,
            application=application,
            program=program,
            department=department,
            channel=channel,
            office=office,
            area_code=household.area_id,
            county_code=county,
            reason=reason.strip(),
            origin=origin,
            facts=minimum_facts(household, program.code, [reason.strip()]),
            due_on=current_calendar().add_working_days(timezone.localdate(), days),
            created_by=user_or_none(by),
        )
        record(
            by,
            "referrals.create",
            referral,
            changes={
                "number": referral.number,
                "program": program.code,
                "department": department.code if department else None,
                "channel": channel,
                "office": office,
                "household": household.pk,
                "application": getattr(application, "pk", None),
                "due_on": referral.due_on,
            },
        )
    return referral


def refer_after_approval(by: Any, application: Any) -> tuple[list[Referral], list[Skipped]]:
    """多事一流程 (LNK-4): a 低保/特困 approval refers the family to every department program it
    now qualifies for. Runs inside the approval's transaction; a program that cannot be
    referred (no department account, switched off, already open) is reported, not fatal."""
    ctx = context_for(application.household, {application.program})
    created, skipped = [], []
    for code, reasons in matching_programs(ctx).items():
        try:
            with transaction.atomic():
                created.append(
                    refer(
                        by,
                        application.household,
                        code,
                        reason="；".join(reasons),
                        application=application,
                        origin="auto",
                    )
                )
        except DomainError as exc:
            skipped.append(Skipped(code, exc.message))
    return created, skipped


def _begin(by: Any, referral: Referral, *, department_side: bool) -> Referral:
    ref = Referral.objects.select_for_update().select_related("program").get(pk=referral.pk)
    if department_side:
        require(by, "referrals.handle")
        if not by.is_superuser and (by.department_id != ref.department_id or ref.channel != "online"):
            raise NotFound("not_found", "派单不存在或不属于本部门")
    else:
        require(by, "referrals.create")
    if ref.is_closed:
        raise DomainError("referral_closed", f"派单{ref.number}已{ref.get_status_display()}，不能再办理")
    return ref


def _save(by: Any, ref: Referral, action: str, changes: dict[str, Any]) -> Referral:
    ref.version += 1
    ref.save()
    record(by, f"referrals.{action}", ref, changes={"number": ref.number, "status": ref.status, **changes})
    return ref


def accept(by: Any, referral: Referral) -> Referral:
    """接收: the department takes the referral on."""
    with transaction.atomic():
        ref = _begin(by, referral, department_side=True)
        if ref.status != "open":
            raise DomainError("invalid_state", f"派单当前为“{ref.get_status_display()}”，不能接收")
        ref.status, ref.accepted_at, ref.handled_by = "accepted", timezone.now(), by
        return _save(by, ref, "accept", {})


def request_info(by: Any, referral: Referral, *, question: str) -> Referral:
    """补充信息: the department asks the town for what it still needs."""
    if not (question or "").strip():
        raise InvalidInput("required", "请写明需要补充的信息", field="question")
    with transaction.atomic():
        ref = _begin(by, referral, department_side=True)
        ref.status, ref.info_request, ref.handled_by = "info_requested", question.strip(), by
        ref.accepted_at = ref.accepted_at or timezone.now()
        return _save(by, ref, "request_info", {"question": question})


def reply_info(by: Any, referral: Referral, *, answer: str) -> Referral:
    """The town answers the department's question; the referral is back with the department."""
    if not (answer or "").strip():
        raise InvalidInput("required", "请填写补充的信息", field="answer")
    with transaction.atomic():
        ref = _begin(by, referral, department_side=False)
        if ref.status != "info_requested":
            raise DomainError("invalid_state", "部门未要求补充信息")
        ref.status, ref.info_reply = "accepted", answer.strip()
        return _save(by, ref, "reply_info", {"answer": answer})


@dataclass(frozen=True)
class Recipient:
    person_id: int
    amount_fen: int


def _recipients(
    ref: Referral, amount_fen: int | None, person_ids: list[int] | None, recipients: list[Any] | None
) -> list[Recipient]:
    """Who the help is for, and how much is each one's own (issue 14 item 6: never the same
    amount copied onto every member). A household program's help is the household's: one
    record for the holder (the case's applicant or the head) with the whole amount. A person
    program names its recipients, each with his or her own amount; one named person may take
    ``amount_fen``; with several listed members and nobody named the department must say who."""
    listed = [m["person_id"] for m in ref.facts.get("members", [])]
    if ref.program.benefit_unit == "household":
        holder = ref.application.applicant_id if ref.application is not None else None
        if holder not in listed:
            heads = [m["person_id"] for m in ref.facts.get("members", []) if m.get("relation") == "本人（户主）"]
            holder = heads[0] if heads else (listed[0] if listed else None)
        if holder is None:
            raise InvalidInput("invalid_person", "派单未列家庭成员，无法登记救助结果", field="recipients")
        return [Recipient(holder, amount_fen or 0)]
    out: list[Recipient] = []
    if recipients:
        for i, raw in enumerate(recipients):
            row: Any = raw if isinstance(raw, dict) else getattr(raw, "__dict__", {})
            try:
                person, amount = int(row.get("person_id")), int(row.get("amount_fen") or 0)
            except (TypeError, ValueError):
                raise InvalidInput("invalid_person", f"第{i + 1}名受助人员的信息不完整", field="recipients") from None
            if amount < 0:
                raise InvalidInput("invalid_amount", "金额不能为负数", field="recipients")
            out.append(Recipient(person, amount))
    elif person_ids and len(person_ids) == 1:
        out = [Recipient(person_ids[0], amount_fen or 0)]
    elif not person_ids and len(listed) == 1:
        out = [Recipient(listed[0], amount_fen or 0)]
    elif person_ids:
        raise InvalidInput(
            "recipients_required",
            f"“{ref.program.name}”救助到人：多人受助时请逐人填写本人金额，同一笔金额不能记在每名成员名下",
            field="recipients",
        )
    else:
        raise InvalidInput(
            "recipients_required", f"“{ref.program.name}”救助到人：请选择受助人员并填写其本人金额", field="recipients"
        )
    if not out:
        raise InvalidInput("recipients_required", "请至少填写一名受助人员", field="recipients")
    people = [r.person_id for r in out]
    if len(set(people)) != len(people):
        raise InvalidInput("invalid_person", "同一受助人员只能填写一次", field="recipients")
    if not set(people) <= set(listed):
        raise InvalidInput("invalid_person", "受助人员须为派单所列家庭成员", field="recipients")
    return out


def decide(
    by: Any,
    referral: Referral,
    *,
    granted: bool,
    note: str,
    amount_fen: int | None = None,
    granted_from: dt.date | None = None,
    granted_to: dt.date | None = None,
    person_ids: list[int] | None = None,
    period: str = "once",
    recipients: list[Any] | None = None,
) -> Referral:
    """办理结果 (LNK-3): granted (with amount and period) or not; granted help enters the
    社会救助对象基础信息库 and the family's 服务清单 once: for the household, or for each named
    person with his or her own amount (``recipients``: ``[{"person_id", "amount_fen"}]``)."""
    if not (note or "").strip():
        raise InvalidInput("required", "请填写办理结果说明", field="note")
    if granted:
        if amount_fen is not None and amount_fen < 0:
            raise InvalidInput("invalid_amount", "金额不能为负数", field="amount_fen")
        if granted_from is None:
            raise InvalidInput("required", "请填写救助开始日期", field="granted_from")
        if granted_to is not None and granted_to < granted_from:
            raise InvalidInput("invalid_date", "结束日期不能早于开始日期", field="granted_to")
        if period not in ("monthly", "once"):
            raise InvalidInput("invalid_choice", "发放方式应为按月（monthly）或一次性（once）", field="period")
    with transaction.atomic():
        ref = _begin(by, referral, department_side=True)
        return _record_result(
            by,
            ref,
            granted=granted,
            note=note,
            amount_fen=amount_fen,
            granted_from=granted_from,
            granted_to=granted_to,
            person_ids=person_ids,
            period=period,
            recipients=recipients,
            action="decide",
        )


def _record_result(
    by: Any,
    ref: Referral,
    *,
    granted: bool,
    note: str,
    amount_fen: int | None,
    granted_from: dt.date | None,
    granted_to: dt.date | None,
    person_ids: list[int] | None,
    period: str,
    recipients: list[Any] | None,
    action: str,
    extra: dict[str, Any] | None = None,
) -> Referral:
    ref.status = "granted" if granted else "denied"
    ref.result_note, ref.closed_at, ref.handled_by = note.strip(), timezone.now(), user_or_none(by)
    ref.accepted_at = ref.accepted_at or ref.closed_at
    given: list[Recipient] = []
    if granted:
        assert granted_from is not None  # decide and record_reply require the start of granted help
        given = _recipients(ref, amount_fen, person_ids, recipients)
        ref.granted_amount_fen, ref.granted_from, ref.granted_to = (
            sum(r.amount_fen for r in given),
            granted_from,
            granted_to,
        )
        unit = ref.program.benefit_unit
        people = {p.pk: p for p in Person.objects.filter(pk__in=[r.person_id for r in given])}
        for r in given:
            person = people[r.person_id]
            AssistanceRecord.objects.create(
                person=person,
                household=ref.household,
                id_number_index=person.id_number_index,
                id_number_masked=person.id_number_masked,
                name=person.name,
                program_code=ref.program.code,
                program_name=ref.program.name,
                department_code=ref.department.code if ref.department is not None else ref.program.department_code,
                start_on=granted_from,
                end_on=granted_to,
                amount_fen=r.amount_fen,
                period=period,
                unit=unit,
                source="referral",
                source_ref=ref.number,
                area_code=ref.area_code,
                county_code=ref.county_code,
            )
    return _save(
        by,
        ref,
        action,
        {
            "granted": granted,
            "amount_fen": ref.granted_amount_fen if granted else None,
            "recipients": [{"person_id": r.person_id, "amount_fen": r.amount_fen} for r in given],
            "note": note,
            "from": granted_from,
            "to": granted_to,
            **(extra or {}),
        },
    )


def return_(by: Any, referral: Referral, *, reason: str) -> Referral:
    """退回: not this department's matter (分办有误), with the reason."""
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写退回理由", field="reason")
    with transaction.atomic():
        ref = _begin(by, referral, department_side=True)
        ref.status, ref.result_note, ref.closed_at, ref.handled_by = "returned", reason.strip(), timezone.now(), by
        return _save(by, ref, "return", {"reason": reason})


REPLY_OUTCOMES = {"granted": "已救助", "denied": "不符合条件", "returned": "非本单位职责（退回）"}


def record_reply(
    by: Any,
    referral: Referral,
    *,
    outcome: str,
    note: str,
    replied_on: dt.date | None,
    replier: str = "",
    amount_fen: int | None = None,
    granted_from: dt.date | None = None,
    granted_to: dt.date | None = None,
    person_ids: list[int] | None = None,
    recipients: list[Any] | None = None,
    period: str = "once",
) -> Referral:
    """登记线下回复: the reply slip of a paper referral, recorded by the town or county as the
    office wrote it (outcome, help and recipients, the date and who replied); granted help
    enters the register and the 服务清单 exactly as an online result would."""
    require(by, "referrals.create")
    if outcome not in REPLY_OUTCOMES:
        raise InvalidInput("invalid_choice", "回复结果应为已救助、不符合条件或非本单位职责", field="outcome")
    if not (note or "").strip():
        raise InvalidInput("required", "请填写回复内容", field="note")
    if replied_on is None:
        raise InvalidInput("required", "请填写回复日期", field="replied_on")
    if replied_on > timezone.localdate():
        raise InvalidInput("invalid_date", "回复日期不能晚于今天", field="replied_on")
    if outcome == "granted":
        if granted_from is None:
            raise InvalidInput("required", "请填写救助开始日期", field="granted_from")
        if granted_to is not None and granted_to < granted_from:
            raise InvalidInput("invalid_date", "结束日期不能早于开始日期", field="granted_to")
        if period not in ("monthly", "once"):
            raise InvalidInput("invalid_choice", "发放方式应为按月（monthly）或一次性（once）", field="period")
        if amount_fen is not None and amount_fen < 0:
            raise InvalidInput("invalid_amount", "金额不能为负数", field="amount_fen")
    with transaction.atomic():
        ref = _begin(by, referral, department_side=False)
        if ref.channel != "paper":
            raise DomainError("not_paper", "系统派单的结果由承办部门在系统中反馈，不能手工登记")
        if replied_on < timezone.localdate(ref.created_at):
            raise InvalidInput("invalid_date", "回复日期不能早于转办日期", field="replied_on")
        ref.replied_on, ref.replier = replied_on, replier.strip()[:64]
        extra = {"replied_on": replied_on, "replier": ref.replier, "outcome": outcome}
        if outcome == "returned":
            ref.status, ref.result_note = "returned", note.strip()
            ref.closed_at = timezone.now()
            return _save(by, ref, "record_reply", {"note": note, **extra})
        return _record_result(
            by,
            ref,
            granted=outcome == "granted",
            note=note,
            amount_fen=amount_fen,
            granted_from=granted_from,
            granted_to=granted_to,
            person_ids=person_ids,
            period=period,
            recipients=recipients,
            action="record_reply",
            extra=extra,
        )


def print_transfer(by: Any, referral: Referral) -> bytes:
    """打印转办单: the paper referral and its reply slip as a PDF (names the head of the
    household in full: audited as a disclosure of personal information)."""
    from jiuzhu.web.pdf import render_pdf

    require(by, "referrals.create")
    if referral.channel != "paper":
        raise DomainError("not_paper", "系统派单由承办部门在系统中办理，无需打印转办单")
    household = referral.household
    town = Area.objects.filter(code=household.area_id[:9].ljust(12, "0")).values_list("name", flat=True).first()
    context = {
        "ref": referral,
        "head": household.head_name,
        "town": f"{town}办事处" if (town or "").endswith("街道") else f"{town or ''}人民政府",
        "clerk": getattr(by, "display_name", "") or getattr(by, "username", ""),
        "today": timezone.localdate(),
    }
    pdf = render_pdf("referrals/transfer_pdf.html", context)
    with transaction.atomic():
        record(by, "referrals.print", referral, changes={"number": referral.number, "office": referral.office})
    return pdf


def cancel(by: Any, referral: Referral, *, reason: str) -> Referral:
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写撤销理由", field="reason")
    with transaction.atomic():
        ref = _begin(by, referral, department_side=False)
        ref.status, ref.result_note, ref.closed_at = "cancelled", reason.strip(), timezone.now()
        return _save(by, ref, "cancel", {"reason": reason})


def reveal(by: Any, referral: Referral, person_id: int) -> str:
    """The full ID number of a person named in a referral, for the department handling it (audited)."""
    require(by, "referrals.handle")
    if not by.is_superuser and by.department_id != referral.department_id:
        raise Forbidden("permission_denied", "只能查看本部门派单所列人员的信息")
    if person_id not in {m["person_id"] for m in referral.facts.get("members", [])}:
        raise InvalidInput("invalid_person", "该人员不在派单所列家庭成员中", field="person_id")
    person = Person.objects.get(pk=person_id)
    with transaction.atomic():
        record(by, "referrals.reveal", referral, changes={"person": person_id, "field": "id_number"})
    return unseal("id_number", person.id_number_enc)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """到期提醒与超期督办 (LNK-2): remind two working days before the deadline, escalate after it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calendar = current_calendar()
    soon = calendar.add_working_days(today, 2)
    reminded = escalated = 0
    from jiuzhu.accounts.system import SystemActor

    system = SystemActor("系统（派单督办）")
    for ref in Referral.objects.open().filter(reminded_at__isnull=True, due_on__lte=soon, due_on__gte=today):
        with transaction.atomic():
            Referral.objects.filter(pk=ref.pk).update(reminded_at=now)
            record(system, "referrals.remind", ref, changes={"number": ref.number, "due_on": ref.due_on})
        reminded += 1
    for ref in Referral.objects.open().filter(escalated_at__isnull=True, due_on__lt=today):
        with transaction.atomic():
            Referral.objects.filter(pk=ref.pk).update(escalated_at=now)
            record(
                system,
                "referrals.escalate",
                ref,
                changes={"number": ref.number, "due_on": ref.due_on, "office": ref.office},
            )
        escalated += 1
    return {"reminded": reminded, "escalated": escalated}


def record_visit(
    by: Any,
    household: Household,
    *,
    kind: str,
    visited_on: dt.date,
    organization: str,
    visitors: str,
    content: str,
    amount_fen: int = 0,
) -> tuple[Any, list[Any]]:
    """走访慰问、结对帮扶 (REG-13): record a visit; returns it with the other visits of the last
    30 days, so a second organisation sees that the family was just visited."""
    from .models import VISIT_KINDS, Visit

    require(by, "registry.edit")
    if kind not in dict(VISIT_KINDS):
        raise InvalidInput("invalid_choice", "类型应为走访慰问、结对帮扶或关爱服务", field="kind")
    if visited_on > timezone.localdate():
        raise InvalidInput("invalid_date", "日期不能晚于今天", field="visited_on")
    for key, value in (("organization", organization), ("visitors", visitors), ("content", content)):
        if not (value or "").strip():
            raise InvalidInput("required", "请填写单位或组织、人员和内容", field=key)
    if amount_fen < 0:
        raise InvalidInput("invalid_amount", "金额不能为负数", field="amount_fen")
    recent = list(Visit.objects.filter(household=household, visited_on__gte=visited_on - dt.timedelta(days=30)))
    with transaction.atomic():
        visit = Visit.objects.create(
            household=household,
            area_code=household.area_id,
            kind=kind,
            visited_on=visited_on,
            organization=organization.strip(),
            visitors=visitors.strip(),
            content=content.strip(),
            amount_fen=amount_fen,
            recorded_by=user_or_none(by),
        )
        record(
            by,
            "referrals.visit",
            household,
            changes={
                "visit": visit.pk,
                "kind": kind,
                "date": visited_on,
                "organization": organization,
                "amount_fen": amount_fen,
            },
        )
    return visit, recent
