"""登记家庭 and 修改家庭信息, by hand or from department data (INT-3, REG-1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import InvalidInput, NotFound

from ..models import DECIDED_CATEGORIES, Household, Membership, Person
from ..pii import blind_index
from ..validation import Errors, check_member_set, clean_member
from ._common import (
    _apply_member_data,
    _build_person,
    _categories,
    _clean_household_fields,
    _existing_elsewhere,
    _locked,
    _member_summary,
    _raise_on_duplicate,
    _refresh_household_summary,
    village_for,
)


def create_household(
    *,
    by: User,
    area_code: str,
    address: str,
    members: Sequence[Mapping[str, Any]],
    categories: Iterable[str] = (),
    **fields: Any,
) -> Household:
    """登记家庭: create a household with its members (REG-1, INT-3)."""
    require(by, "registry.edit")
    errors = Errors()
    try:
        area = village_for(by, area_code)
    except InvalidInput as exc:
        errors.items.append(exc)
        area = None
    household_data = _clean_household_fields({"address": address, **fields}, errors, partial=False)
    if not members:
        errors.add("required", "请至少登记一名家庭成员", "members")
    paths = [f"members[{i}]" for i in range(len(members))]
    cleaned = [clean_member(raw, path, errors) for raw, path in zip(members, paths, strict=True)]
    valid = [(md, path) for md, path in zip(cleaned, paths, strict=True) if md is not None]
    if len(valid) == len(members) and members:
        check_member_set([md for md, _ in valid], errors, paths)
    reusable = _existing_elsewhere(
        by, [blind_index("id_number", md.id_number) for md, _ in valid], [p for _, p in valid], errors
    )
    category_objs = _categories(categories, errors)
    errors.raise_if_any()
    assert area is not None
    try:
        with transaction.atomic():
            household = Household.objects.create(
                area=area,
                county_code=area.county_code,
                urban_rural=area.urban_rural or "rural",
                created_by=user_or_none(by),
                head_name="",
                **household_data,
            )
            today = timezone.localdate()
            for md, _ in valid:
                person = reusable.get(blind_index("id_number", md.id_number))
                if person is not None:
                    person = Person.objects.select_for_update().get(pk=person.pk)
                    if person.household_id is not None:
                        raise InvalidInput(
                            "person_in_other_household", "该成员刚被登记到其他家庭，请刷新后核对", field="members"
                        )
                    _apply_member_data(person, md, household)
                    person.save()
                else:
                    person = _build_person(md, household, area.code)
                    person.save()
                Membership.objects.create(
                    person=person, household=household, relation=md.relation, joined_on=today, reason_joined="建档登记"
                )
            household.categories.set(category_objs)
            _refresh_household_summary(household)
            household.save(update_fields=["member_count", "head_name"])
            record(
                by,
                "registry.household.create",
                household,
                changes={
                    "area": area.code,
                    "address": household.address,
                    "members": [_member_summary(md) for md, _ in valid],
                    "categories": [c.code for c in category_objs],
                },
            )
    except IntegrityError as exc:
        _raise_on_duplicate(exc)
    return household


def update_household(
    household: Household, *, by: User, version: int | None = None, categories: Iterable[str] | None = None, **data: Any
) -> Household:
    """修改家庭信息."""
    require(by, "registry.edit")
    errors = Errors()
    cleaned = _clean_household_fields(data, errors, partial=True)
    # 低保对象/特困供养人员 already held stay: a clerk neither adds nor removes them
    held = list(household.categories.filter(code__in=DECIDED_CATEGORIES))
    category_objs = _categories(categories, errors, held=[c.code for c in held]) if categories is not None else None
    errors.raise_if_any()
    with transaction.atomic():
        household = _locked(Household, household, version)
        changes = {k: [getattr(household, k), v] for k, v in cleaned.items() if getattr(household, k) != v}
        if category_objs is not None:
            category_objs = [*category_objs, *(c for c in held if c not in category_objs)]
            before = sorted(household.categories.values_list("code", flat=True))
            after = sorted(c.code for c in category_objs)
            if before != after:
                household.categories.set(category_objs)
                changes["categories"] = [before, after]
        if not changes:
            return household
        for key, value in cleaned.items():
            setattr(household, key, value)
        household.version += 1
        household.save()
        record(by, "registry.household.update", household, changes=changes)
    return household


def register_prefilled(raw_id_number: str, *, by: User, area_code: str = "", exclude: Iterable[int] = ()) -> Household:
    """确认并登记家庭 (INT-3): register the household the departments know for this ID number.

    Members, their ID numbers (decrypted from the 户籍人口 register, never taken from the
    page), relations, the 户籍地址 and the facts departments answered go through
    ``create_household`` like any registration. The village is the 户籍地 when it lies in
    the user's jurisdiction; otherwise ``area_code`` (chosen by the clerk) is required.
    Members in ``exclude`` (register record ids) are left out by the clerk's choice.
    """
    from jiuzhu.core.idnumber import parse_id_number

    from ..prefill import find_proposal, registration_members

    require(by, "registry.edit")
    value = parse_id_number(raw_id_number).value
    _, proposal = find_proposal(value, by=by)
    if proposal is None:
        raise NotFound("not_found", "部门户籍数据中没有该身份证号码，请按“登记新家庭”填写")
    code = area_code or (proposal["village"] or {}).get("code", "")
    if not code:
        raise InvalidInput(
            "required", "户籍地不在您的管辖范围内或不是村（社区），请选择家庭所在村（社区）", field="area_code"
        )
    members = registration_members(proposal, exclude=set(exclude))
    return create_household(
        by=by,
        area_code=code,
        address=proposal["address"],
        members=members,
        remarks=f"依据部门数据预填登记（公安户籍户号{proposal['household_no']}，数据日期{proposal['loaded_on']}）",
    )
