"""What the registry's actions share: field lists, the village check, member cleaning and
building, the duplicate-person check, locking and household summaries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError

from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.masking import mask_name

from ..models import DECIDED_CATEGORIES, RELATION_ORDER, Household, Membership, Person, TargetCategory
from ..pii import seal
from ..validation import HARDSHIP_DEGREE, POVERTY_CAUSE, Errors, MemberData

PERSON_FIELDS = (
    "name",
    "relation",
    "labour_capacity",
    "health_status",
    "disability_category",
    "disability_grade",
    "marital_status",
    "school_status",
    "employment_status",
    "bank_name",
    "death_date",
)


PII_FIELDS = ("id_number", "phone", "bank_account")


MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


ALLOWED_DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
}


def village_for(user: Any, area_code: str, field: str = "area_code") -> Area:
    """The village a household may be registered in by ``user``, or ``InvalidInput``."""
    code = (area_code or "").strip()
    if not code:
        raise InvalidInput("required", "请选择家庭所在村（社区）", field=field)
    area = Area.objects.filter(code=code.ljust(12, "0")).first()
    if area is None:
        raise InvalidInput("unknown_area", f"区划代码{code}不存在", field=field)
    if area.level != "village":
        raise InvalidInput("area_not_village", f"“{area.name}”不是村（社区），家庭须登记到村（社区）", field=field)
    require_in_scope(by=user, area_code=area.code, what="该村（社区）", field=field)
    return area


def _clean_household_fields(data: Mapping[str, Any], errors: Errors, *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "address" in data or not partial:
        address = str(data.get("address") or "").strip()
        if not address:
            errors.add("required", "请填写家庭住址", "address")
        elif len(address) > 200:
            errors.add("too_long", "家庭住址不得超过200字", "address")
        out["address"] = address
    for key, table, label in (
        ("poverty_cause", POVERTY_CAUSE, "致贫原因"),
        ("hardship_degree", HARDSHIP_DEGREE, "困难程度"),
    ):
        if key in data:
            value = str(data.get(key) or "")
            if value and value not in table:
                errors.add("invalid_choice", f"{label}“{value}”无法识别", key)
            out[key] = table.get(value, "")
    if "rigid_expense_yearly_fen" in data:
        amount = data.get("rigid_expense_yearly_fen") or 0
        if not isinstance(amount, int) or amount < 0:
            errors.add("invalid_amount", "年刚性支出须为不小于0的金额", "rigid_expense_yearly_fen")
        out["rigid_expense_yearly_fen"] = amount
    if "remarks" in data:
        out["remarks"] = str(data.get("remarks") or "")[:2000]
    return out


def _build_person(md: MemberData, household: Household | None, area_code: str) -> Person:
    sealed_id = seal("id_number", md.id_number)
    person = Person(
        household=household,
        relation=md.relation,
        relation_order=RELATION_ORDER.get(md.relation, 99),
        area_code=area_code,
        county_code=area_code[:6],
        name=md.name,
        gender=md.gender,
        birth_date=md.birth_date,
        id_number_enc=sealed_id.encrypted,
        id_number_index=sealed_id.index,
        id_number_masked=sealed_id.masked,
        labour_capacity=md.labour_capacity,
        health_status=md.health_status,
        disability_category=md.disability_category,
        disability_grade=md.disability_grade,
        marital_status=md.marital_status,
        school_status=md.school_status,
        employment_status=md.employment_status,
        bank_name=md.bank_name,
        death_date=md.death_date,
    )
    _set_phone(person, md.phone)
    _set_bank_account(person, md.bank_account)
    return person


def _set_phone(person: Person, phone: str) -> None:
    if phone:
        sealed = seal("phone", phone)
        person.phone_enc, person.phone_masked = sealed.encrypted, sealed.masked
    else:
        person.phone_enc, person.phone_masked = None, ""


def _set_bank_account(person: Person, account: str) -> None:
    if account:
        sealed = seal("bank_account", account)
        person.bank_account_enc = sealed.encrypted
        person.bank_account_index = sealed.index
        person.bank_account_masked = sealed.masked
    else:
        person.bank_account_enc, person.bank_account_index, person.bank_account_masked = None, "", ""


def _member_summary(md: MemberData) -> dict[str, str]:
    return {"name": md.name, "id_number": md.id_number, "relation": md.relation}


def _existing_elsewhere(
    user: Any, indexes: list[str], paths: list[str], errors: Errors, household: Household | None = None
) -> dict[str, Person]:
    """Persons already registered with these ID numbers; errors for those in another household.

    A person with no current household (moved out earlier) is returned for re-use, keeping
    one record per person. The message never reveals an out-of-jurisdiction household.
    """
    found = {
        p.id_number_index: p for p in Person.objects.filter(id_number_index__in=indexes).select_related("household")
    }
    visible_ids = set(Person.objects.visible_to(user).filter(id_number_index__in=indexes).values_list("id", flat=True))
    reusable: dict[str, Person] = {}
    for index, path in zip(indexes, paths, strict=True):
        person = found.get(index)
        if person is None:
            continue
        if person.household_id is None:
            reusable[index] = person
        elif household is not None and person.household_id == household.pk:
            errors.add("duplicate_id_number", "该成员已在本家庭中", f"{path}.id_number")
        elif person.id in visible_ids:
            errors.add(
                "person_in_other_household",
                f"该身份证号码已登记在{mask_name(person.household.head_name)}户（家庭编号{person.household_id}），"
                "同一人只能属于一个家庭，请通过“成员迁移”办理",
                f"{path}.id_number",
            )
        else:
            errors.add(
                "person_in_other_household",
                "该身份证号码已登记在其他地区的家庭中，同一人只能属于一个家庭，请联系原登记地办理迁出",
                f"{path}.id_number",
            )
    return reusable


def _refresh_household_summary(household: Household) -> None:
    members = list(household.members.values_list("relation", "name"))
    household.member_count = len(members)
    household.head_name = next((name for rel, name in members if rel == "self"), members[0][1] if members else "")


def _raise_on_duplicate(exc: IntegrityError) -> None:
    raise InvalidInput(
        "duplicate_id_number",
        "身份证号码已被登记（可能有他人同时提交了同一人），请刷新页面后核对",
        field="members",
    ) from exc


def _categories(codes: Iterable[str], errors: Errors, *, held: Iterable[str] = ()) -> list[TargetCategory]:
    """The categories ticked by hand; 低保对象 and 特困供养人员 are refused unless the household
    already ``held`` them (they follow from an approval)."""
    wanted = [c for c in codes if c]
    found = list(TargetCategory.objects.filter(code__in=wanted))
    missing = set(wanted) - {c.code for c in found}
    if missing:
        errors.add("unknown_category", f"对象类别无法识别：{'、'.join(sorted(missing))}", "categories")
    decided = [c.name for c in found if c.code in DECIDED_CATEGORIES and c.code not in set(held)]
    if decided:
        errors.add(
            "category_by_decision",
            f"{'、'.join(decided)}须经申请审批认定，不能手工标记；请为该家庭受理申请",
            "categories",
        )
    return found


def _apply_member_data(person: Person, md: MemberData, household: Household) -> None:
    person.household = household
    person.relation = md.relation
    person.relation_order = RELATION_ORDER.get(md.relation, 99)
    person.area_code, person.county_code = household.area_id, household.county_code
    for key in PERSON_FIELDS:  # relation again: the same value
        setattr(person, key, getattr(md, key))
    if md.phone:
        _set_phone(person, md.phone)
    if md.bank_account:
        _set_bank_account(person, md.bank_account)


def _locked(model: type[Any], obj: Any, version: int | None) -> Any:
    fresh = model.objects.select_for_update().get(pk=obj.pk)
    if version is not None and fresh.version != version:
        raise DomainError("stale_version", "该信息已被他人修改，请刷新页面后重新编辑")
    return fresh


def _close_membership(person: Person, household: Household, left_on: dt.date, reason: str) -> None:
    Membership.objects.filter(person=person, household=household, left_on__isnull=True).update(
        left_on=left_on, reason_left=reason
    )
