"""State changes of a case (救助申请). Each checks the workflow table (state, role, area),
runs in one transaction with the row locked, writes its audit row, and issues its notice.
Views and the API call these and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.money import format_yuan
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs.engine import alone_facts, evaluate_household
from jiuzhu.programs.exclusivity import exclusions_of, pair_conflicts, register_codes, urban_of
from jiuzhu.programs.facts import household_facts
from jiuzhu.registry.actions import store_generated
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.storage import sniff_content_type
from jiuzhu.verification.actions import request_verification
from jiuzhu.verification.models import Authorization

from . import notices, signals, workflow
from .config import config_for
from .models import (
    PROGRAM_CHOICES,
    TEMPORARY_KIND_CHOICES,
    Application,
    CaseDeadline,
    Commitment,
    Deliberation,
    Entrustment,
    Intake,
    Investigation,
    Objection,
    ProcedureConfig,
    SpecialDeliberation,
)

ADULT = 18
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
PROGRAM_NAMES = dict(PROGRAM_CHOICES)
# What one-ID intake still needs on paper; everything else comes from department data (一证申请).
EXTRA_DOCUMENTS = {
    "illness": [("医疗费用票据（自付部分）", "重特大疾病支出型临时救助需提供近12个月医疗费用票据")],
    "education": [("教育费用票据", "子女教育支出型临时救助需提供学费、住宿费等票据")],
    "emergency": [("急难事由说明", "火灾、交通事故等急难情况的简要说明或相关证明")],
}


@dataclass
class SignatureIn:  # a drawn signature (PNG) or a scan (JPEG/PNG/PDF)
    person_id: int
    data: bytes
    method: str = "pad"


@dataclass
class EntrustmentIn:  # 申请委托 (帮办代办, INT-10): the principal's signed 申请委托书
    principal_id: int
    reason: str
    signature: SignatureIn
    agent_name: str = ""


@dataclass
class MaterialIn:  # 补正材料: a scan of a missing document, named as on the 一次性告知书
    name: str
    data: bytes


@dataclass
class IntakeRequest:
    household: Household
    applicant: Person
    programs: list[str]
    channel: str = "window"
    temporary_kind: str = ""
    emergency_event: str = ""
    facts: dict[str, Any] | None = None
    documents_provided: list[str] = field(default_factory=list)
    authorizations: list[SignatureIn] = field(default_factory=list)
    commitment: SignatureIn | None = None
    staff_relative_of: Any = None
    staff_relative_note: str = ""
    remarks: str = ""
    entrustment: EntrustmentIn | None = None


def _today() -> dt.date:
    return timezone.localdate()


def _deadline(application: Application, step: str, label: str, due_on: dt.date, responsible: str = "town") -> None:
    CaseDeadline.objects.update_or_create(
        application=application,
        step=step,
        met_on=None,
        defaults={
            "label": label,
            "started_on": _today(),
            "due_on": due_on,
            "area_code": application.area_code,
            "responsible": responsible,
        },
    )


def _deadline_in_hours(application: Application, step: str, label: str, hours: int, responsible: str = "town") -> None:
    """A clock counted in hours from now (急难: 24 hours, whatever the calendar says)."""
    due_at = timezone.now() + dt.timedelta(hours=hours)
    CaseDeadline.objects.update_or_create(
        application=application,
        step=step,
        met_on=None,
        defaults={
            "label": label,
            "started_on": _today(),
            "due_on": timezone.localdate(due_at),
            "due_at": due_at,
            "hours": hours,
            "area_code": application.area_code,
            "responsible": responsible,
        },
    )


def _meet(application: Application, step: str) -> None:
    CaseDeadline.objects.filter(application=application, step=step, met_on__isnull=True).update(
        met_on=_today(), met_at=timezone.now()
    )


def _age_on(birth: dt.date, day: dt.date) -> int:
    """Exact age in whole years (周岁) on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _variable(result: dict[str, Any], name: str, default: Any = None) -> Any:
    """A traced variable's value (the trace keeps ``{"label", "unit", "value"}`` per variable)."""
    entry = (result.get("trace") or {}).get("variables", {}).get(name)
    return entry.get("value", default) if isinstance(entry, dict) else default


def _with_temporary(facts: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The case's facts with its 临时救助 request changed (approval level, 一事一议 amount)."""
    temporary = {**(facts.get("temporary") or {}), **changes}
    return {**facts, "temporary": {k: v for k, v in temporary.items() if v not in (None, 0)}}


def default_facts(household: Household) -> dict[str, Any]:
    """The engine's JSON form of what the registry knows (incomes and assets are declared)."""
    members = []
    for m in household_facts(household):
        out = {k: v for k, v in m.items() if v not in ("", 0, None) or k == "relation"}
        out["birth_date"] = m["birth_date"].isoformat()
        members.append(out)
    return {"urban": household.urban_rural == "urban", "members": members}


def _facts_for(
    application_program: str, base: dict[str, Any], temporary_kind: str, level: str, event: str
) -> dict[str, Any]:
    facts = {k: v for k, v in base.items() if k != "temporary"}
    if application_program == "temporary":
        facts["temporary"] = {"kind": temporary_kind, "approval_level": level, "event": event}
    return facts


def latest_report(application: Application) -> Any:
    """The case's most recent 核对报告, or None."""
    from jiuzhu.verification.models import Report

    return Report.objects.filter(application=application).order_by("-id").first()


def decision_facts(application: Application) -> dict[str, Any]:
    """The facts a decision uses (issue 14 item 5, VER-12): the declaration corrected by the
    latest 核对报告 — a department's figure where it is complete, never less than it elsewhere."""
    from jiuzhu.verification.verified import with_verified

    report = latest_report(application)
    return with_verified(application.facts, report.content.get("verified") if report else None)


def evaluate(application: Application, on: dt.date | None = None) -> dict[str, Any]:
    """The rules engine's result for this case's program and facts, with reasons and trace."""
    facts = decision_facts(application)
    result: dict[str, Any] = evaluate_household(application.area_code, on or _today(), [application.program], facts)[
        application.program
    ]
    return result


def _store_signature(by: Any, household: Household, person: Person, sig: SignatureIn, label: str) -> Any:
    if sig.method not in ("pad", "scan"):
        raise InvalidInput("invalid_choice", "签署方式应为电子签名（pad）或扫描件（scan）", field="signatures")
    if not sig.data or len(sig.data) > MAX_SIGNATURE_BYTES:
        raise InvalidInput("invalid_signature", f"{person.name}的{label}签名为空或超过2MB", field="signatures")
    kind = _sniff(sig.data)
    if kind not in ("image/png", "image/jpeg", "application/pdf") or (sig.method == "pad" and kind != "image/png"):
        raise InvalidInput(
            "invalid_signature", f"{person.name}的{label}签名应为PNG图片（扫描件可为JPG或PDF）", field="signatures"
        )
    ext = _EXT[kind]
    return store_generated(
        by,
        household,
        sig.data,
        kind="signature",
        title=f"{label}签名（{person.name}）",
        filename=f"{label}-{person.pk}.{ext}",
        content_type=kind,
        person=person,
    )


_EXT = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}


