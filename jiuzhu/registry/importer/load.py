"""Parse a household file and load it: every row validated, then all households or none."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import user_or_none
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core import bulk
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.web.files import (
    ImportRejected,
    RowError,
    column_keys,
    file_error,
    header_of,
    read_table,
)

from ..actions import village_for
from ..models import Household, Membership, Person
from ..pii import blind_index
from ..validation import POVERTY_CAUSE, Errors, MemberData, check_member_set, clean_member
from .columns import (
    COLUMNS,
    HEADER_TO_KEY,
    HOUSEHOLD_COLUMNS,
    KEY_TO_HEADER,
    MEMBERSHIP_COLUMNS,
    PERSON_COLUMNS,
    person_row,
)


@dataclass(frozen=True)
class ImportResult:
    households: int
    persons: int
    first_id: int | None = None


def parse_rows(name: str, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    rows = read_table(name, data)
    header = header_of(rows, empty="文件为空，请使用模板填写后再上传")
    keys = column_keys(header, HEADER_TO_KEY, required=[header for _, header, required in COLUMNS if required])
    out = []
    for number, cells in rows:
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        out.append((number, {k: cells[i] for i, k in enumerate(keys) if k and i < len(cells)}))
    if not out:
        raise file_error("文件中没有数据行（只有表头），未导入任何数据", "empty_file")
    return out


@dataclass
class _PlannedHousehold:
    ref: str
    area: Area
    address: str
    members: list[tuple[int, MemberData]]
    poverty_cause: str = ""
    rigid_expense_yearly_fen: int = 0


def _household_facts(ref: str, members: list[tuple[int, dict[str, Any]]], errors: list[RowError]) -> tuple[str, int]:
    """致贫原因 and 年刚性支出 from the first row of the household that gives them."""
    cause, fen = "", 0
    for number, raw in members:
        value = str(raw.get("poverty_cause") or "").strip()
        if value and not cause:
            if value not in POVERTY_CAUSE:
                errors.append(RowError(number, "主要致贫原因", f"致贫原因“{value}”无法识别"))
            cause = POVERTY_CAUSE.get(value, "")
        amount = str(raw.get("rigid_expense_yuan") or "").strip()
        if amount and not fen:
            try:
                fen = yuan_to_fen(amount)
            except InvalidInput as exc:
                errors.append(RowError(number, "年刚性支出（元）", exc.message))
            else:
                if fen < 0:
                    errors.append(RowError(number, "年刚性支出（元）", "金额不能为负数"))
    return cause, fen


def _plan(by: Any, rows: list[tuple[int, dict[str, Any]]]) -> tuple[list[_PlannedHousehold], list[RowError]]:
    errors: list[RowError] = []
    villages: dict[str, Area | InvalidInput | NotFound] = {}
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, raw in rows:
        ref = str(raw.get("household_ref") or "").strip()
        if ref.endswith(".0"):
            ref = ref[:-2]
        if not ref:
            errors.append(RowError(number, "家庭序号", "请填写家庭序号（同一家庭的成员填写相同序号）"))
            continue
        groups.setdefault(ref, []).append((number, raw))
    seen_ids: dict[str, int] = {}
    planned: list[_PlannedHousehold] = []
    for ref, members in groups.items():
        first_number, first = members[0]
        code = str(first.get("area_code") or "").strip().removesuffix(".0")
        if code not in villages:
            try:
                villages[code] = village_for(by, code)
            except (InvalidInput, NotFound) as exc:  # a row naming a village outside the user's area
                villages[code] = exc
        area = villages[code]
        if isinstance(area, (InvalidInput, NotFound)):
            errors.append(RowError(first_number, "村（社区）区划代码", area.message))
        address = next((str(r.get("address")).strip() for _, r in members if r.get("address")), "")
        if not address:
            errors.append(RowError(first_number, "家庭住址", "请填写家庭住址"))
        cleaned: list[tuple[int, MemberData]] = []
        for number, raw in members:
            row_code = str(raw.get("area_code") or "").strip().removesuffix(".0")
            if row_code and row_code != code:
                errors.append(RowError(number, "村（社区）区划代码", f"同一家庭（序号{ref}）的成员区划代码不一致"))
            row_errors = Errors()
            md = clean_member(raw, "m", row_errors)
            for e in row_errors.items:
                errors.append(RowError(number, KEY_TO_HEADER.get((e.field or "").split(".")[-1], ""), e.message))
            if md is None:
                continue
            if md.id_number in seen_ids:
                errors.append(RowError(number, "身份证号码", f"与第{seen_ids[md.id_number]}行的身份证号码重复"))
                continue
            seen_ids[md.id_number] = number
            cleaned.append((number, md))
        if len(cleaned) == len(members):
            set_errors = Errors()
            check_member_set([md for _, md in cleaned], set_errors, [str(n) for n, _ in cleaned])
            for e in set_errors.items:
                row = int((e.field or "0").split(".")[0] or 0)
                errors.append(
                    RowError(
                        row,
                        "与户主关系" if "relation" in (e.field or "") else "身份证号码",
                        f"家庭序号{ref}：{e.message}",
                    )
                )
        cause, rigid_fen = _household_facts(ref, members, errors)
        if isinstance(area, Area) and address:
            planned.append(_PlannedHousehold(ref, area, address, cleaned, cause, rigid_fen))
    return planned, errors


def _check_existing(planned: list[_PlannedHousehold], errors: list[RowError]) -> dict[str, str]:
    """Blind index of every planned member (by ID number); errors for IDs already registered."""
    index_of: dict[str, str] = {}
    row_of: dict[str, int] = {}
    for plan in planned:
        for number, md in plan.members:
            idx = blind_index("id_number", md.id_number)
            index_of[md.id_number] = idx
            row_of[idx] = number
    indexes = list(row_of)
    with connection.cursor() as cur:
        for start in range(0, len(indexes), 1000):
            chunk = indexes[start : start + 1000]
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"SELECT id_number_index FROM registry_person WHERE id_number_index IN ({marks})", chunk)
            for (idx,) in cur.fetchall():
                errors.append(
                    RowError(row_of[idx], "身份证号码", "该身份证号码已在系统中登记，请通过“增加成员”或“成员迁移”办理")
                )
    return index_of


def import_rows(
    rows: list[tuple[int, dict[str, Any]]], *, by: User, source: str = "", sha256: str = ""
) -> ImportResult:
    """Validate all rows; insert every household or none (REG-1)."""
    require(by, "registry.import")
    planned, errors = _plan(by, rows)
    index_of = _check_existing(planned, errors)
    if errors:
        errors.sort(key=lambda e: e.row)
        raise ImportRejected(f"文件中有{len(errors)}处错误，未导入任何数据。请修改后重新上传", errors)
    today = timezone.localdate()
    now = timezone.now()
    created_by = getattr(user_or_none(by), "pk", None)
    person_count = sum(len(p.members) for p in planned)
    try:
        with transaction.atomic():
            household_ids = bulk.allocate_ids(Household, len(planned))
            person_ids = bulk.allocate_ids(Person, person_count)
            membership_ids = bulk.allocate_ids(Membership, person_count)
            bulk.insert_rows(
                Household,
                HOUSEHOLD_COLUMNS,
                (
                    (
                        hid,
                        p.area.code,
                        p.area.county_code,
                        p.address,
                        p.area.urban_rural or "rural",
                        p.poverty_cause,
                        "",
                        p.rigid_expense_yearly_fen,
                        "",
                        next((md.name for _, md in p.members if md.relation == "self"), ""),
                        len(p.members),
                        1,
                        now,
                        created_by,
                        now,
                    )
                    for hid, p in zip(household_ids, planned, strict=True)
                ),
            )
            people = [
                (hid, p.area.code, md) for hid, p in zip(household_ids, planned, strict=True) for _, md in p.members
            ]
            bulk.insert_rows(
                Person,
                PERSON_COLUMNS,
                (
                    person_row(pid, hid, area_code, md, now, index_of[md.id_number])
                    for pid, (hid, area_code, md) in zip(person_ids, people, strict=True)
                ),
            )
            bulk.insert_rows(
                Membership,
                MEMBERSHIP_COLUMNS,
                (
                    (mid, pid, hid, md.relation, today, None, "批量导入", "")
                    for mid, pid, (hid, _, md) in zip(membership_ids, person_ids, people, strict=True)
                ),
            )
            record(
                by,
                "registry.household.import",
                None,
                object_type="registry.import",
                object_id=sha256[:16],
                changes={
                    "file": source,
                    "sha256": sha256,
                    "households": len(planned),
                    "persons": person_count,
                    "household_ids": [household_ids[0], household_ids[-1]] if household_ids else [],
                },
            )
    except IntegrityError:
        raise file_error(
            "导入时发现身份证号码已被他人同时登记，未导入任何数据，请重新上传", "concurrent_change"
        ) from None
    return ImportResult(len(planned), person_count, household_ids[0] if household_ids else None)


def import_file(upload: Any, *, by: User) -> ImportResult:
    require(by, "registry.import")
    data = upload.read()
    rows = parse_rows(upload.name or "", data)
    return import_rows(rows, by=by, source=upload.name or "", sha256=hashlib.sha256(data).hexdigest())
