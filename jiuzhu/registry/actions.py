"""State changes of the registry (一户一档). Every one checks permission and jurisdiction,
runs in one transaction and writes its audit row in that transaction (rules 1 and 4)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput, NotFound
from jiuzhu.core.masking import mask_name

from . import storage
from .models import RELATION_ORDER, Document, Household, Membership, Person, TargetCategory
from .pii import blind_index, seal, unseal
from .signals import death_recorded
from .validation import (
    HARDSHIP_DEGREE,
    POVERTY_CAUSE,
    Errors,
    MemberData,
    check_member_set,
    clean_member,
)

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


def create_household(
    by: Any,
    *,
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


def _categories(codes: Iterable[str], errors: Errors) -> list[TargetCategory]:
    wanted = [c for c in codes if c]
    found = list(TargetCategory.objects.filter(code__in=wanted))
    missing = set(wanted) - {c.code for c in found}
    if missing:
        errors.add("unknown_category", f"对象类别无法识别：{'、'.join(sorted(missing))}", "categories")
    return found


def _apply_member_data(person: Person, md: MemberData, household: Household) -> None:
    person.household = household
    person.relation = md.relation
    person.relation_order = RELATION_ORDER.get(md.relation, 99)
    person.area_code, person.county_code = household.area_id, household.county_code
    for key in (
        "name",
        "labour_capacity",
        "health_status",
        "disability_category",
        "disability_grade",
        "marital_status",
        "school_status",
        "employment_status",
        "bank_name",
        "death_date",
    ):
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


def update_household(
    by: Any, household: Household, *, version: int | None = None, categories: Iterable[str] | None = None, **data: Any
) -> Household:
    """修改家庭信息."""
    require(by, "registry.edit")
    errors = Errors()
    cleaned = _clean_household_fields(data, errors, partial=True)
    category_objs = _categories(categories, errors) if categories is not None else None
    errors.raise_if_any()
    with transaction.atomic():
        household = _locked(Household, household, version)
        changes = {k: [getattr(household, k), v] for k, v in cleaned.items() if getattr(household, k) != v}
        if category_objs is not None:
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


def add_member(by: Any, household: Household, data: Mapping[str, Any], *, reason: str = "新增成员") -> Person:
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


def update_member(by: Any, person: Person, data: Mapping[str, Any], *, version: int | None = None) -> Person:
    """修改成员信息. PII fields are re-sealed; the audit row holds masked values only."""
    require(by, "registry.edit")
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


def remove_member(by: Any, person: Person, *, reason: str, left_on: dt.date | None = None) -> Person:
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


def _close_membership(person: Person, household: Household, left_on: dt.date, reason: str) -> None:
    Membership.objects.filter(person=person, household=household, left_on__isnull=True).update(
        left_on=left_on, reason_left=reason
    )


def move_member(by: Any, person: Person, *, to: Household, relation: str, reason: str) -> Person:
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


def look_up_by_id(by: Any, raw_id_number: str) -> Person | None:
    """按身份证号查询 (INT-3): find the person within the user's jurisdiction and audit the
    lookup (masked number, found or not) — an ID lookup is a view of personal data."""
    from jiuzhu.core.idnumber import mask_id_number, parse_id_number

    from .queries import lookup_person

    value = parse_id_number(raw_id_number).value
    person = lookup_person(by, value)
    with transaction.atomic():
        record(
            by,
            "registry.id_lookup.view",
            person.household or person if person is not None else None,
            changes={"id_number": mask_id_number(value), "found": person is not None},
            area_code=person.area_code if person is not None else "",
        )
    return person


def reveal(by: Any, person: Person, field: str) -> str:
    """查看完整信息: decrypt one PII value for an authorized user and audit the view."""
    require(by, "registry.reveal_pii")
    if field not in PII_FIELDS:
        raise InvalidInput("invalid_field", "只能查看身份证号码、联系电话或银行账号", field="field")
    value = unseal(field, getattr(person, f"{field}_enc"))
    with transaction.atomic():
        record(
            by,
            "registry.pii.reveal",
            person.household or person,
            changes={
                "person": person.pk,
                "name": person.name,
                "field": field,
            },
            area_code=person.area_code,
        )
    return value


def attach_document(
    by: Any, household: Household, upload: UploadedFile, *, kind: str, title: str = "", person: Person | None = None
) -> Document:
    """上传档案材料: stored on disk by content hash; the same file twice is refused."""
    require(by, "registry.documents")
    if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
        raise InvalidInput("file_too_large", f"单个材料不得超过{MAX_DOCUMENT_BYTES // 1024 // 1024}MB", field="file")
    if upload.size == 0:
        raise InvalidInput("empty_file", "文件为空，请重新选择", field="file")
    content_type = storage.sniff_content_type(upload)
    if content_type not in ALLOWED_DOCUMENT_TYPES:
        raise InvalidInput("unsupported_file", "仅支持PDF、JPG、PNG、WEBP格式的扫描件或照片", field="file")
    if kind not in dict(Document._meta.get_field("kind").choices or []):
        raise InvalidInput("invalid_choice", "请选择材料类型", field="kind")
    if person is not None and person.household_id != household.pk:
        raise InvalidInput("invalid_person", "所选成员不属于本家庭", field="person")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    sha = digest.hexdigest()
    existing = Document.objects.filter(household=household, sha256=sha).first()
    if existing:
        raise DomainError(
            "duplicate_document", f"该文件已上传过（“{existing.title}”，{existing.uploaded_at:%Y-%m-%d}），无需重复上传"
        )
    try:
        with transaction.atomic():
            doc = Document.objects.create(
                household=household,
                person=person,
                area_code=household.area_id,
                kind=kind,
                title=(title or "").strip()[:100] or (upload.name or "材料")[:100],
                original_name=(upload.name or "")[:200],
                content_type=content_type,
                size=upload.size or 0,
                sha256=sha,
                uploaded_by=user_or_none(by),
            )
            storage.save(doc.storage_name, upload)
            record(
                by,
                "registry.document.attach",
                household,
                changes={
                    "document": doc.pk,
                    "title": doc.title,
                    "kind": kind,
                    "sha256": sha,
                    "person": person.pk if person else None,
                },
            )
    except IntegrityError:
        raise DomainError("duplicate_document", "该文件已上传过，无需重复上传") from None
    return doc


def store_generated(
    by: Any,
    household: Household,
    data: bytes,
    *,
    kind: str,
    title: str,
    filename: str,
    content_type: str,
    person: Person | None = None,
) -> Document:
    """Keep a file the system produced (a notice PDF, a signature image) in the household's
    archive. Runs inside the caller's transaction; the caller's action writes the audit row."""
    sha = hashlib.sha256(data).hexdigest()
    existing: Document | None = Document.objects.filter(household=household, sha256=sha).first()
    if existing is not None:
        return existing
    doc = Document.objects.create(
        household=household,
        person=person,
        area_code=household.area_id,
        kind=kind,
        title=title[:100],
        original_name=filename[:200],
        content_type=content_type,
        size=len(data),
        sha256=sha,
        uploaded_by=user_or_none(by),
    )
    storage.save_bytes(doc.storage_name, data)
    return doc


def register_prefilled(by: Any, raw_id_number: str, *, area_code: str = "", exclude: Iterable[int] = ()) -> Household:
    """确认并登记家庭 (INT-3): register the household the departments know for this ID number.

    Members, their ID numbers (decrypted from the 户籍人口 register, never taken from the
    page), relations, the 户籍地址 and the facts departments answered go through
    ``create_household`` like any registration. The village is the 户籍地 when it lies in
    the user's jurisdiction; otherwise ``area_code`` (chosen by the clerk) is required.
    Members in ``exclude`` (register record ids) are left out by the clerk's choice.
    """
    from jiuzhu.core.idnumber import parse_id_number

    from .prefill import find_proposal, registration_members

    require(by, "registry.edit")
    value = parse_id_number(raw_id_number).value
    _, proposal = find_proposal(by, value)
    if proposal is None:
        raise NotFound("not_found", "部门户籍数据中没有该身份证号码，请按“登记新家庭”填写")
    code = area_code or (proposal["village"] or {}).get("code", "")
    if not code:
        raise InvalidInput(
            "required", "户籍地不在您的管辖范围内或不是村（社区），请选择家庭所在村（社区）", field="area_code"
        )
    members = registration_members(proposal, exclude=set(exclude))
    return create_household(
        by,
        area_code=code,
        address=proposal["address"],
        members=members,
        remarks=f"依据部门数据预填登记（公安户籍户号{proposal['household_no']}，数据日期{proposal['loaded_on']}）",
    )