def _sniff(data: bytes) -> str:
    from io import BytesIO

    from django.core.files.uploadedfile import InMemoryUploadedFile

    buf = BytesIO(data)
    return sniff_content_type(InMemoryUploadedFile(buf, "file", "x", "application/octet-stream", len(data), None))


def _check_no_duplicate(household: Household, program: str) -> None:
    existing = (
        Application.objects.filter(household=household, program=program)
        .exclude(state__in=("rejected", "not_accepted", "withdrawn"))
        .order_by("-id")
        .first()
    )
    if existing is None:
        return
    if existing.state == "approved" and program in ("temporary", "dibao_edge", "rigid_expense"):
        return  # one-off aid and status recognitions may be asked again
    what = "正在享受" if existing.state == "approved" else "已有在办的"
    raise DomainError(
        "duplicate_application",
        f"该家庭{what}{PROGRAM_NAMES[program]}申请（申请编号 {existing.number}，{existing.get_state_display()}），"
        "不能重复申请",
    )


URBAN_LABEL = {True: "城市", False: "农村"}


def _urban_checked(household: Household, declared: Any, field: str) -> bool:
    """城市 or 农村 comes from the household's 户籍/area, never from the declared facts."""
    urban = urban_of(household)
    if declared is not None and declared != urban:
        raise InvalidInput(
            "urban_rural_mismatch",
            f"城乡类别以家庭户籍所在地为准：该家庭为{URBAN_LABEL[urban]}家庭"
            f"（{household.get_urban_rural_display()}），不能按{URBAN_LABEL[bool(declared)]}标准申请或测算",
            field=field,
        )
    return urban


def _conflicts(household: Household, program: str, *, at_intake: bool, exclude: Application | None = None) -> list[str]:
    """Why this household may not have ``program`` now (互斥救助, issue 14 item 4).

    At intake: an open application of the family for a program this one excludes or is
    excluded by; or a member who receives the program that is kept (特困 over 低保). Applying
    for the kept program while receiving the other (低保 → 特困) is accepted: the change is
    made at the decision. At a decision: a member receiving an exclusive program either way,
    or a decision of the family for one that is made and not yet closed."""
    from django.db.models import Q

    from jiuzhu.referrals.models import AssistanceRecord

    reasons: list[str] = []
    today = _today()
    indexes = [
        i for i in household.members.filter(death_date__isnull=True).values_list("id_number_index", flat=True) if i
    ]
    for rule in exclusions_of(program):
        other, kept = rule.other(program), rule.preferred == program
        if at_intake:
            open_case = Application.objects.filter(household=household, program=other).open().order_by("-id").first()
            if open_case is not None:
                reasons.append(
                    f"该家庭已有在办的{PROGRAM_NAMES[other]}申请（申请编号 {open_case.number}，"
                    f"{open_case.get_state_display()}）。{rule.message}。如需改为申请{PROGRAM_NAMES[program]}，请先撤回该申请"
                )
            if kept:
                continue
        records = AssistanceRecord.objects.filter(id_number_index__in=indexes, program_code__in=register_codes(other))
        for r in records.filter(Q(end_on__isnull=True) | Q(end_on__gte=today)).order_by("start_on", "id"):
            reason = (
                f"家庭成员{r.name}正在享受{r.program_name}"
                f"（{r.get_source_display()}，{r.start_on:%Y年%m月%d日}起）。{rule.message}"
            )
            if kept:
                reason += f"。须先办理{PROGRAM_NAMES[other]}停发后，方可批准{PROGRAM_NAMES[program]}"
            reasons.append(reason)
        if not at_intake:
            pending = Application.objects.filter(household=household, program=other, decision="approved").exclude(
                state__in=("approved", "rejected", "not_accepted", "withdrawn")
            )
            for a in pending.exclude(pk=getattr(exclude, "pk", None)):
                reasons.append(f"该家庭的{PROGRAM_NAMES[other]}（申请编号 {a.number}）已批准、正在公示。{rule.message}")
    return reasons


def _check_exclusive(household: Household, program: str, *, at_intake: bool = False, app: Any = None) -> None:
    reasons = _conflicts(household, program, at_intake=at_intake, exclude=app)
    if reasons:
        raise DomainError("exclusive_benefit", "；".join(reasons))


def _check_decision(app: Application) -> None:
    """Before a decision takes effect: no excluded benefit, and the household's 城乡类别 is the one
    the case was computed with."""
    urban = urban_of(app.household)
    if bool(app.urban) != urban or bool((app.facts or {}).get("urban", urban)) != urban:
        raise DomainError(
            "urban_rural_changed",
            f"家庭档案的城乡类别（{app.household.get_urban_rural_display()}）与本案测算所用的"
            f"{URBAN_LABEL[bool(app.urban)]}标准不一致，请重新调查核实后再审批",
        )
    _check_exclusive(app.household, app.program, app=app)


