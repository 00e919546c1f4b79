"""Excel/CSV import of households (家庭批量导入): validate every row, then all or nothing.

One row per member; rows sharing a 家庭序号 form one household. CSV files may be UTF-8 or
GBK/GB18030 (what Chinese Excel writes). Errors name the row and column in Chinese.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone

from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.system import user_or_none
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core import bounded, bulk
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.core.idnumber import make_id_number
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.web import files

from .actions import village_for
from .models import RELATION_ORDER, Household, Membership, Person
from .pii import blind_index, seal
from .validation import POVERTY_CAUSE, Errors, MemberData, check_member_set, clean_member

# (key, header, required)
COLUMNS: list[tuple[str, str, bool]] = [
    ("household_ref", "家庭序号", True),
    ("area_code", "村（社区）区划代码", True),
    ("address", "家庭住址", True),
    ("poverty_cause", "主要致贫原因", False),
    ("rigid_expense_yuan", "年刚性支出（元）", False),
    ("name", "姓名", True),
    ("id_number", "身份证号码", True),
    ("relation", "与户主关系", True),
    ("phone", "联系电话", False),
    ("labour_capacity", "劳动能力", False),
    ("health_status", "健康状况", False),
    ("disability_category", "残疾类别", False),
    ("disability_grade", "残疾等级", False),
    ("marital_status", "婚姻状况", False),
    ("school_status", "在校情况", False),
    ("employment_status", "就业状况", False),
    ("bank_name", "开户银行", False),
    ("bank_account", "银行账号", False),
]
HEADER_TO_KEY = {header: key for key, header, _ in COLUMNS}
KEY_TO_HEADER = {key: header for key, header, _ in COLUMNS}
MAX_REPORTED_ERRORS = 1000


HOUSEHOLD_COLUMNS = (
    "id",
    "area_id",
    "county_code",
    "address",
    "urban_rural",
    "poverty_cause",
    "hardship_degree",
    "rigid_expense_yearly_fen",
    "remarks",
    "head_name",
    "member_count",
    "version",
    "created_at",
    "created_by_id",
    "updated_at",
)
PERSON_COLUMNS = (
    "id",
    "household_id",
    "relation",
    "relation_order",
    "area_code",
    "county_code",
    "name",
    "gender",
    "birth_date",
    "id_number_enc",
    "id_number_index",
    "id_number_masked",
    "phone_enc",
    "phone_masked",
    "bank_name",
    "bank_account_enc",
    "bank_account_index",
    "bank_account_masked",
    "labour_capacity",
    "health_status",
    "disability_category",
    "disability_grade",
    "marital_status",
    "school_status",
    "employment_status",
    "death_date",
    "version",
    "created_at",
    "updated_at",
)
MEMBERSHIP_COLUMNS = (
    "id",
    "person_id",
    "household_id",
    "relation",
    "joined_on",
    "left_on",
    "reason_joined",
    "reason_left",
)


def person_row(pid: int, household_id: int, area_code: str, md: MemberData, now: Any, id_index: str) -> tuple[Any, ...]:
    """One registry_person row in PERSON_COLUMNS order, PII sealed."""
    sid = seal("id_number", md.id_number, index=id_index)
    phone = seal("phone", md.phone) if md.phone else None
    bank = seal("bank_account", md.bank_account) if md.bank_account else None
    return (
        pid,
        household_id,
        md.relation,
        RELATION_ORDER.get(md.relation, 99),
        area_code,
        area_code[:6],
        md.name,
        md.gender,
        md.birth_date,
        sid.encrypted,
        sid.index,
        sid.masked,
        phone.encrypted if phone else None,
        phone.masked if phone else "",
        md.bank_name,
        bank.encrypted if bank else None,
        bank.index if bank else "",
        bank.masked if bank else "",
        md.labour_capacity,
        md.health_status,
        md.disability_category,
        md.disability_grade,
        md.marital_status,
        md.school_status,
        md.employment_status,
        md.death_date,
        1,
        now,
        now,
    )


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


class ImportRejected(InvalidInput):
    """The file was refused as a whole; ``rows`` lists every problem found."""

    def __init__(self, message: str, rows: list[RowError], code: str = "import_invalid") -> None:
        super().__init__(code, message, field="file")
        self.rows = rows

    def as_dict(self) -> dict[str, object]:
        out = super().as_dict()
        out["errors"] = [
            {"row": e.row, "column": e.column, "message": e.message} for e in self.rows[:MAX_REPORTED_ERRORS]
        ]
        out["error_count"] = len(self.rows)
        return out


@dataclass(frozen=True)
class ImportResult:
    households: int
    persons: int
    first_id: int | None = None


def _file_error(message: str, code: str = "invalid_file") -> ImportRejected:
    return ImportRejected(message, [RowError(0, "", message)], code=code)


def read_table(name: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """Yield (row number as the user sees it, cells) for .xlsx or .csv, header first."""
    if not data.strip():
        raise _file_error("文件为空，请使用模板填写后再上传", "empty_file")
    lower = name.lower()
    if lower.endswith(".xlsx") or data[:2] == b"PK":
        yield from _read_xlsx(data)
    elif lower.endswith(".csv") or lower.endswith(".txt"):
        yield from _read_csv(data)
    else:
        raise _file_error("仅支持 .xlsx（Excel）或 .csv 文件；旧版 .xls 请在 Excel 中另存为 .xlsx", "unsupported_file")


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    lim = bounded.limits("registry")
    stream = io.BytesIO(data)
    try:
        bounded.check_xlsx(stream, lim)
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except bounded.TooLarge as exc:
        raise _file_error(exc.message, exc.code) from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _file_error("无法读取该Excel文件：文件已损坏或不是有效的 .xlsx 文件", "unreadable_file") from None
    try:
        yield from bounded.xlsx_rows(workbook.worksheets[0], lim)
    except bounded.TooLarge as exc:
        raise _file_error(exc.message, exc.code) from None
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError):
        raise _file_error("Excel文件内容不完整（可能被截断），请重新导出后上传", "unreadable_file") from None
    finally:
        workbook.close()


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_error("无法识别文件编码，请将CSV另存为UTF-8或GBK编码后重新上传", "bad_encoding")


def _read_csv(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = decode_text(data)
    try:
        yield from bounded.csv_rows(io.StringIO(text), bounded.limits("registry"))
    except bounded.TooLarge as exc:
        raise _file_error(exc.message, exc.code) from None
    except csv.Error as exc:
        raise _file_error(f"CSV格式错误：{exc}", "unreadable_file") from None


def _header_keys(cells: list[Any]) -> list[str | None]:
    headers = [str(c).strip() if c is not None else "" for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    unknown = [h for h in headers if h and h not in HEADER_TO_KEY]
    missing = [header for key, header, required in COLUMNS if required and header not in headers]
    problems = []
    if missing:
        problems.append("缺少列：" + "、".join(missing))
    if unknown:
        problems.append("无法识别的列：" + "、".join(unknown))
    duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
    if duplicated:
        problems.append("重复的列：" + "、".join(duplicated))
    if problems:
        raise ImportRejected(
            "表头不正确（" + "；".join(problems) + "）。请下载模板，按模板表头填写",
            [RowError(1, "", p) for p in problems],
            code="invalid_header",
        )
    return [HEADER_TO_KEY.get(h) for h in headers]


def parse_rows(name: str, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    rows = read_table(name, data)
    try:
        _, header = next(rows)
    except StopIteration:
        raise _file_error("文件为空，请使用模板填写后再上传", "empty_file") from None
    keys = _header_keys(header)
    out = []
    for number, cells in rows:
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        out.append((number, {k: cells[i] for i, k in enumerate(keys) if k and i < len(cells)}))
    if not out:
        raise _file_error("文件中没有数据行（只有表头），未导入任何数据", "empty_file")
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


def import_rows(by: Any, rows: list[tuple[int, dict[str, Any]]], *, source: str = "", sha256: str = "") -> ImportResult:
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
        raise _file_error(
            "导入时发现身份证号码已被他人同时登记，未导入任何数据，请重新上传", "concurrent_change"
        ) from None
    return ImportResult(len(planned), person_count, household_ids[0] if household_ids else None)


def import_file(by: Any, upload: Any) -> ImportResult:
    require(by, "registry.import")
    data = upload.read()
    rows = parse_rows(upload.name or "", data)
    return import_rows(by, rows, source=upload.name or "", sha256=hashlib.sha256(data).hexdigest())


def xlsx_bytes(
    headers: list[str], rows: list[list[Any]], *, widths: list[int], notes: list[str] | None = None
) -> bytes:
    """Every cell as text: the member template (with 填写说明), exports and error reports."""
    sheet = "家庭成员" if notes else "错误报告"
    return files.xlsx(headers, rows, sheet=sheet, all_text=True, widths=widths, notes=notes)


def template_bytes() -> bytes:
    from .validation import HEALTH, LABOUR, MARITAL, RELATIONS, SCHOOL

    def labels(table: dict[str, Any]) -> str:
        return "、".join(k for k in table if not k.isascii())

    notes = [
        "填写说明：每行填写一名家庭成员；同一家庭的成员填写相同的“家庭序号”。",
        "必填列：" + "、".join(h for _, h, req in COLUMNS if req) + "。",
        "村（社区）区划代码：12位统计用区划代码，须在您的管辖范围内。",
        "身份证号码：18位（末位可为X）或旧版15位；请将该列设置为文本格式，避免Excel把号码变成科学计数法。",
        "与户主关系：" + labels(RELATIONS) + "；每户须有且仅有一名“本人”。",
        "劳动能力：" + labels(LABOUR) + "（留空为有劳动能力）。",
        "健康状况：" + labels(HEALTH) + "。残疾类别与残疾等级须同时填写。",
        "婚姻状况：" + labels(MARITAL) + "。在校情况：" + labels(SCHOOL) + "。",
        "文件中任何一行有错误时，整份文件都不会导入；请按错误报告修改后重新上传。",
        "以下示例行为演示数据（虚构人员），正式导入前请删除。",
    ]
    example_id = make_id_number("370405", dt.date(1980, 1, 1), 1, "M")
    example = [
        [
            "1",
            "370405101201",
            "张山子镇示例村12号",
            "因病",
            "12000",
            "示例户主",
            example_id,
            "本人",
            "13800000000",
            "有劳动能力",
            "健康",
            "",
            "",
            "已婚",
            "非在校",
            "务农",
            "",
            "",
        ],
    ]
    return xlsx_bytes(
        [h for _, h, _ in COLUMNS],
        example,
        widths=[10, 18, 28, 12, 14, 10, 22, 12, 14, 16, 16, 10, 10, 10, 10, 12, 16, 24],
        notes=notes,
    )


def template_response() -> HttpResponse:
    response = HttpResponse(
        template_bytes(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E5%AE%B6%E5%BA%AD%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


def error_report_bytes(errors: list[dict[str, Any]]) -> bytes:
    rows = [[e["row"] or "", e["column"], e["message"]] for e in errors]
    return xlsx_bytes(["行号", "列", "错误说明"], rows, widths=[8, 20, 80])
