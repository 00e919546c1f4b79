"""Members of a household: 增加, 修改, 迁出 and 迁移 (REG-2, DYN-7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput, NotFound

from ..models import RELATION_ORDER, Household, Membership, Person
from ..pii import blind_index, seal, unseal
from ..signals import death_recorded
from ..validation import Errors, clean_member
from ._common import (
    PERSON_FIELDS,
    _apply_member_data,
    _build_person,
    _close_membership,
    _existing_elsewhere,
    _locked,
    _member_summary,
    _raise_on_duplicate,
    _refresh_household_summary,
    _set_bank_account,
    _set_phone,
)
from .unidentified import unidentified_edit


def add_member(household: Household, data: Mapping[str, Any], *, by: User, reason: str = "新增成员") -> Person:
    """增加家庭成员 (birth, marriage, moving in)."""
    require(by, "registry.edit")
    errors = Errors()
    md = clean_member(data, "member", errors)
    if md is not None:
        existing = [(p.relation, p.id_number_index) for p in household.members.all()]
        if md.relation == "self" and any(rel == "self" for rel, _ in existing):
            errors.add("multiple_heads", "本家庭已有户主，新成员与户主关系不能为“本人”", "member.relation")
        if md.relation == "spouse" and any(rel == "spouse" for rel, _ in existing):
            errors.add("multiple_spouses", "户主配偶只能有一人", "member.relation")
        reusable = _existing_elsewhere(by, [blind_index("id_number", md.id_number)], ["member"], errors, household)
    errors.raise_if_any()
    assert md is not None
    try:
        with transaction.atomic():
            household = _locked(Household, household, None)
            found = reusable.get(blind_index("id_number", md.id_number))
            person: Person
            if found is not None:
                person = Person.objects.select_for_update().get(pk=found.pk)
                _apply_member_data(person, md, household)
                person.version += 1
                person.save()
            else:
                person = _build_person(md, household, household.area_id)
                person.save()
            Membership.objects.create(
                person=person,
                household=household,
                relation=md.relation,
                joined_on=timezone.localdate(),
                reason_joined=reason,
            )
            _refresh_household_summary(household)
            household.version += 1
            household.save(update_fields=["member_count", "head_name", "version", "updated_at"])
            record(by, "registry.member.add", household, changes={"member": _member_summary(md), "reason": reason})
    except IntegrityError as exc:
        _raise_on_duplicate(exc)
    return person


def update_member(person: Person, data: Mapping[str, Any], *, by: User, version: int | None = None) -> Person:
    """修改成员信息. PII fields are re-sealed; the audit row holds masked values only."""
    require(by, "registry.edit")
    data = unidentified_edit(person, data)  # INT-24: no ID number to check; an ID comes by 认定身份
    errors = Errors()
    md = clean_member(data, "member", errors, partial=True)
    if md is not None and "id_number" in md.provided:
        index = blind_index("id_number", md.id_number)
        clash = Person.objects.filter(id_number_index=index).exclude(pk=person.pk).exists()
        if clash:
            errors.add("duplicate_id_number", "该身份证号码已登记为另一人，请核对", "member.id_number")
    if md is not None and "relation" in md.provided and person.household is not None:
        others = person.household.members.exclude(pk=person.pk).values_list("relation", flat=True)
        if md.relation == "self" and "self" in others:
            errors.add("multiple_heads", "本家庭已有户主，请先修改原户主的关系", "member.relation")
        if md.relation == "spouse" and "spouse" in others:
            errors.add("multiple_spouses", "户主配偶只能有一人", "member.relation")
        if person.relation == "self" and md.relation != "self" and "self" not in others:
            errors.add("head_required", "家庭须有一名户主；变更户主时请先将另一成员设为“本人”", "member.relation")
    errors.raise_if_any()
    assert md is not None
    with transaction.atomic():
        person = _locked(Person, person, version)
        changes: dict[str, Any] = {}
        for key in PERSON_FIELDS:
            if key in md.provided or (
                key in data and key in ("disability_category", "disability_grade", "bank_name", "death_date")
            ):
                new = getattr(md, key)
                if getattr(person, key) != new:
                    changes[key] = [getattr(person, key), new]
                    setattr(person, key, new)
        if "health_status" in changes or "disability_category" in md.provided:
            person.health_status = md.health_status
        if "id_number" in md.provided:
            old = unseal("id_number", person.id_number_enc)
            if old != md.id_number:
                sealed = seal("id_number", md.id_number)
                person.id_number_enc, person.id_number_index, person.id_number_masked = (
                    sealed.encrypted,
                    sealed.index,
                    sealed.masked,
                )
                person.birth_date, person.gender = md.birth_date, md.gender
                changes["id_number"] = [old, md.id_number]
        if "phone" in data:
            old = unseal("phone", person.phone_enc)
            if old != md.phone:
                _set_phone(person, md.phone)
                changes["phone"] = [old, md.phone]
        if "bank_account" in data:
            old = unseal("bank_account", person.bank_account_enc)
            if old != md.bank_account:
                _set_bank_account(person, md.bank_account)
                changes["bank_account"] = [old, md.bank_account]
        if not changes:
            return person
        person.relation_order = RELATION_ORDER.get(person.relation, 99)
        person.version += 1
        person.save()
        if person.household_id:
            household = Household.objects.select_for_update().get(pk=person.household_id)
            _refresh_household_summary(household)
            household.save(update_fields=["member_count", "head_name", "updated_at"])
            record(
                by, "registry.member.update", household, changes={"person": person.pk, "name": person.name, **changes}
            )
        else:
            record(by, "registry.member.update", person, changes=changes)
        if "death_date" in changes and person.death_date is not None:
            death_recorded.send(sender=Person, by=by, person=person)  # a death stops the money (DYN-7)
    return person


def remove_member(person: Person, *, by: User, reason: str, left_on: dt.date | None = None) -> Person:
    """成员迁出 (death, marriage, moving away): the person leaves; history is kept."""
    require(by, "registry.edit")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("required", "请填写迁出原因", field="reason")
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.household_id is None:
            raise DomainError("not_in_household", "该成员当前不在任何家庭中")
        household = Household.objects.select_for_update().get(pk=person.household_id)
        if person.relation == "self" and household.members.count() > 1:
            raise DomainError("head_must_stay", "户主迁出前，请先将另一名成员设为户主（与户主关系为“本人”）")
        _close_membership(person, household, left_on or timezone.localdate(), reason)
        person.household, person.relation = None, ""
        person.version += 1
        person.save()
        _refresh_household_summary(household)
        household.version += 1
        household.save(update_fields=["member_count", "head_name", "version", "updated_at"])
        record(
            by,
            "registry.member.remove",
            household,
            changes={"person": person.pk, "name": person.name, "reason": reason},
        )
    return person


def move_member(person: Person, *, by: User, to: Household, relation: str, reason: str) -> Person:
    """成员迁移: move a person to another household of the user's jurisdiction."""
    require(by, "registry.edit")
    errors = Errors()
    md_relation = clean_member({"relation": relation}, "member", errors, partial=True)
    if not (reason or "").strip():
        errors.add("required", "请填写迁移原因", "reason")
    errors.raise_if_any()
    assert md_relation is not None
    relation = md_relation.relation
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        target = Household.objects.visible_to(by).select_for_update().filter(pk=to.pk).first()
        if target is None:
            raise NotFound("not_found", "目标家庭不存在或不在您的管辖范围内")
        if person.household_id == target.pk:
            raise DomainError("same_household", "该成员已在目标家庭中")
        relations = list(target.members.values_list("relation", flat=True))
        if relation == "self" and "self" in relations:
            raise InvalidInput("multiple_heads", "目标家庭已有户主", field="relation")
        if relation == "spouse" and "spouse" in relations:
            raise InvalidInput("multiple_spouses", "目标家庭户主已有配偶", field="relation")
        source = None
        if person.household_id:
            source = Household.objects.select_for_update().get(pk=person.household_id)
            if person.relation == "self" and source.members.count() > 1:
                raise DomainError("head_must_stay", "户主迁出前，请先将另一名成员设为户主（与户主关系为“本人”）")
            _close_membership(person, source, timezone.localdate(), reason)
        person.household = target
        person.relation, person.relation_order = relation, RELATION_ORDER.get(relation, 99)
        person.area_code, person.county_code = target.area_id, target.county_code
        person.version += 1
        person.save()
        Membership.objects.create(
            person=person, household=target, relation=relation, joined_on=timezone.localdate(), reason_joined=reason
        )
        for household in filter(None, (source, target)):
            _refresh_household_summary(household)
            household.version += 1
            household.save(update_fields=["member_count", "head_name", "version", "updated_at"])
        change = {
            "person": person.pk,
            "name": person.name,
            "from": source.pk if source else None,
            "to": target.pk,
            "relation": relation,
            "reason": reason,
        }
        if source is not None:
            record(by, "registry.member.move_out", source, changes=change)
        record(by, "registry.member.move_in", target, changes=change)
    return person