def intake(by: Any, req: IntakeRequest) -> Intake:
    """一门受理、一证申请 (INT-1…INT-3): register one visit with one or more applications,
    signatures, the 受理回执 and, if anything is missing, the 一次性告知书."""
    require(by, "applications.intake")
    household, applicant = req.household, req.applicant
    if applicant.household_id != household.pk:
        raise InvalidInput("invalid_applicant", "申请人须为该家庭成员", field="applicant")
    if not req.programs:
        raise InvalidInput("required", "请至少选择一个救助项目", field="programs")
    for i, program in enumerate(req.programs):
        if program not in PROGRAM_NAMES:
            raise InvalidInput("unknown_program", f"未知救助项目“{program}”", field=f"programs[{i}]")
    if len(set(req.programs)) != len(req.programs):
        raise InvalidInput("duplicate_program", "同一救助项目不能重复选择", field="programs")
    if "temporary" in req.programs and req.temporary_kind not in dict(TEMPORARY_KIND_CHOICES) | {"": ""}:
        raise InvalidInput("invalid_choice", "临时救助类型无效", field="temporary_kind")
    if "temporary" in req.programs and not req.temporary_kind:
        raise InvalidInput("required", "申请临时救助时请选择临时救助类型（急难型或支出型）", field="temporary_kind")
    if req.temporary_kind == "emergency" and not req.emergency_event:
        raise InvalidInput("required", "急难型临时救助请选择急难事件", field="emergency_event")
    if req.channel not in ("window", "online", "village", "discovery"):
        raise InvalidInput("invalid_choice", "申请渠道无效", field="channel")
    if getattr(by, "role", "") == "village_assistant":
        req.channel = "village"  # a village assistant applying for a family is 帮办代办
    if req.channel == "village" and req.entrustment is None:
        raise InvalidInput(
            "entrustment_required",
            "帮办代办须录入申请委托：委托人、委托事由，以及委托人签署的申请委托书（签名或扫描件）",
            field="entrustment",
        )
    if req.entrustment is not None:
        if not household.members.filter(pk=req.entrustment.principal_id, death_date__isnull=True).exists():
            raise InvalidInput("invalid_person", "委托人须为该家庭的成员", field="entrustment.principal_id")
        if not req.entrustment.reason.strip():
            raise InvalidInput("required", "请填写委托事由（如：年老体弱、行动不便）", field="entrustment.reason")
    for conflict in pair_conflicts(req.programs):
        raise InvalidInput(
            "exclusive_programs",
            f"{PROGRAM_NAMES[conflict.preferred]}与{PROGRAM_NAMES[conflict.excluded]}不能同时申请：{conflict.message}"
            "。请只选择其中一项（同时符合条件的选择前者）",
            field="programs",
        )
    for program in req.programs:
        _check_no_duplicate(household, program)
        _check_exclusive(household, program, at_intake=True)
    config = config_for(household.county_code)
    base = req.facts if req.facts is not None else default_facts(household)
    base = {**base, "urban": _urban_checked(household, base.get("urban"), "facts.urban")}
    if base.get("alone") is True and len(base.get("members") or []) > 1:
        # 单独申请 (issue 14 item 14): the case keeps the applicant alone and the family's 低保边缘 finding
        base = alone_facts(household.area_id, _today(), base)[0]
    screening = (
        evaluate_household(
            household.area_id, _today(), [p for p in req.programs if p != "temporary"] or ["dibao"], base
        )
        if any(p != "temporary" for p in req.programs)
        else {}
    )
    members = list(household.members.filter(death_date__isnull=True))
    adults = [p for p in members if p.age_on(_today()) >= ADULT]
    signed_ids = {s.person_id for s in req.authorizations}
    for s in req.authorizations:
        if s.person_id not in {p.pk for p in members}:
            raise InvalidInput("invalid_person", "授权书签署人须为该家庭的成员", field="authorizations")
    already = set(Authorization.objects.valid().filter(household=household).values_list("person_id", flat=True))
    missing: list[dict[str, str]] = [
        {"name": f"家庭经济状况核对授权书（{p.name}）", "note": "每名成年家庭成员本人签字（可在窗口电子签名）"}
        for p in adults
        if p.pk not in signed_ids | already
    ]
    if req.commitment is None:
        missing.append({"name": "诚信承诺书（申请人）", "note": "申请人本人签字"})
    for name, note in EXTRA_DOCUMENTS.get(req.temporary_kind, []) if "temporary" in req.programs else []:
        if name not in req.documents_provided:
            missing.append({"name": name, "note": note})
    calendar = current_calendar()
    today = _today()
    with transaction.atomic():
        county = household.county_code
        receipt = f"SL{county}-{today:%Y}-{notices.next_sequence(county, 'intake'):06d}"
        record_intake = Intake.objects.create(
            receipt_number=receipt,
            household=household,
            applicant=applicant,
            channel=req.channel,
            area_code=household.area_id,
            documents_provided=list(req.documents_provided),
            remarks=req.remarks,
            created_by=user_or_none(by),
        )
        if req.entrustment is not None:
            _record_entrustment(by, record_intake, req.entrustment)
        for s in req.authorizations:
            _authorize(by, household, next(p for p in members if p.pk == s.person_id), s)
        if req.commitment is not None:
            _commit(by, record_intake, req.commitment)
        created = []
        for program in req.programs:
            kind = req.temporary_kind if program == "temporary" else ""
            level = config.approval_level(program)
            app = Application.objects.create(
                number=f"SQ{county}-{today:%Y}-{notices.next_sequence(county, 'application'):06d}",
                intake=record_intake,
                household=household,
                applicant=applicant,
                program=program,
                temporary_kind=kind,
                channel=req.channel,
                area_code=household.area_id,
                county_code=county,
                urban=bool(base["urban"]),
                facts=_facts_for(program, base, kind, level, req.emergency_event),
                screening=screening.get(program, {}) if program != "temporary" else {},
                missing_documents=missing,
                staff_relative_of=req.staff_relative_of,
                staff_relative_note=req.staff_relative_note[:200],
                accepted_by=user_or_none(by),
                due_on=calendar.add_working_days(today, config.total_limit_days),
            )
            _deadline(app, "overall", "办结时限", app.due_on, level)
            if kind == "emergency":
                hours = config.emergency_advance_hours
                _deadline_in_hours(app, "advance", f"{hours}小时内先行救助", hours)
            else:
                _deadline(
                    app,
                    "investigation",
                    "入户调查与经济状况核对",
                    calendar.add_working_days(today, config.investigation_days),
                )
            created.append(app)
            record(
                by,
                "applications.intake",
                app,
                changes={
                    "number": app.number,
                    "program": program,
                    "temporary_kind": kind,
                    "channel": req.channel,
                    "household": household.pk,
                    "applicant": applicant.name,
                    "missing": [m["name"] for m in missing],
                    "staff_relative_of": getattr(req.staff_relative_of, "username", None),
                },
            )
        notices.issue(by, "receipt", intake=record_intake, application=created[0])
        if missing:
            notices.issue(by, "checklist", intake=record_intake, application=created[0], extra={"missing": missing})
    return record_intake


def _authorize(by: Any, household: Household, person: Person, sig: SignatureIn, app: Any = None) -> Authorization:
    """家庭经济状况核对授权书 of one adult, signed on the pad or scanned (先授权、后核对)."""
    return Authorization.objects.create(
        person=person,
        household=household,
        application=app,
        area_code=household.area_id,
        method=sig.method,
        document=_store_signature(by, household, person, sig, "核对授权书"),
        recorded_by=user_or_none(by),
    )


def _commit(by: Any, record_intake: Intake, sig: SignatureIn) -> Commitment:
    """诚信承诺书 of the applicant."""
    doc = _store_signature(by, record_intake.household, record_intake.applicant, sig, "诚信承诺书")
    return Commitment.objects.create(
        intake=record_intake, person=record_intake.applicant, method=sig.method, document=doc
    )


