"""办理结果 (LNK-3): granted help enters the 社会救助对象基础信息库 and the 服务清单 once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.core.errors import InvalidInput
from jiuzhu.registry.models import Person

from ..models import AssistanceRecord, Referral
from ._common import _begin, _save


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
    referral: Referral,
    *,
    by: User,
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
        ref = _begin(referral, by=by, department_side=True)
        return _record_result(
            ref,
            by=by,
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
    ref: Referral,
    *,
    by: User,
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
        ref,
        action,
        {
            "granted": granted,
            "amount_fen": ref.granted_amount_fen if granted else None,
            "recipients": [{"person_id": r.person_id, "amount_fen": r.amount_fen} for r in given],
            "note": note,
            "granted_from": granted_from,
            "granted_to": granted_to,
            **(extra or {}),
        },
        by=by,
    )
