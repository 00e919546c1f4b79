"""户籍人口 (公安 户籍 register): load the county's snapshot, all or nothing (INT-3).

Columns: 户号, 与户主关系, 姓名, 身份证号码, 户籍地址, 户籍地区划代码 — one row per person, as
the 公安 户政 system exports it (.xlsx, or .csv in UTF-8 or GBK). Every row is checked; one
error means nothing is written and every error is returned with its row number. A valid
file replaces the county's previous records (the register is a snapshot, not a history).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import Forbidden, InvalidInput
from jiuzhu.core.idnumber import parse_id_number
from jiuzhu.web.files import ImportRejected, RowError, column_keys, header_of, read_table

from .models import PopulationRecord
from .pii import seal

# (key, header)
COLUMNS: list[tuple[str, str]] = [
    ("household_no", "户号"),
    ("relation", "与户主关系"),
    ("name", "姓名"),
    ("id_number", "身份证号码"),
    ("address", "户籍地址"),
    ("area_code", "户籍地区划代码"),
]
HEADERS = [header for _, header in COLUMNS]
HEADER_TO_KEY = {header: key for key, header in COLUMNS}
# 与户主关系 as 户籍 writes it → the registry's relation codes (anything else: other).
RELATION_OF = {
    "户主": "self",
    "本人": "self",
    "配偶": "spouse",
    "妻": "spouse",
    "夫": "spouse",
    "子": "child",
    "女": "child",
    "儿子": "child",
    "女儿": "child",
    "长子": "child",
    "次子": "child",
    "长女": "child",
    "次女": "child",
    "父亲": "parent",
    "母亲": "parent",
    "孙子": "grandchild",
    "孙女": "grandchild",
    "外孙子": "grandchild",
    "外孙女": "grandchild",
    "兄": "sibling",
    "弟": "sibling",
    "姐": "sibling",
    "妹": "sibling",
    "哥哥": "sibling",
    "弟弟": "sibling",
    "姐姐": "sibling",
    "妹妹": "sibling",
}
_AREA_CODE = re.compile(r"^\d{12}$")
# Who may load it: the 公安 department's data user, or whoever manages the data catalog.
POLICE_DEPARTMENT = "gongan"


@dataclass(frozen=True)
class LoadResult:
    households: int
    persons: int
    replaced: int
    county_code: str


def may_load(user: Any) -> bool:
    """The 公安 department user (``sources.upload``, department 公安) or a data-catalog
    manager (``sources.manage``) of the county; see docs/decisions.md."""
    if getattr(user, "is_superuser", False):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm_code("sources.manage"):
        return True
    department = getattr(user, "department", None)
    return bool(user.has_perm_code("sources.upload") and department and department.code == POLICE_DEPARTMENT)


def _require(user: Any) -> None:
    if not may_load(user):
        role = getattr(getattr(user, "role_info", None), "name", "当前角色")
        raise Forbidden("permission_denied", f"{role}无权上传户籍人口数据（须为公安部门数据账号或数据目录管理员）")


def _county_of(by: Any, county_code: str | None) -> str:
    area = getattr(by, "area", None)
    if area is not None:
        return str(area.code[:6])
    if county_code and getattr(by, "is_superuser", False):
        return county_code[:6]
    raise InvalidInput("no_county", "上传账号未设置所属区划，无法确定户籍数据所属县（区）", field="county_code")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _clean(number: int, raw: dict[str, str], errors: list[RowError], seen: dict[str, int]) -> dict[str, Any] | None:
    """One row checked; ``None`` (with errors added) when it cannot be loaded."""
    before = len(errors)
    for key, header in COLUMNS:
        if not raw.get(key):
            errors.append(RowError(number, header, f"请填写{header}"))
    out: dict[str, Any] = {}
    if raw.get("id_number"):
        try:
            parsed = parse_id_number(raw["id_number"])
        except InvalidInput as exc:
            errors.append(RowError(number, "身份证号码", exc.message))
        else:
            if parsed.value in seen:
                errors.append(RowError(number, "身份证号码", f"与第{seen[parsed.value]}行的身份证号码重复"))
            else:
                seen[parsed.value] = number
            out.update(id_number=parsed.value, birth_date=parsed.birth_date, gender=parsed.gender)
    if raw.get("area_code") and not _AREA_CODE.match(raw["area_code"]):
        errors.append(RowError(number, "户籍地区划代码", f"户籍地区划代码“{raw['area_code']}”应为12位数字"))
    for key, header, limit in (("household_no", "户号", 32), ("name", "姓名", 32), ("address", "户籍地址", 200)):
        if len(raw.get(key, "")) > limit:
            errors.append(RowError(number, header, f"{header}不得超过{limit}字"))
    if len(raw.get("relation", "")) > 16:
        errors.append(RowError(number, "与户主关系", "与户主关系不得超过16字"))
    if len(errors) > before:
        return None
    relation_text = raw["relation"]
    return {
        **out,
        "household_no": raw["household_no"],
        "relation": RELATION_OF.get(relation_text, "other"),
        "relation_text": relation_text,
        "name": raw["name"],
        "address": raw["address"],
        "area_code": raw["area_code"],
    }


def parse(filename: str, data: bytes) -> list[dict[str, Any]]:
    """Every row of the file checked; ``ImportRejected`` with all row errors, or the rows."""
    rows = read_table(filename, data)
    keys = column_keys(
        header_of(rows),
        HEADER_TO_KEY,
        required=[h for _, h in COLUMNS],
        unknown_ok=True,
        hint="表头应为：" + "、".join(h for _, h in COLUMNS),
    )
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    out = []
    for number, cells in rows:
        raw = {k: _text(cells[i]) for i, k in enumerate(keys) if k and i < len(cells)}
        if not any(raw.values()):
            continue
        cleaned = _clean(number, raw, errors, seen)
        if cleaned is not None:
            out.append(cleaned)
    if errors:
        raise ImportRejected(f"文件中有{len(errors)}处错误，未导入任何数据。请修改后重新上传", errors)
    if not out:
        raise ImportRejected(
            "文件中没有数据行（只有表头），未导入任何数据", [RowError(0, "", "没有数据行")], code="empty_file"
        )
    return out


def load_population(data: bytes, filename: str, *, by: User, county_code: str | None = None) -> LoadResult:
    """上传户籍人口: validate the whole file, then replace the county's snapshot (INT-3)."""
    _require(by)
    county = _county_of(by, county_code)
    rows = parse(filename, data)
    sha256 = hashlib.sha256(data).hexdigest()
    now = timezone.now()
    loaded_by = user_or_none(by)
    records = []
    for row in rows:
        sealed = seal("id_number", row.pop("id_number"))
        records.append(
            PopulationRecord(
                county_code=county,
                id_number_enc=sealed.encrypted,
                id_number_index=sealed.index,
                id_number_masked=sealed.masked,
                batch_sha256=sha256,
                source_file=filename[:200],
                loaded_at=now,
                loaded_by=loaded_by,
                **row,
            )
        )
    households = len({r.household_no for r in records})
    with transaction.atomic():
        replaced, _ = PopulationRecord.objects.filter(county_code=county).delete()
        PopulationRecord.objects.bulk_create(records, batch_size=1000)
        record(
            by,
            "registry.population.load",
            None,
            object_type="registry.populationrecord",
            object_id=sha256[:16],
            area_code=county.ljust(12, "0"),
            changes={
                "file": filename,
                "sha256": sha256,
                "households": households,
                "persons": len(records),
                "replaced": replaced,
            },
        )
    return LoadResult(households, len(records), replaced, county)