def _record_entrustment(by: Any, intake_record: Intake, e: EntrustmentIn) -> Entrustment:
    principal = intake_record.household.members.get(pk=e.principal_id)
    doc = _store_signature(by, intake_record.household, principal, e.signature, "申请委托书")
    agent = user_or_none(by)
    name = e.agent_name.strip() or getattr(by, "display_name", "") or str(by)
    return Entrustment.objects.create(
        intake=intake_record,
        principal=principal,
        agent=agent,
        agent_name=name[:64],
        reason=e.reason.strip()[:200],
        method=e.signature.method,
        document=doc,
    )


MAX_MATERIAL_BYTES = 10 * 1024 * 1024


def supplement(
    by: Any,
    application: Application,
    *,
    authorizations: list[SignatureIn],
    commitment: SignatureIn | None = None,
    materials: list[MaterialIn] | None = None,
) -> Application:
    """补充授权/补正材料 (issue 14 item 7, INT-5, VER-2): what the 一次性告知书 asked for, signed
    or scanned later on the case — each adult's 授权书, the 承诺书, the missing documents. The
    items leave the missing list of every open case of the visit; a signed 授权书 unblocks
    the 入户调查与核对 (先授权、后核对)."""
    materials = materials or []
    if not authorizations and commitment is None and not materials:
        raise InvalidInput("required", "请至少补充一项：授权书签名、承诺书签名或补正材料", field="authorizations")
    for m in materials:
        if not m.name.strip():
            raise InvalidInput("required", "请填写补正材料的名称", field="materials")
        if not m.data or len(m.data) > MAX_MATERIAL_BYTES:
            raise InvalidInput("invalid_file", f"“{m.name}”为空或超过10MB", field="materials")
        if _sniff(m.data) not in ("image/png", "image/jpeg", "application/pdf"):
            raise InvalidInput("invalid_file", f"“{m.name}”应为JPG、PNG图片或PDF扫描件", field="materials")
    with transaction.atomic():
        app, _, row = _begin(by, application, "supplement")
        household, record_intake = app.household, app.intake
        adults = {p.pk: p for p in household.members.filter(death_date__isnull=True) if p.age_on(_today()) >= ADULT}
        signed = set(Authorization.objects.valid().filter(household=household).values_list("person_id", flat=True))
        satisfied: list[str] = []
        for s in authorizations:
            person = adults.get(s.person_id)
            if person is None:
                raise InvalidInput("invalid_person", "授权书签署人须为该家庭的成年成员", field="authorizations")
            if person.pk in signed:
                raise InvalidInput(
                    "already_signed", f"{person.name}的核对授权书已签署，无须重复签署", field="authorizations"
                )
            _authorize(by, household, person, s, app)
            signed.add(person.pk)
            satisfied.append(f"家庭经济状况核对授权书（{person.name}）")
        if commitment is not None:
            if Commitment.objects.filter(intake=record_intake).exists():
                raise InvalidInput("already_signed", "诚信承诺书已签署，无须重复签署", field="commitment")
            _commit(by, record_intake, commitment)
            satisfied.append("诚信承诺书（申请人）")
        for m in materials:
            store_generated(
                by,
                household,
                m.data,
                kind="other",
                title=m.name.strip(),
                filename=f"补正材料-{m.name.strip()[:40]}.{_EXT[_sniff(m.data)]}",
                content_type=_sniff(m.data),
            )
            satisfied.append(m.name.strip())
        record_intake.documents_provided = [
            *record_intake.documents_provided,
            *[m.name.strip() for m in materials],
        ]
        record_intake.save(update_fields=["documents_provided"])
        for case in Application.objects.select_for_update().filter(intake=record_intake).open():
            remaining = [item for item in case.missing_documents if item["name"] not in satisfied]
            if remaining != case.missing_documents:
                case.missing_documents = remaining
                if case.pk == app.pk:
                    app.missing_documents = remaining
                else:
                    case.save(update_fields=["missing_documents"])
        return _finish(
            by, app, row, {"supplied": satisfied, "still_missing": [i["name"] for i in app.missing_documents]}
        )


# ---- transitions ---------------------------------------------------------------------------------


def _begin(by: Any, application: Application, name: str) -> tuple[Application, ProcedureConfig, Any]:
    app = Application.objects.select_for_update().get(pk=application.pk)
    config = config_for(app.county_code)
    row = workflow.check(app, name, by, config)
    return app, config, row


def _finish(by: Any, app: Application, row: Any, changes: dict[str, Any] | None = None) -> Application:
    before = app.state
    if row.target:
        app.state = row.target
    app.version += 1
    app.save()
    if app.state == "approved" and before != "approved" and app.start_month is not None:
        from jiuzhu.payments.roster import open_benefit  # the decision hands the case to payment

        open_benefit(app)
    record(by, f"applications.{row.name}", app, changes={"from": before, "to": app.state, **(changes or {})})
    return app


def start_investigation(by: Any, application: Application) -> Application:
    """开始入户调查 and 委托核对 together (seed 004: 关口前移，同步开展)."""
    with transaction.atomic():
        app, _, row = _begin(by, application, "start_investigation")
        request = request_verification(by, household=app.household, program=app.program, application=app)
        return _finish(by, app, row, {"verification_request": request.pk})


def record_investigation(
    by: Any,
    application: Application,
    *,
    visited_on: dt.date,
    investigators: str,
    housing: str,
    living_conditions: str,
    labour: str,
    health: str,
    remarks: str = "",
    photos: list[Any] | None = None,
    facts: dict[str, Any] | None = None,
) -> Investigation:
    """入户调查 (WF-*): the home-visit record by two investigators, optionally with the
    household facts as found (收入核算)."""
    if len([n for n in investigators.replace("，", ",").replace("、", ",").split(",") if n.strip()]) < 2:
        raise InvalidInput(
            "two_investigators", "入户调查须由两名工作人员进行，请填写两名调查人员", field="investigators"
        )
    if visited_on > _today():
        raise InvalidInput("invalid_date", "调查日期不能晚于今天", field="visited_on")
    for key, value in (
        ("housing", housing),
        ("living_conditions", living_conditions),
        ("labour", labour),
        ("health", health),
    ):
        if not (value or "").strip():
            raise InvalidInput("required", "请填写住房、生活、劳动就业和健康状况", field=key)
    with transaction.atomic():
        app, config, row = _begin(by, application, "record_investigation")
        if facts is not None:
            app.urban = _urban_checked(app.household, facts.get("urban"), "facts.urban")
            new_facts = _facts_for(
                app.program,
                {**facts, "urban": app.urban},
                app.temporary_kind,
                (app.facts.get("temporary") or {}).get("approval_level") or config.approval_level(app.program),
                (app.facts.get("temporary") or {}).get("event", ""),
            )
            if "temporary" in new_facts:  # a level raised by 报县级审批 or 一事一议 stays with the case
                new_facts["temporary"] = {**(app.facts.get("temporary") or {}), **new_facts["temporary"]}
            evaluate_household(app.area_code, _today(), [app.program], new_facts)  # validates
            app.facts = new_facts
        visit = Investigation.objects.create(
            application=app,
            visited_on=visited_on,
            investigators=investigators.strip(),
            housing=housing,
            living_conditions=living_conditions,
            labour=labour,
            health=health,
            remarks=remarks,
            recorded_by=user_or_none(by),
        )
        for i, upload in enumerate(photos or []):
            data = upload.read()
            kind = _sniff(data)
            if kind not in ("image/jpeg", "image/png", "image/webp"):
                raise InvalidInput("unsupported_file", "调查照片应为JPG、PNG或WEBP图片", field=f"photos[{i}]")
            if len(data) > 10 * 1024 * 1024:
                raise InvalidInput("file_too_large", "单张照片不得超过10MB", field=f"photos[{i}]")
            visit.photos.add(
                store_generated(
                    by,
                    app.household,
                    data,
                    kind="photo",
                    title=f"入户调查照片 {visited_on:%Y-%m-%d}",
                    filename=upload.name,
                    content_type=kind,
                )
            )
        app.investigation_done_at = timezone.now()
        _finish(by, app, row, {"investigation": visit.pk, "visited_on": visited_on, "facts_updated": facts is not None})
    return visit


