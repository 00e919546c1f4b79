"""一门受理、一证申请 (INT-1…INT-3): one visit, one or more applications, their signatures and notices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import InvalidInput
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs.county import intake_materials, runs_engine_program
from jiuzhu.programs.engine import alone_facts, evaluate_household, parameter_store
from jiuzhu.programs.exclusivity import pair_conflicts, urban_of
from jiuzhu.programs.facts import default_facts
from jiuzhu.registry.models import Household, Person
from jiuzhu.verification.models import Authorization

from .. import notices
from ..config import config_for
from ..models import TEMPORARY_KIND_CHOICES, Application, Intake
from ._common import (
    ADULT,
    PROGRAM_NAMES,
    EntrustmentIn,
    SignatureIn,
    _deadline,
    _deadline_in_hours,
    _facts_for,
    _today,
    _urban_checked,
)
from .exclusivity import _check_exclusive, _check_no_duplicate
from .supplements import (
    AUTHORIZATION_NOTE,
    COMMITMENT_ITEM,
    COMMITMENT_NOTE,
    _authorize,
    _commit,
    _record_entrustment,
    authorization_item,
)

# What one-ID intake still needs on paper; everything else comes from department data (一证申请).
EXTRA_DOCUMENTS = {
    "illness": [("医疗费用票据（自付部分）", "重特大疾病支出型临时救助需提供近12个月医疗费用票据")],
    "education": [("教育费用票据", "子女教育支出型临时救助需提供学费、住宿费等票据")],
    "emergency": [("急难事由说明", "火灾、交通事故等急难情况的简要说明或相关证明")],
}


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


# 身份不明人员 (INT-24 受理例外): what ``intake.unidentified_programs`` lets the intake accept
UNIDENTIFIED_ALLOWED = {
    "temporary_emergency": ({"temporary"}, {"emergency"}),
    "temporary": ({"temporary"}, {k for k, _ in TEMPORARY_KIND_CHOICES if k}),
    "none": (set(), set()),
}


def _check_unidentified(household: Household, applicant: Person, programs: list[str], kind: str) -> None:
    """A family with a member registered under a 临时编号 (no ID number yet) may apply only for
    the programs the county's dated setting names (by default 急难型临时救助)."""
    if not applicant.temp_number and not household.members.filter(temp_number__isnull=False).exists():
        return
    setting = str(parameter_store().lookup("intake.unidentified_programs", household.county_code, _today()).value)
    allowed_programs, allowed_kinds = UNIDENTIFIED_ALLOWED.get(setting, (set(), set()))
    for i, program in enumerate(programs):
        if program not in allowed_programs or (program == "temporary" and kind not in allowed_kinds):
            what = {"temporary_emergency": "急难型临时救助", "temporary": "临时救助"}.get(setting, "")
            raise InvalidInput(
                "id_number_required",
                "身份不明人员（临时编号）尚无身份证号码，"
                + (f"本县只受理{what}；" if what else "本县暂不受理其救助申请；")
                + "其他救助须待身份查明、认定身份后申请",
                field=f"programs[{i}]",
            )


def intake(req: IntakeRequest, *, by: User) -> Intake:
    """一门受理、一证申请 (INT-1…INT-3): register one visit with one or more applications,
    signatures, the 受理回执 and, if anything is missing, the 一次性告知书."""
    require(by, "applications.intake")
    household, applicant = req.household, req.applicant
    if user_or_none(by) is not None:  # staff accept only families of their own area (404 outside)
        require_in_scope(by=by, area_code=household.area_id, what="该家庭", field="household")
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
    for i, program in enumerate(req.programs):
        if not runs_engine_program(
            household.county_code, program, req.temporary_kind if program == "temporary" else ""
        ):
            raise InvalidInput(
                "program_not_run",
                f"本县（市、区）未开展“{PROGRAM_NAMES[program]}”"
                + (f"（{dict(TEMPORARY_KIND_CHOICES)[req.temporary_kind]}）" if program == "temporary" else "")
                + "，不能受理此项申请；本县开展的项目见“救助项目库”",
                field=f"programs[{i}]",
            )
    _check_unidentified(household, applicant, req.programs, req.temporary_kind)
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
        {"name": authorization_item(p.name), "note": AUTHORIZATION_NOTE}
        for p in adults
        if p.pk not in signed_ids | already
    ]
    if req.commitment is None:
        missing.append({"name": COMMITMENT_ITEM, "note": COMMITMENT_NOTE})
    for name, note in EXTRA_DOCUMENTS.get(req.temporary_kind, []) if "temporary" in req.programs else []:
        if name not in req.documents_provided:
            missing.append({"name": name, "note": note})
    calendar = current_calendar()
    today = _today()
    with notices.rendered_after(), transaction.atomic():
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
            _record_entrustment(record_intake, req.entrustment, by=by)
        for s in req.authorizations:
            _authorize(household, next(p for p in members if p.pk == s.person_id), s, by=by)
        if req.commitment is not None:
            _commit(record_intake, req.commitment, by=by)
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
            _deadline(app, "overall", "办结时限", app.due_on, level, new_case=True)
            if kind == "emergency":
                hours = config.emergency_advance_hours
                _deadline_in_hours(app, "advance", f"{hours}小时内先行救助", hours, new_case=True)
            else:
                _deadline(
                    app,
                    "investigation",
                    "入户调查与经济状况核对",
                    calendar.add_working_days(today, config.investigation_days),
                    new_case=True,
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
                    "applicant": applicant.pk,  # named (masked) when shown, never stored in clear
                    "missing": [m["name"] for m in missing],
                    "staff_relative_of": getattr(req.staff_relative_of, "username", None),
                },
            )
        notices.issue_after(by, "receipt", intake=record_intake, application=created[0])
        if missing:
            # 一次性告知 (INT-16, INT-18): the county's materials of these programs, abolished proofs left out
            materials = intake_materials(county, req.programs, req.temporary_kind, urban=urban_of(household))
            notices.issue_after(
                by,
                "checklist",
                intake=record_intake,
                application=created[0],
                extra={"missing": missing, "materials": materials},
            )
    return record_intake
