"""Validation of household and member input, shared by forms, the API and the importer.

Every problem is collected (not only the first) with a field path such as
``members[1].id_number`` so that a form, a JSON client and a spreadsheet report can each
point at the exact place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from jiuzhu.core.dates import day_label
from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.idnumber import parse_id_number

from . import models as m

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_BANK = re.compile(r"^\d{12,30}$")
_NAME = re.compile(r"^[\u3400-\u9fff\u00b7·A-Za-z \-]{1,32}$")


def _choices(pairs: list[tuple[Any, str]]) -> dict[str, Any]:
    """Accept the stored code or the Chinese label (as spreadsheets carry it)."""
    out: dict[str, Any] = {}
    for code, label in pairs:
        out[str(code)] = code
        out[label] = code
    return out


RELATIONS = _choices(m.RELATION_CHOICES) | {
    "本人": "self",
    "户主": "self",
    "儿子": "child",
    "女儿": "child",
    "父亲": "parent",
    "母亲": "parent",
    "孙子": "grandchild",
    "孙女": "grandchild",
    "外孙子女": "grandchild",
}
LABOUR = _choices(m.LABOUR_CHOICES)
HEALTH = _choices(m.HEALTH_CHOICES)
DISABILITY_CATEGORY = _choices(m.DISABILITY_CATEGORY_CHOICES)
DISABILITY_GRADE = _choices(m.DISABILITY_GRADE_CHOICES) | {"1级": 1, "2级": 2, "3级": 3, "4级": 4}
MARITAL = _choices(m.MARITAL_CHOICES)
SCHOOL = _choices(m.SCHOOL_CHOICES)
EMPLOYMENT = _choices(m.EMPLOYMENT_CHOICES)
POVERTY_CAUSE = _choices(m.POVERTY_CAUSE_CHOICES)
HARDSHIP_DEGREE = _choices(m.HARDSHIP_DEGREE_CHOICES)


class Errors:
    """Collects ``InvalidInput`` problems; ``raise_if_any()`` raises the first with all attached."""

    def __init__(self) -> None:
        self.items: list[InvalidInput] = []

    def add(self, code: str, message: str, field: str) -> None:
        self.items.append(InvalidInput(code, message, field=field))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        extra = len(self.items) - 1
        message = f"{first.message}（另有{extra}处错误）" if extra else first.message
        raise InvalidInput(first.code, message, field=first.field, errors=list(self.items))


@dataclass
class MemberData:  # one member as entered, validated
    name: str
    id_number: str
    relation: str
    birth_date: dt.date
    gender: str
    phone: str = ""
    bank_name: str = ""
    bank_account: str = ""
    labour_capacity: str = "full"
    health_status: str = "healthy"
    disability_category: str = ""
    disability_grade: int | None = None
    marital_status: str = ""
    school_status: str = "none"
    employment_status: str = ""
    death_date: dt.date | None = None
    provided: set[str] = field(default_factory=set)  # keys present in the input


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _pick(
    raw: Mapping[str, Any], key: str, table: dict[str, Any], default: Any, label: str, errors: Errors, path: str
) -> Any:
    value = _text(raw, key)
    if not value:
        return default
    if value not in table:
        allowed = "、".join(k for k in table if not k.isascii())
        errors.add("invalid_choice", f"{label}“{value}”无法识别，可选：{allowed}", f"{path}.{key}")
        return default
    return table[value]


def clean_member(raw: Mapping[str, Any], path: str, errors: Errors, *, partial: bool = False) -> MemberData | None:
    """Validate one member; ``partial`` (edits) only checks the keys present."""
    start = len(errors.items)
    name = _text(raw, "name")
    if not partial or "name" in raw:
        if not name:
            errors.add("required", "请填写姓名", f"{path}.name")
        elif not _NAME.match(name):
            errors.add("invalid_name", "姓名只能包含汉字、字母和间隔号“·”，且不超过32个字", f"{path}.name")
    id_value, birth, gender = "", dt.date(1900, 1, 1), "M"
    if not partial or "id_number" in raw:
        try:
            parsed = parse_id_number(_text(raw, "id_number"), field=f"{path}.id_number")
        except InvalidInput as exc:
            errors.items.append(exc)
        else:
            id_value, birth, gender = parsed.value, parsed.birth_date, parsed.gender
            given_birth = raw.get("birth_date")
            if given_birth and str(given_birth)[:10] != birth.isoformat():
                errors.add(
                    "birth_date_mismatch",
                    f"出生日期与身份证号码不一致（身份证号码显示为{day_label(birth)}）",
                    f"{path}.birth_date",
                )
            given_gender = _text(raw, "gender")
            if given_gender and {"男": "M", "女": "F"}.get(given_gender, given_gender) != gender:
                errors.add(
                    "gender_mismatch",
                    f"性别与身份证号码不一致（身份证号码显示为{'男' if gender == 'M' else '女'}）",
                    f"{path}.gender",
                )
    relation = _pick(raw, "relation", RELATIONS, "", "与户主关系", errors, path)
    if (
        not relation
        and (not partial or "relation" in raw)
        and not any(e.field == f"{path}.relation" for e in errors.items)
    ):
        errors.add("required", "请选择与户主关系", f"{path}.relation")
    phone = re.sub(r"[\s]", "", _text(raw, "phone"))
    if phone and not _PHONE.match(phone):
        errors.add("invalid_phone", "联系电话应为11位手机号或带区号的固定电话", f"{path}.phone")
    bank_account = re.sub(r"[\s-]", "", _text(raw, "bank_account"))
    if bank_account and not _BANK.match(bank_account):
        errors.add("invalid_bank_account", "银行账号应为12至30位数字", f"{path}.bank_account")
    bank_name = _text(raw, "bank_name")
    if bank_account and not bank_name and (not partial or "bank_name" in raw):
        errors.add("required", "填写银行账号时请同时填写开户银行", f"{path}.bank_name")
    labour = _pick(raw, "labour_capacity", LABOUR, "full", "劳动能力", errors, path)
    health = _pick(raw, "health_status", HEALTH, "healthy", "健康状况", errors, path)
    category = _pick(raw, "disability_category", DISABILITY_CATEGORY, "", "残疾类别", errors, path)
    grade = _pick(raw, "disability_grade", DISABILITY_GRADE, None, "残疾等级", errors, path)
    if grade and not category:
        errors.add("required", "填写残疾等级时请同时选择残疾类别", f"{path}.disability_category")
    if category and not grade:
        errors.add("required", "选择残疾类别时请同时填写残疾等级", f"{path}.disability_grade")
    if category and health == "healthy":
        health = "disabled"
    marital = _pick(raw, "marital_status", MARITAL, "", "婚姻状况", errors, path)
    school = _pick(raw, "school_status", SCHOOL, "none", "在校情况", errors, path)
    employment = _pick(raw, "employment_status", EMPLOYMENT, "", "就业状况", errors, path)
    death_date = None
    if raw.get("death_date"):
        try:
            death_date = dt.date.fromisoformat(str(raw["death_date"])[:10])
        except ValueError:
            errors.add("invalid_date", "死亡日期格式应为“2026-01-31”", f"{path}.death_date")
        else:
            if death_date > timezone.localdate():
                errors.add(
                    "invalid_date", f"死亡日期不能晚于今天（{day_label(timezone.localdate())}）", f"{path}.death_date"
                )
            elif id_value and death_date < birth:
                errors.add("invalid_date", f"死亡日期不能早于出生日期（{day_label(birth)}）", f"{path}.death_date")
    if len(errors.items) > start:
        return None
    return MemberData(
        name=name,
        id_number=id_value,
        relation=relation,
        birth_date=birth,
        gender=gender,
        phone=phone,
        bank_name=bank_name,
        bank_account=bank_account,
        labour_capacity=labour,
        health_status=health,
        disability_category=category,
        disability_grade=grade,
        marital_status=marital,
        school_status=school,
        employment_status=employment,
        death_date=death_date,
        provided={k for k, v in raw.items() if v not in (None, "")} | ({"relation"} if "relation" in raw else set()),
    )


def check_member_set(members: list[MemberData], errors: Errors, paths: list[str]) -> None:
    """Household-level rules: one head, at most one spouse, no ID twice."""
    heads = [i for i, md in enumerate(members) if md.relation == "self"]
    if len(heads) == 0:
        errors.add(
            "head_required",
            "家庭成员中须有且仅有一名户主（与户主关系为“本人”）",
            f"{paths[0] if paths else 'members'}.relation",
        )
    elif len(heads) > 1:
        errors.add("multiple_heads", "一个家庭只能有一名户主（与户主关系为“本人”）", f"{paths[heads[1]]}.relation")
    spouses = [i for i, md in enumerate(members) if md.relation == "spouse"]
    if len(spouses) > 1:
        errors.add("multiple_spouses", "户主配偶只能有一人", f"{paths[spouses[1]]}.relation")
    seen: dict[str, int] = {}
    for i, md in enumerate(members):
        if md.id_number in seen:
            errors.add(
                "duplicate_id_number", f"身份证号码与第{seen[md.id_number] + 1}名成员重复", f"{paths[i]}.id_number"
            )
        else:
            seen[md.id_number] = i