def submit_review(by: Any, application: Application) -> Application:
    """提交审核: both the home visit and the 核对报告 are in (WF-*)."""
    with transaction.atomic():
        app, _, row = _begin(by, application, "submit_review")
        if app.investigation_done_at is None:
            raise DomainError("investigation_missing", "尚未录入入户调查，不能提交审核")
        if not app.verification_requests.filter(status="done").exists():
            raise DomainError("verification_pending", "家庭经济状况核对报告尚未出具，请待核对中心出具报告后再提交审核")
        _meet(app, "investigation")
        return _finish(by, app, row)


def _decide_amount(
    app: Application, on: dt.date, config: ProcedureConfig, *, check_limit: bool = True
) -> dict[str, Any]:
    result = evaluate(app, on)
    if not result["eligible"]:
        failed = "；".join(r["message"] for r in result["reasons"] if not r["passed"])
        raise DomainError("not_eligible", f"按现行标准测算不符合条件：{failed}。请作出不予批准决定，或重新调查核实")
    if check_limit and app.program == "temporary" and _variable(result, "temporary_needs_higher_approval", False):
        _above_limit(app, result)
    return result


def _above_limit(app: Application, result: dict[str, Any]) -> None:
    """The amount the rules compute exceeds this level's limit (a rules parameter): name both
    and the way on — 报县级审批 from the town, 一事一议 at the county."""
    proposed = format_yuan(int(_variable(result, "temporary_proposed", 0)))
    limit = format_yuan(int(_variable(result, "temporary_cap", 0)))
    if (app.facts.get("temporary") or {}).get("approval_level") == "town":
        raise DomainError(
            "needs_higher_approval",
            f"测算金额{proposed}超过镇（街道）审批限额{limit}，请“报县级审批”，由县级民政部门审批",
        )
    raise DomainError(
        "needs_higher_approval",
        f"测算金额{proposed}超过县级审批限额{limit}：须由县级民政部门召开“一事一议”集体研究决定救助金额后再审批",
    )


def _start_publicity(app: Application, config: ProcedureConfig) -> None:
    app.publicity_start = _today()
    app.publicity_end = _today() + dt.timedelta(days=config.publicity_days)
    _deadline(app, "publicity", "村（居）公示", app.publicity_end)


def _record_decision(by: Any, app: Application, result: dict[str, Any], config: ProcedureConfig) -> None:
    today = _today()
    app.decision, app.decided_at, app.decided_by = "approved", timezone.now(), user_or_none(by)
    app.amount_fen = result["monthly_amount_fen"]
    app.trace = result["trace"]
    if app.program in ("dibao", "tekun"):
        app.start_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        app.review_cycle_months = _review_cycle(app, config)


def _review_cycle(app: Application, config: ProcedureConfig) -> int:
    """Yearly for stable households (every member at the configured age — exact age on the
    day of the decision — or severely disabled), else every 6 months (DYN-4)."""
    members = app.facts.get("members", [])
    today = _today()

    def stable(m: dict[str, Any]) -> bool:
        birth = m.get("birth_date")
        age = m.get("age") if birth is None else _age_on(dt.date.fromisoformat(str(birth)[:10]), today)
        return (age or 0) >= config.review_stable_age or (m.get("disability_grade") in (1, 2))

    return (
        config.review_cycle_stable_months
        if members and all(stable(m) for m in members)
        else config.review_cycle_other_months
    )


def _conflict(by: Any, app: Application) -> None:
    if app.staff_relative_of_id and getattr(by, "pk", None) == app.staff_relative_of_id:
        raise DomainError("conflict_of_interest", "该申请人为您的近亲属（已单独登记备案），须由其他人员审批")


def propose(by: Any, application: Application, *, note: str = "") -> Application:
    """提出审核意见并公示 (national: the town's proposal is published for 7 days)."""
    with transaction.atomic():
        app, config, row = _begin(by, application, "propose")
        _conflict(by, app)
        # The town proposes what the rules give; above the county's limit the county decides (一事一议).
        result = _decide_amount(app, _today(), config, check_limit=False)
        app.proposed_amount_fen, app.proposal = result["monthly_amount_fen"], {**result, "note": note}
        _start_publicity(app, config)
        return _finish(by, app, row, {"proposed_amount_fen": app.proposed_amount_fen, "note": note})


def approve(by: Any, application: Application, *, note: str = "") -> Application:
    """批准 / 审核确认 (WF-*): amount from the rules engine with its trace; payment from the
    month after approval; a stable household is reviewed yearly, others every 6 months."""
    with transaction.atomic():
        app, config, row = _begin(by, application, "approve")
        _conflict(by, app)
        if app.state == "publicizing" and app.publicity_end and _today() <= app.publicity_end:
            raise DomainError("publicity_running", f"公示期至{app.publicity_end:%Y年%m月%d日}，公示期满后方可审批")
        _check_decision(app)
        if config.preset == "devolved" and app.state in ("reviewing", "county_review"):
            _record_decision(by, app, _decide_amount(app, _today(), config), config)
            _start_publicity(app, config)
            _meet(app, "county_review")
            _finish(by, app, row, {"amount_fen": app.amount_fen, "note": note})
            return app
        if not app.decision:
            _record_decision(by, app, _decide_amount(app, _today(), config), config)
        _meet(app, "county_review")
        _close(by, app)
        return _finish(by, app, row, {"amount_fen": app.amount_fen, "note": note})


