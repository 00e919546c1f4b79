"""The department's side: 接收, 补充信息 and the town's reply, 退回, and the audited full ID number."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import unseal

from ..models import Referral
from ._common import _begin, _save


def accept(referral: Referral, *, by: User) -> Referral:
    """接收: the department takes the referral on."""
    with transaction.atomic():
        ref = _begin(referral, by=by, department_side=True)
        if ref.status != "open":
            raise DomainError("invalid_state", f"派单当前为“{ref.get_status_display()}”，不能接收")
        ref.status, ref.accepted_at, ref.handled_by = "accepted", timezone.now(), by
        return _save(ref, "accept", {}, by=by)


def request_info(referral: Referral, *, by: User, question: str) -> Referral:
    """补充信息: the department asks the town for what it still needs."""
    if not (question or "").strip():
        raise InvalidInput("required", "请写明需要补充的信息", field="question")
    with transaction.atomic():
        ref = _begin(referral, by=by, department_side=True)
        ref.status, ref.info_request, ref.handled_by = "info_requested", question.strip(), by
        ref.accepted_at = ref.accepted_at or timezone.now()
        return _save(ref, "request_info", {"question": question}, by=by)


def reply_info(referral: Referral, *, by: User, answer: str) -> Referral:
    """The town answers the department's question; the referral is back with the department."""
    if not (answer or "").strip():
        raise InvalidInput("required", "请填写补充的信息", field="answer")
    with transaction.atomic():
        ref = _begin(referral, by=by, department_side=False)
        if ref.status != "info_requested":
            raise DomainError("invalid_state", "部门未要求补充信息")
        ref.status, ref.info_reply = "accepted", answer.strip()
        return _save(ref, "reply_info", {"answer": answer}, by=by)


def return_(referral: Referral, *, by: User, reason: str) -> Referral:
    """退回: not this department's matter (分办有误), with the reason."""
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写退回理由", field="reason")
    with transaction.atomic():
        ref = _begin(referral, by=by, department_side=True)
        ref.status, ref.result_note, ref.closed_at, ref.handled_by = "returned", reason.strip(), timezone.now(), by
        return _save(ref, "return", {"reason": reason}, by=by)


def reveal(referral: Referral, person_id: int, *, by: User) -> str:
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
