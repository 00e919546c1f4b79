"""Signatures and papers that come with or after an intake: 核对授权书, 诚信承诺书, 申请委托
(帮办代办) and 补充授权/补正材料."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.core.errors import InvalidInput
from jiuzhu.registry.actions import store_generated
from jiuzhu.registry.models import Household, Person
from jiuzhu.verification.models import Authorization

from .. import notices
from ..models import Application, Commitment, Entrustment, Intake
from ._common import (
    _EXT,
    ADULT,
    EntrustmentIn,
    MaterialIn,
    SignatureIn,
    _begin,
    _finish,
    _sniff,
    _store_signature,
    _today,
)


def _authorize(household: Household, person: Person, sig: SignatureIn, app: Any = None, *, by: User) -> Authorization:
    """家庭经济状况核对授权书 of one adult, signed on the pad or scanned (先授权、后核对)."""
    return Authorization.objects.create(
        person=person,
        household=household,
        application=app,
        area_code=household.area_id,
        method=sig.method,
        document=_store_signature(household, person, sig, "核对授权书", by=by),
        recorded_by=user_or_none(by),
    )


def _commit(record_intake: Intake, sig: SignatureIn, *, by: User) -> Commitment:
    """诚信承诺书 of the applicant."""
    doc = _store_signature(record_intake.household, record_intake.applicant, sig, "诚信承诺书", by=by)
    return Commitment.objects.create(
        intake=record_intake, person=record_intake.applicant, method=sig.method, document=doc
    )


def _record_entrustment(intake_record: Intake, e: EntrustmentIn, *, by: User) -> Entrustment:
    principal = intake_record.household.members.get(pk=e.principal_id)
    doc = _store_signature(intake_record.household, principal, e.signature, "申请委托书", by=by)
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

# The 一次性告知书's signature items: only the member's own signature clears them.
AUTHORIZATION_NOTE = "每名成年家庭成员本人签字（可在窗口电子签名）"
COMMITMENT_ITEM = "诚信承诺书（申请人）"
COMMITMENT_NOTE = "申请人本人签字"


def authorization_item(name: str) -> str:
    """The 一次性告知书's line for one adult's 家庭经济状况核对授权书."""
    return f"家庭经济状况核对授权书（{name}）"


def is_signature_item(name: str) -> bool:
    """A 授权书 or the 承诺书: signed by the member at the window, never supplied as a photo."""
    return name == COMMITMENT_ITEM or name.startswith("家庭经济状况核对授权书（")


def unsigned_adults(household: Household) -> list[Person]:
    """Adult members without a valid 授权书 (先授权、后核对 waits for them)."""
    signed = set(Authorization.objects.valid().filter(household=household).values_list("person_id", flat=True))
    members = household.members.filter(death_date__isnull=True).order_by("pk")
    return [p for p in members if p.age_on(_today()) >= ADULT and p.pk not in signed]


def still_to_sign(application: Application) -> list[dict[str, str]]:
    """The signatures the case still waits for: the unsigned ones on its missing list, then the
    授权书 of an adult who joined the household (or came of age) since, which the visit waits
    for too. 退回补正 and 补正完成 keep them: the clerk's documents do not replace a signature."""
    pending = [authorization_item(p.name) for p in unsigned_adults(application.household)]
    if not Commitment.objects.filter(intake=application.intake_id).exists():
        pending.append(COMMITMENT_ITEM)
    listed = [item for item in application.missing_documents if item["name"] in pending]
    named = {item["name"] for item in listed}
    return listed + [
        {"name": name, "note": AUTHORIZATION_NOTE if name != COMMITMENT_ITEM else COMMITMENT_NOTE}
        for name in pending
        if name not in named
    ]


def supplement(
    application: Application,
    *,
    by: User,
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
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "supplement", by=by)
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
            _authorize(household, person, s, app, by=by)
            signed.add(person.pk)
            satisfied.append(authorization_item(person.name))
        if commitment is not None:
            if Commitment.objects.filter(intake=record_intake).exists():
                raise InvalidInput("already_signed", "诚信承诺书已签署，无须重复签署", field="commitment")
            _commit(record_intake, commitment, by=by)
            satisfied.append(COMMITMENT_ITEM)
        for m in materials:
            store_generated(
                household,
                m.data,
                by=by,
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
            app, row, {"supplied": satisfied, "still_missing": [i["name"] for i in app.missing_documents]}, by=by
        )