def escalate(by: Any, application: Application, *, reason: str) -> Application:
    """报县级审批 (STD-6, WF-17, GOV-5): a 支出型临时救助 whose amount is above the town's limit,
    or whose need goes beyond the ordinary band (a case for 一事一议), goes to the county's
    civil-affairs office, which decides it."""
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写报县级审批的理由", field="reason")
    with transaction.atomic():
        app, config, row = _begin(by, application, "escalate")
        _conflict(by, app)
        result = _decide_amount(app, _today(), config, check_limit=False)
        proposed = int(_variable(result, "temporary_proposed", 0))
        limit = int(_variable(result, "temporary_cap", 0))
        band_top = int(_variable(result, "temporary_band_max", 0))
        if not _variable(result, "temporary_needs_higher_approval", False) and proposed < band_top:
            raise DomainError(
                "within_limit",
                f"测算金额{format_yuan(proposed)}未超过镇（街道）审批限额{format_yuan(limit)}，"
                "也未达到救助标准倍数区间上限，请由镇（街道）直接审批",
            )
        app.facts = _with_temporary(app.facts, approval_level="county")
        _deadline(app, "county_review", "县级审批", app.due_on, "county")
        return _finish(
            by,
            app,
            row,
            {"reason": reason.strip(), "proposed_amount_fen": proposed, "town_limit_fen": limit},
        )


def record_special_deliberation(
    by: Any,
    application: Application,
    *,
    held_on: dt.date | None,
    participants: list[str],
    hardship: str,
    minutes: str,
    decided_amount_fen: int | None,
    signature: SignatureIn | None,
) -> SpecialDeliberation:
    """一事一议 (STD-6, WF-17, DOC-14): the county's civil-affairs office convenes a collective
    meeting for a 支出型临时救助 of 重大生活困难 and decides an amount above the ordinary band
    (seed 003: 适度提高临时救助标准) and not above the 一事一议 ceiling — both rules parameters.
    The record keeps the participants, the hardship, the minutes and the signed sheet; the
    case's facts carry the decided amount, which the rules engine then pays on approval."""
    names = [n.strip() for n in participants or [] if n and n.strip()]
    today = _today()
    if held_on is None:
        raise InvalidInput("required", "请填写一事一议会议日期", field="held_on")
    if held_on > today:
        raise InvalidInput("invalid_date", "一事一议会议日期不能晚于今天", field="held_on")
    if len(set(names)) != len(names):
        raise InvalidInput("duplicate_participant", "参加人员姓名有重复，请核对", field="participants")
    if not (hardship or "").strip():
        raise InvalidInput("required", "请写明重大生活困难情形，即提高救助标准的理由", field="hardship")
    if not (minutes or "").strip():
        raise InvalidInput("required", "请填写会议纪要（集体研究的意见和议定事项）", field="minutes")
    if decided_amount_fen is None or decided_amount_fen <= 0:
        raise InvalidInput("required", "请填写一事一议决定的救助金额", field="decided_amount_fen")
    if signature is None:
        raise InvalidInput("required", "请上传与会人员签字页的扫描件，或由与会人员在签名板上签字", field="signature")
    with transaction.atomic():
        app, config, row = _begin(by, application, "special_deliberation")
        least = config.special_deliberation_min_participants
        if len(names) < least:
            raise InvalidInput(
                "too_few_participants",
                f"一事一议须集体研究，请填写至少{least}名参加人员（每行一人）",
                field="participants",
            )
        if held_on < timezone.localdate(app.accepted_at):
            raise InvalidInput("invalid_date", "一事一议会议日期不能早于申请受理日期", field="held_on")
        existing = SpecialDeliberation.objects.filter(application=app).first()
        if existing is not None:
            raise DomainError(
                "already_deliberated", f"本案已于{existing.held_on:%Y年%m月%d日}召开一事一议，不能重复录入"
            )
        app.facts = _with_temporary(app.facts, approval_level="deliberation", deliberated_amount_fen=decided_amount_fen)
        result = evaluate(app)
        ordinary = int(_variable(result, "temporary_ordinary_max", 0))
        ceiling = int(_variable(result, "temporary_deliberation_ceiling", 0))
        if decided_amount_fen <= ordinary:
            raise InvalidInput(
                "deliberation_not_above_band",
                f"一事一议决定金额应高于常规程序可批准的最高金额{format_yuan(ordinary)}；"
                "不超过该金额的，按常规程序由县级审批即可",
                field="decided_amount_fen",
            )
        if decided_amount_fen > ceiling:
            raise InvalidInput(
                "deliberation_above_ceiling",
                f"一事一议决定金额不得超过{format_yuan(ceiling)}（一事一议只能适度提高临时救助标准）",
                field="decided_amount_fen",
            )
        if not result["eligible"]:
            failed = "；".join(r["message"] for r in result["reasons"] if not r["passed"])
            raise DomainError("not_eligible", f"按现行标准测算不符合临时救助条件：{failed}")
        doc = _store_meeting_signature(by, app.household, signature)
        item = SpecialDeliberation.objects.create(
            application=app,
            held_on=held_on,
            participants=names,
            hardship=hardship.strip(),
            minutes=minutes.strip(),
            decided_amount_fen=decided_amount_fen,
            ordinary_max_fen=ordinary,
            ceiling_fen=ceiling,
            signature=doc,
            convened_by=user_or_none(by),
            area_code=app.area_code,
            county_code=app.county_code,
        )
        item.minutes_document = _minutes_pdf(by, app, item, config)
        item.save(update_fields=["minutes_document"])
        _finish(
            by,
            app,
            row,
            {
                "special_deliberation": item.pk,
                "held_on": held_on,
                "participants": names,
                "decided_amount_fen": decided_amount_fen,
                "ordinary_max_fen": ordinary,
                "ceiling_fen": ceiling,
            },
        )
    return item


def special_deliberation_bounds(app: Application) -> dict[str, int]:
    """What a 一事一议 for this case may decide, from the rules (read only): above
    ``ordinary_max_fen`` and not above ``ceiling_fen``; ``proposed_fen`` is the ordinary amount.
    The engine computes the bounds for a case with a decided amount, so a probe of 1 fen is
    used; the bounds depend on the kind, the area and the date only."""
    facts = _with_temporary(app.facts, approval_level="deliberation", deliberated_amount_fen=1)
    try:
        result = evaluate_household(app.area_code, _today(), [app.program], facts)[app.program]
    except DomainError:
        return {}
    return {
        "ordinary_max_fen": int(_variable(result, "temporary_ordinary_max", 0)),
        "ceiling_fen": int(_variable(result, "temporary_deliberation_ceiling", 0)),
        "proposed_fen": int(_variable(result, "temporary_proposed", 0)),
    }


def _minutes_pdf(by: Any, app: Application, item: SpecialDeliberation, config: ProcedureConfig) -> Any:
    """一事一议会议纪要 (DOC-14) as a PDF in the family's archive (and so in the dossier)."""
    import base64

    from jiuzhu.web.pdf import render_pdf

    doc = item.signature
    src = ""
    if doc.content_type in ("image/png", "image/jpeg"):
        from jiuzhu.registry.storage import read_bytes

        src = f"data:{doc.content_type};base64,{base64.b64encode(read_bytes(doc.storage_name)).decode()}"
    pdf = render_pdf(
        "applications/special_deliberation_minutes.html",
        {"app": app, "d": item, "config": config, "signature_src": src},
    )
    return store_generated(
        by,
        app.household,
        pdf,
        kind="notice",
        title=f"一事一议会议纪要 {app.number}",
        filename=f"一事一议会议纪要-{app.number}.pdf",
        content_type="application/pdf",
    )


def _store_meeting_signature(by: Any, household: Household, sig: SignatureIn) -> Any:
    """The 一事一议 participants' signatures: one signature-pad drawing (PNG) or a scan of the
    signed sheet (JPG, PNG or PDF), kept in the family's archive with the case."""
    if sig.method not in ("pad", "scan"):
        raise InvalidInput("invalid_choice", "签署方式应为电子签名（pad）或扫描件（scan）", field="signature")
    if not sig.data or len(sig.data) > MAX_SIGNATURE_BYTES:
        raise InvalidInput("invalid_signature", "与会人员签字为空或超过2MB", field="signature")
    kind = _sniff(sig.data)
    if kind not in ("image/png", "image/jpeg", "application/pdf") or (sig.method == "pad" and kind != "image/png"):
        raise InvalidInput("invalid_signature", "与会人员签字应为PNG图片（扫描件可为JPG或PDF）", field="signature")
    ext = _EXT[kind]
    return store_generated(
        by,
        household,
        sig.data,
        kind="signature",
        title="一事一议与会人员签字",
        filename=f"一事一议签字.{ext}",
        content_type=kind,
    )


def _close(by: Any, app: Application) -> None:
    """Final approval: the notice, the recipients' registry, and 一体联动 referrals (LNK-4)."""
    _check_decision(app)
    _meet(app, "publicity")
    _meet(app, "overall")
    notices.issue(
        by,
        "approval",
        intake=app.intake,
        application=app,
        extra={"parameters": (app.trace or {}).get("parameters", [])[:8]},
    )
    signals.decided.send(sender=Application, application=app, by=by, refer=True)


def close_publicity(by: Any, application: Application) -> Application:
    """公示期满无异议 (devolved): the town's decision stands."""
    with transaction.atomic():
        app, _, row = _begin(by, application, "close_publicity")
        if app.publicity_end and _today() <= app.publicity_end:
            raise DomainError("publicity_running", f"公示期至{app.publicity_end:%Y年%m月%d日}，期满后方可办结")
        if app.objections.exists() and not app.deliberations.exists():
            raise DomainError("objection_open", "公示期间有异议，须先组织民主评议")
        _close(by, app)
        return _finish(by, app, row)


def object_(
    by: Any, application: Application, *, raised_by: str, content: str, received_on: dt.date, contact: str = ""
) -> Objection:
    """登记公示异议: who, what, when (WF-*); the case goes to 民主评议."""
    if not raised_by.strip() or not content.strip():
        raise InvalidInput("required", "请填写异议人和异议内容", field="content")
    if received_on > _today():
        raise InvalidInput("invalid_date", "异议收到日期不能晚于今天", field="received_on")
    with transaction.atomic():
        app, _, row = _begin(by, application, "object")
        if app.publicity_start and received_on < app.publicity_start:
            raise InvalidInput(
                "invalid_date",
                f"异议收到日期不能早于公示开始日期（{app.publicity_start:%Y年%m月%d日}）",
                field="received_on",
            )
        objection = Objection.objects.create(
            application=app,
            raised_by=raised_by.strip(),
            content=content.strip(),
            received_on=received_on,
            contact=contact,
            recorded_by=user_or_none(by),
        )
        _finish(by, app, row, {"objection": objection.pk, "raised_by": raised_by, "content": content})
    return objection


def record_deliberation(
    by: Any,
    application: Application,
    *,
    held_on: dt.date,
    participants: str,
    minutes: str,
    votes_for: int,
    votes_against: int,
    votes_abstain: int = 0,
    outcome: str,
) -> Deliberation:
    """民主评议: participants, minutes and vote; the approver then decides."""
    if outcome not in ("uphold", "revoke"):
        raise InvalidInput("invalid_choice", "评议结论应为维持或不予维持", field="outcome")
    if min(votes_for, votes_against, votes_abstain) < 0 or votes_for + votes_against + votes_abstain == 0:
        raise InvalidInput("invalid_votes", "请填写有效的表决票数", field="votes_for")
    if not participants.strip() or not minutes.strip():
        raise InvalidInput("required", "请填写参加人员和评议记录", field="minutes")
    if held_on > _today():
        raise InvalidInput("invalid_date", "民主评议日期不能晚于今天", field="held_on")
    with transaction.atomic():
        app, _, row = _begin(by, application, "record_deliberation")
        last = app.objections.order_by("-received_on").values_list("received_on", flat=True).first()
        if last is not None and held_on < last:
            raise InvalidInput(
                "invalid_date", f"民主评议日期不能早于异议收到日期（{last:%Y年%m月%d日}）", field="held_on"
            )
        item = Deliberation.objects.create(
            application=app,
            held_on=held_on,
            participants=participants.strip(),
            minutes=minutes.strip(),
            votes_for=votes_for,
            votes_against=votes_against,
            votes_abstain=votes_abstain,
            outcome=outcome,
            recorded_by=user_or_none(by),
        )
        _finish(
            by,
            app,
            row,
            {"deliberation": item.pk, "outcome": outcome, "votes": [votes_for, votes_against, votes_abstain]},
        )
    return item


def reinvestigate(by: Any, application: Application, *, reason: str) -> Application:
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写重新调查的原因", field="reason")
    with transaction.atomic():
        app, config, row = _begin(by, application, "reinvestigate")
        app.investigation_done_at = None
        app.decision, app.amount_fen, app.publicity_start, app.publicity_end = "", None, None, None
        _meet(app, "publicity")
        _deadline(
            app,
            "investigation",
            "重新入户调查",
            current_calendar().add_working_days(_today(), config.investigation_days),
        )
        return _finish(by, app, row, {"reason": reason})


def reject(by: Any, application: Application, *, reason_codes: list[str] | None = None, note: str = "") -> Application:
    """不予批准 with reasons chosen from the failed tests plus free text; the notice is issued
    at once (within the 3-working-day limit) and kept in the archive."""
    with transaction.atomic():
        app, config, row = _begin(by, application, "reject")
        _conflict(by, app)
        result = evaluate(app)
        failed = {r["code"]: r["message"] for r in result["reasons"] if not r["passed"]}
        reasons = []
        for code in reason_codes or []:
            if code not in failed:
                raise InvalidInput("invalid_reason", f"理由“{code}”不是本案测算未通过的条件", field="reason_codes")
            reasons.append({"code": code, "message": failed[code]})
        if note.strip():
            reasons.append({"code": "other", "message": note.strip()})
        if not reasons:
            raise InvalidInput("required", "请至少选择或填写一条不予批准的理由", field="reason_codes")
        app.decision, app.decided_at, app.decided_by = "rejected", timezone.now(), user_or_none(by)
        app.rejection_reasons, app.trace = reasons, result["trace"]
        _deadline(
            app,
            "rejection_notice",
            "不予批准告知",
            current_calendar().add_working_days(_today(), config.rejection_notice_days),
        )
        notices.issue(by, "rejection", intake=app.intake, application=app)
        for step in ("rejection_notice", "publicity", "overall", "investigation", "county_review"):
            _meet(app, step)
        return _finish(by, app, row, {"reasons": reasons})


def refuse(by: Any, application: Application, *, reason: str) -> Application:
    """不予受理, with the notice."""
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写不予受理的理由", field="reason")
    with transaction.atomic():
        app, _, row = _begin(by, application, "refuse")
        notices.issue(by, "not_accepted", intake=app.intake, application=app, extra={"reason": reason.strip()})
        for step in ("overall", "investigation", "advance"):
            _meet(app, step)
        return _finish(by, app, row, {"reason": reason})


def return_for_documents(by: Any, application: Application, *, items: list[str], note: str = "") -> Application:
    """退回补正: one 一次性告知书 listing everything; the clock stops until resubmitted."""
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise InvalidInput("required", "请列出需要补正的全部材料（一次性告知）", field="items")
    with transaction.atomic():
        app, _, row = _begin(by, application, "return_for_documents")
        app.missing_documents = [{"name": i, "note": note} for i in items]
        app.paused_on = _today()
        notices.issue(by, "checklist", intake=app.intake, application=app, extra={"missing": app.missing_documents})
        return _finish(by, app, row, {"items": items})


def resubmit(by: Any, application: Application) -> Application:
    """补正完成: the days spent waiting for documents do not count against the limit."""
    with transaction.atomic():
        app, _, row = _begin(by, application, "resubmit")
        calendar = current_calendar()
        if app.paused_on:
            paused = max(0, calendar.working_days_between(app.paused_on, _today()))
            app.due_on = calendar.add_working_days(app.due_on, paused)
            CaseDeadline.objects.filter(application=app, step="overall", met_on__isnull=True).update(due_on=app.due_on)
        app.paused_on, app.missing_documents = None, []
        return _finish(by, app, row, {"due_on": app.due_on})


def withdraw(by: Any, application: Application, *, reason: str) -> Application:
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写撤回原因", field="reason")
    with transaction.atomic():
        app, _, row = _begin(by, application, "withdraw")
        CaseDeadline.objects.filter(application=app, met_on__isnull=True).update(met_on=_today())
        return _finish(by, app, row, {"reason": reason})


def extend(by: Any, application: Application, *, reason: str) -> Application:
    """特殊情况延长办理时限 (national: up to 45 working days), with the reason recorded."""
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写延长办理时限的理由", field="reason")
    with transaction.atomic():
        app, config, row = _begin(by, application, "extend")
        new_due = current_calendar().add_working_days(timezone.localdate(app.accepted_at), config.special_limit_days)
        if new_due <= app.due_on:
            raise DomainError("already_extended", "办理时限已达到特殊情况上限，不能再延长")
        app.due_on, app.extension_reason = new_due, reason.strip()[:200]
        CaseDeadline.objects.filter(application=app, step="overall", met_on__isnull=True).update(due_on=new_due)
        return _finish(by, app, row, {"due_on": new_due, "reason": reason})


def advance_pay(by: Any, application: Application, *, amount_fen: int, note: str = "") -> Application:
    """急难型临时救助 先行救助 within 24 hours (WF-*, seed 004): within the configured band,
    without verification or publicity; formal registration follows within 5 working days."""
    with transaction.atomic():
        app, config, row = _begin(by, application, "advance_pay")
        result = evaluate(app)
        if not result["eligible"]:
            failed = "；".join(r["message"] for r in result["reasons"] if not r["passed"])
            raise DomainError("not_eligible", f"不符合急难型临时救助条件：{failed}")
        cap = result["monthly_amount_fen"]
        if amount_fen <= 0 or amount_fen > cap:
            raise InvalidInput(
                "amount_out_of_band",
                f"先行救助金额应大于0且不超过{cap / 100:.2f}元（按当地标准测算）",
                field="amount_fen",
            )
        from jiuzhu.payments.actions import disburse_from_reserve

        disburse_from_reserve(by, app, amount_fen=amount_fen, note=note)  # 备用金: refused below zero (FND-3)
        app.advance_amount_fen, app.advance_paid_at, app.trace = amount_fen, timezone.now(), result["trace"]
        due = current_calendar().add_working_days(_today(), config.emergency_register_days)
        _meet(app, "advance")
        _deadline(app, "registration", "急难救助补办登记", due)
        notices.issue(by, "advance", intake=app.intake, application=app, extra={"register_due": due})
        return _finish(by, app, row, {"amount_fen": amount_fen, "note": note})


def register_formally(by: Any, application: Application, *, note: str = "") -> Application:
    """补办登记: record the 先行救助 as the decision and close the case."""
    with transaction.atomic():
        app, _, row = _begin(by, application, "register_formally")
        app.decision, app.decided_at, app.decided_by = "approved", timezone.now(), user_or_none(by)
        app.amount_fen = app.advance_amount_fen
        _meet(app, "registration")
        _meet(app, "overall")
        notices.issue(by, "approval", intake=app.intake, application=app)
        signals.decided.send(sender=Application, application=app, by=by, refer=False)
        return _finish(by, app, row, {"note": note})


ACTIONS: dict[str, Callable[..., Any]] = {
    "start_investigation": start_investigation,
    "record_investigation": record_investigation,
    "submit_review": submit_review,
    "propose": propose,
    "approve": approve,
    "escalate": escalate,
    "close_publicity": close_publicity,
    "object": object_,
    "record_deliberation": record_deliberation,
    "reinvestigate": reinvestigate,
    "reject": reject,
    "refuse": refuse,
    "return_for_documents": return_for_documents,
    "resubmit": resubmit,
    "withdraw": withdraw,
    "extend": extend,
    "advance_pay": advance_pay,
    "register_formally": register_formally,
}
