"""开通县区 (issue 16 item 5; GOV-3, GOV-5, GOV-17, STD-1): a county that is not in the demo is
onboarded from three files, and a checklist says what is still missing before it can take
its first application and pay it.

The files (``docs/onboarding.md``; an example in ``docs/onboarding/example/``):

- ``areas.csv``: the county's 统计用区划代码 tree in the area importer's format
  (``code,name,parent,urban_rural``);
- ``staff.xlsx``: one row per staff account (用户名, 姓名, 岗位, 所属区划代码, 所属部门);
- ``county.yaml``: its documents' numbering, issuer and 救济途径 bodies (dated, with their
  document), departments, the programs the county
  runs, the procedure preset with its document, the 低保 standards with theirs, and who of
  the staff entered and who confirmed them (two persons).

Everything is read and checked first; every problem is named with its file, row and column,
and then nothing is written. The writing runs in one transaction, step by step (a function
per step), each step writing its audit rows; a step that finds its work done leaves it, so a
second run changes nothing. A dry run is the same run rolled back: the confirmation page
shows exactly what the real run will do.

Passwords are never in the files: each new account gets a random one-time password, returned
once by ``onboard`` (the command writes them to a 0600 file; the page shows them once).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.roles import ROLES, Role
from jiuzhu.applications.config import DOCUMENT_TEXTS, PRESETS, apply_preset, set_documents
from jiuzhu.applications.models import PRESET_LABELS
from jiuzhu.areas.importer import import_areas
from jiuzhu.areas.models import LEVEL_NAMES, Area, full_code, level_of, prefix_of
from jiuzhu.audit.log import record
from jiuzhu.core import bounded
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.payments.actions.layouts import install_standard_layouts
from jiuzhu.payments.models import BankLayout
from jiuzhu.programs import actions as program_actions
from jiuzhu.programs.engine import parameter_store
from jiuzhu.programs.models import AssistanceProgram, CountyProgram, ParameterChange
from jiuzhu.programs.settings import missing_settings
from jiuzhu.rules import RulesInputError

from .demo import ADMIN_MODEL_PERMS

AREAS_FILE, STAFF_FILE, COUNTY_FILE = "areas.csv", "staff.xlsx", "county.yaml"
FILES = (AREAS_FILE, STAFF_FILE, COUNTY_FILE)
STAFF_COLUMNS = ("用户名", "姓名", "岗位", "所属区划代码", "所属部门")
STAFF_REQUIRED = STAFF_COLUMNS[:4]
# The roles a county needs before its first application is taken, decided and paid: the
# window accepts and investigates, the village helps and publishes, the town approver
# decides or proposes, the verification centre checks, the county officer approves and
# makes the roster, the administrator confirms its lock (a second person).
REQUIRED_ROLES = ("town_clerk", "town_approver", "village_assistant", "county_verifier", "county_officer", "admin")
STANDARDS = {"urban": ("dibao.standard.urban", "城市低保标准"), "rural": ("dibao.standard.rural", "农村低保标准")}
USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # no 0/O, 1/l/I
PASSWORD_LENGTH = 14


class OnboardingInvalid(InvalidInput):
    """The files have problems; ``problems`` names each one (file, row, column)."""

    def __init__(self, problems: list[str]) -> None:
        shown = "；".join(problems[:30]) + ("；……" if len(problems) > 30 else "")
        super().__init__(
            "onboarding_invalid", f"开通材料有{len(problems)}处错误，未写入任何数据：{shown}", field="file"
        )
        self.problems = problems


@dataclass(frozen=True)
class StaffRow:
    row: int
    username: str
    full_name: str
    role: str
    area_code: str  # 12 digits
    department: str  # a department code of the county, or ""


@dataclass(frozen=True)
class Standard:
    kind: str  # urban | rural
    fen: int
    valid_from: dt.date
    source: str


@dataclass(frozen=True)
class ProgramDetails:
    """A program's county details from county.yaml (本县承办部门、联系人、联系电话、申请材料、
    取消的证明事项); ``department`` is a department code of the county file, or ""."""

    department: str
    contact_person: str
    contact_phone: str
    materials: list[str]
    abolished_proofs: list[dict[str, str]]


@dataclass
class CountySpec:
    county_code: str
    documents: dict[str, str]  # notice_prefix, issuer_name, remedy_review_body, remedy_court
    documents_valid_from: dt.date
    documents_source: str
    departments: list[tuple[str, str]]
    programs: list[str]
    program_details: dict[str, ProgramDetails]
    preset: str
    preset_valid_from: dt.date
    preset_source: str
    standards: list[Standard]
    entered_by: str
    confirmed_by: str


@dataclass(frozen=True)
class AreaRow:
    row: int
    code: str  # 12 digits
    name: str


@dataclass
class Package:
    areas: bytes
    area_rows: list[AreaRow]
    staff: list[StaffRow]
    county: CountySpec

    @property
    def county_code(self) -> str:
        return self.county.county_code


@dataclass
class Report:
    """What a run did (or, in a dry run, would do): lines in Chinese, and the new accounts'
    one-time passwords (username, name, role name, password)."""

    county_code: str
    dry_run: bool
    done: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    passwords: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.done)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    ok: bool
    detail: str
    link: str
    link_label: str


# ---- reading the files ------------------------------------------------------------------


def read_directory(path: Path) -> Package:
    """The three files of ``path``; a missing one is a problem like any other."""
    missing = [name for name in FILES if not (path / name).is_file()]
    if missing:
        raise OnboardingInvalid([f"目录{path}中缺少文件{name}" for name in missing])
    return read_package({name: (path / name).read_bytes() for name in FILES})


def read_package(files: Mapping[str, bytes]) -> Package:
    """Parse and check the three files against each other and against the database. Raises
    ``OnboardingInvalid`` listing every problem found."""
    problems: list[str] = []
    for name in FILES:
        if not files.get(name):
            problems.append(f"{name}：文件缺失或为空")
    if problems:
        raise OnboardingInvalid(problems)
    county = _read_county(files[COUNTY_FILE], problems)
    area_rows = _read_areas(files[AREAS_FILE], problems)
    staff = _read_staff(files[STAFF_FILE], problems)
    if county is None:
        raise OnboardingInvalid(problems)
    _check_areas(county, area_rows, problems)
    _check_staff(county, area_rows, staff, problems)
    _check_people(county, staff, problems)
    if problems:
        raise OnboardingInvalid(problems)
    return Package(files[AREAS_FILE], area_rows, staff, county)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _decode(data: bytes, name: str, problems: list[str]) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    problems.append(f"{name}：无法识别文件编码，请另存为UTF-8或GBK编码的CSV")
    return None


def _read_areas(data: bytes, problems: list[str]) -> list[AreaRow]:
    text = _decode(data, AREAS_FILE, problems)
    if text is None:
        return []
    try:
        table = list(bounded.csv_rows(io.StringIO(text), bounded.limits("areas")))
    except (csv.Error, InvalidInput) as exc:
        problems.append(f"{AREAS_FILE}：{getattr(exc, 'message', exc)}")
        return []
    header = [h.strip() for h in table[0][1]] if table else []
    if not {"code", "name", "parent", "urban_rural"} <= set(header):
        problems.append(f"{AREAS_FILE} 第1行：表头应为 code,name,parent,urban_rural")
        return []
    at = {h: i for i, h in enumerate(header)}
    rows = []
    for number, cells in table[1:]:
        if not any(c.strip() for c in cells):
            continue
        code = cells[at["code"]].strip() if at["code"] < len(cells) else ""
        name = cells[at["name"]].strip() if at["name"] < len(cells) else ""
        if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
            problems.append(f"{AREAS_FILE} 第{number}行“code”列：区划代码“{code}”应为2/4/6/9/12位数字")
            continue
        rows.append(AreaRow(number, full_code(code), name))
    if not rows:
        problems.append(f"{AREAS_FILE}：没有区划数据")
    return rows


def _read_staff(data: bytes, problems: list[str]) -> list[StaffRow]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    lim = bounded.limits("registry")
    stream = io.BytesIO(data)
    try:
        bounded.check_xlsx(stream, lim)
        book = load_workbook(stream, read_only=True, data_only=True)
    except InvalidInput as exc:
        problems.append(f"{STAFF_FILE}：{exc.message}")
        return []
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        problems.append(f"{STAFF_FILE}：无法读取该Excel文件，文件已损坏或不是有效的 .xlsx 文件")
        return []
    try:
        table = [(n, [_text(c) for c in cells]) for n, cells in bounded.xlsx_rows(book.worksheets[0], lim)]
    except InvalidInput as exc:
        problems.append(f"{STAFF_FILE}：{exc.message}")
        return []
    finally:
        book.close()
    header = table[0][1] if table else []
    missing = [c for c in STAFF_REQUIRED if c not in header]
    if missing:
        problems.append(
            f"{STAFF_FILE} 第1行：缺少列{'、'.join(f'“{c}”' for c in missing)}，表头应为{'、'.join(STAFF_COLUMNS)}"
        )
        return []
    at = {h: i for i, h in enumerate(header)}
    by_name = _role_names()
    rows: list[StaffRow] = []
    seen: dict[str, int] = {}
    for number, cells in table[1:]:
        if not any(cells):
            continue

        def cell(column: str, cells: list[str] = cells) -> str:
            i = at.get(column)
            return cells[i] if i is not None and i < len(cells) else ""

        where = f"{STAFF_FILE} 第{number}行"
        username, full_name, role_name = cell("用户名"), cell("姓名"), cell("岗位")
        area, department = cell("所属区划代码"), cell("所属部门")
        ok = True
        if not USERNAME.match(username):
            problems.append(f"{where}“用户名”列：“{username}”应为2–150位字母、数字或 _ . @ + -")
            ok = False
        elif username.lower() in seen:
            problems.append(f"{where}“用户名”列：用户名“{username}”与第{seen[username.lower()]}行重复")
            ok = False
        else:
            seen[username.lower()] = number
        if not full_name:
            problems.append(f"{where}“姓名”列：缺少姓名")
            ok = False
        role = by_name.get(role_name)
        if role is None:
            choices = "、".join(r.name for r in ROLES.values())
            problems.append(f"{where}“岗位”列：未知岗位“{role_name}”，可选：{choices}")
            ok = False
        if not area.isdigit() or len(area) not in (6, 9, 12):
            problems.append(f"{where}“所属区划代码”列：“{area}”应为6位县级、9位镇级或12位区划代码")
            ok = False
        if ok and role is not None:
            rows.append(StaffRow(number, username, full_name, role.code, full_code(area), department))
    return rows


def _role_names() -> dict[str, Role]:
    """Role by its Chinese name (``村协理员/网格员`` also by each half) or its code."""
    out: dict[str, Role] = {}
    for role in ROLES.values():
        out[role.name] = out[role.code] = role
        for part in role.name.split("/"):
            out.setdefault(part, role)
    return out


def _read_county(data: bytes, problems: list[str]) -> CountySpec | None:
    try:
        body = yaml.safe_load(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        problems.append(f"{COUNTY_FILE}：请使用UTF-8编码保存")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"第{mark.line + 1}行" if mark is not None else ""
        problems.append(f"{COUNTY_FILE} {line}：YAML格式错误，无法解析".replace(" ：", "："))
        return None
    if not isinstance(body, dict):
        problems.append(f"{COUNTY_FILE}：内容应为“键: 值”的形式，见示例文件")
        return None
    before = len(problems)

    def text(key: str, label: str, data: dict[str, Any] = body, prefix: str = "") -> str:
        value = _text(data.get(key))
        if not value:
            problems.append(f"{COUNTY_FILE}“{prefix}{key}”：缺少{label}")
        return value

    def date(key: str, data: dict[str, Any], prefix: str) -> dt.date:
        raw = data.get(key)
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(_text(raw))
        except ValueError:
            problems.append(f"{COUNTY_FILE}“{prefix}{key}”：生效日期“{_text(raw)}”应为YYYY-MM-DD")
            return dt.date.min

    county_code = text("county_code", "县级区划代码")
    if county_code and (not county_code.isdigit() or len(county_code) != 6 or county_code.endswith("00")):
        problems.append(f"{COUNTY_FILE}“county_code”：“{county_code}”应为6位县级区划代码，如370403")
    spec_text = {
        key: text(key, label) for key, label in (("entered_by", "录入人用户名"), ("confirmed_by", "确认人用户名"))
    }
    found_documents = body.get("documents")
    raw_documents: dict[str, Any] = found_documents if isinstance(found_documents, dict) else {}
    if not raw_documents:
        problems.append(
            f"{COUNTY_FILE}“documents”：请填写文书与救济途径（notice_prefix、issuer_name、remedy_review_body、"
            "remedy_court、valid_from、source）"
        )
    documents = (
        {
            key: text(key, label, raw_documents, "documents.")
            for key, label in (
                ("notice_prefix", "文书字号前缀（如：薛民救）"),
                ("issuer_name", "出具单位（如：薛城区民政局）"),
                ("remedy_review_body", "行政复议机关（如：薛城区人民政府）"),
                ("remedy_court", "行政诉讼管辖法院（如：薛城区人民法院）"),
            )
        }
        if raw_documents
        else {}
    )
    store = parameter_store()
    for key, value in documents.items():
        if value:
            try:
                store.definition(DOCUMENT_TEXTS[key]).parse_value(value, key)
            except RulesInputError as exc:
                problems.append(f"{COUNTY_FILE}“documents.{key}”：{exc.message}")
    documents_from = date("valid_from", raw_documents, "documents.") if raw_documents else dt.date.min
    documents_source = text("source", "文件依据（文号和标题）", raw_documents, "documents.") if raw_documents else ""
    departments: list[tuple[str, str]] = []
    raw_departments = body.get("departments") or []
    if not isinstance(raw_departments, list) or not raw_departments:
        problems.append(f"{COUNTY_FILE}“departments”：请列出本县部门（code、name）")
        raw_departments = []
    for i, d in enumerate(raw_departments):
        d = d if isinstance(d, dict) else {}
        code = text("code", "部门代码", d, f"departments[{i + 1}].")
        name = text("name", "部门名称", d, f"departments[{i + 1}].")
        if code in {c for c, _ in departments}:
            problems.append(f"{COUNTY_FILE}“departments[{i + 1}].code”：部门代码“{code}”重复")
        departments.append((code, name))
    found_programs = body.get("programs")
    raw_programs: list[Any] = found_programs if isinstance(found_programs, list) else []
    programs = [_text(p.get("code") if isinstance(p, dict) else p) for p in raw_programs]
    if not programs:
        problems.append(f"{COUNTY_FILE}“programs”：请从救助项目库中选择本县开展的项目（项目代码列表）")
    known = set(  # the catalog only: another county's local programs are not offered (PRG-2)
        AssistanceProgram.objects.filter(code__in=programs, county_code="").values_list("code", flat=True)
    )
    if programs and not AssistanceProgram.objects.exists():
        problems.append(f"{COUNTY_FILE}“programs”：救助项目库为空，请先运行 manage.py sync_program_catalog 载入项目库")
        known = set(programs)
    for i, code in enumerate(programs):
        if not code:
            problems.append(f"{COUNTY_FILE}“programs[{i + 1}].code”：缺少项目代码")
        elif code not in known:
            problems.append(f"{COUNTY_FILE}“programs[{i + 1}]”：救助项目库中没有项目代码“{code}”")
        elif code in programs[:i]:
            problems.append(f"{COUNTY_FILE}“programs[{i + 1}]”：项目代码“{code}”重复")
    program_details = _read_program_details(raw_programs, {c for c, _ in departments}, problems)
    preset = body.get("preset") if isinstance(body.get("preset"), dict) else {}
    if not preset:
        problems.append(f"{COUNTY_FILE}“preset”：请填写办理流程模式（name、valid_from、source）")
    preset_name = text("name", "办理流程模式（national 或 devolved）", preset, "preset.") if preset else ""
    if preset_name and preset_name not in PRESETS:
        problems.append(f"{COUNTY_FILE}“preset.name”：未知的流程模式“{preset_name}”，应为 national 或 devolved")
    preset_from = date("valid_from", preset, "preset.") if preset else dt.date.min
    preset_source = text("source", "文件依据（文号和标题）", preset, "preset.") if preset else ""
    standards: list[Standard] = []
    found = body.get("dibao_standards")
    raw_standards: dict[str, Any] = found if isinstance(found, dict) else {}
    for kind, (key, label) in STANDARDS.items():
        s = raw_standards.get(kind) if isinstance(raw_standards.get(kind), dict) else None
        where = f"dibao_standards.{kind}."
        if s is None:
            problems.append(f"{COUNTY_FILE}“dibao_standards.{kind}”：缺少{label}（fen_per_month、valid_from、source）")
            continue
        fen = s.get("fen_per_month")
        if not isinstance(fen, int) or isinstance(fen, bool) or fen <= 0:
            problems.append(f"{COUNTY_FILE}“{where}fen_per_month”：{label}应为正整数（分/人·月），如 96000 即960元")
            fen = 0
        else:
            try:
                store.definition(key).parse_value(fen, key)
            except RulesInputError as exc:
                problems.append(f"{COUNTY_FILE}“{where}fen_per_month”：{exc.message}")
        valid_from = date("valid_from", s, where)
        source = text("source", f"{label}的文件依据（文号和标题）", s, where)
        standards.append(Standard(kind, fen, valid_from, source))
    if len(problems) > before:
        return None
    return CountySpec(
        county_code=county_code,
        documents=documents,
        documents_valid_from=documents_from,
        documents_source=documents_source,
        departments=departments,
        programs=programs,
        program_details=program_details,
        preset=preset_name,
        preset_valid_from=preset_from,
        preset_source=preset_source,
        standards=standards,
        **spec_text,
    )


PROGRAM_KEYS = {
    "code": "项目代码",
    "department": "承办部门",
    "contact_person": "联系人",
    "contact_phone": "联系电话",
    "materials": "申请材料",
    "abolished_proofs": "取消的证明事项",
}


def _read_program_details(
    raw_programs: list[Any], department_codes: set[str], problems: list[str]
) -> dict[str, ProgramDetails]:
    """Each program given as a mapping: its county details (PRG-2, INT-16, INT-18), checked as
    ``set_county_program`` checks them; a problem names the file, the program and the field."""
    names = dict(AssistanceProgram.objects.filter(county_code="").values_list("code", "name"))
    out: dict[str, ProgramDetails] = {}
    for i, raw in enumerate(raw_programs):
        if not isinstance(raw, dict):
            if raw is not None and not isinstance(raw, (str, int)):
                problems.append(f"{COUNTY_FILE}“programs[{i + 1}]”：应为项目代码，或含 code 等字段的项目设置")
            continue
        code = _text(raw.get("code"))
        where = f"{COUNTY_FILE}“programs[{i + 1}]（{names.get(code, code)}）"
        for key in raw:
            if key not in PROGRAM_KEYS:
                problems.append(
                    f"{where}.{key}”：未知字段，可填写：{'、'.join(f'{k}（{v}）' for k, v in PROGRAM_KEYS.items())}"
                )
        department = _text(raw.get("department"))
        if department and department not in department_codes:
            problems.append(f"{where}.department”：承办部门“{department}”不在本文件 departments 所列部门代码中")
        materials, proofs = raw.get("materials"), raw.get("abolished_proofs")
        if materials is not None and not isinstance(materials, list):
            problems.append(f"{where}.materials”：申请材料应为列表（每行“- 材料名称”）")
            materials = None
        if proofs is not None and (not isinstance(proofs, list) or not all(isinstance(p, dict) for p in proofs)):
            problems.append(
                f"{where}.abolished_proofs”：取消的证明事项应为列表，每项含 name（证明名称）和 document（取消依据文号）"
            )
            proofs = None
        person, phone = _text(raw.get("contact_person")), _text(raw.get("contact_phone"))
        clean_materials = [m if isinstance(m, str) else _text(m) for m in materials or []]
        clean_proofs = [{k: _text(v) for k, v in p.items()} for p in proofs or []]
        for exc in program_actions.county_program_problems(
            contact_person=person, contact_phone=phone, materials=clean_materials, abolished_proofs=clean_proofs
        ):
            key = (exc.field or "").split("[")[0].split(".")[0]
            problems.append(f"{where}.{key}”：{exc.message}")
        out[code] = ProgramDetails(department, person, phone.replace(" ", ""), clean_materials, clean_proofs)
    return out


# ---- checking across files and against the database -------------------------------------


def _check_areas(county: CountySpec, rows: list[AreaRow], problems: list[str]) -> None:
    code = county.county_code
    own = full_code(code)
    for r in rows:
        if not r.code.startswith(code) and not own.startswith(prefix_of(r.code)):
            problems.append(f"{AREAS_FILE} 第{r.row}行“code”列：区划代码{r.code}不属于本县（{code}）")
    if rows and own not in {r.code for r in rows} and not Area.objects.filter(code=own).exists():
        problems.append(f"{AREAS_FILE}：缺少本县（{code}）本身的一行")


def _check_staff(county: CountySpec, area_rows: list[AreaRow], staff: list[StaffRow], problems: list[str]) -> None:
    code = county.county_code
    in_file = {r.code for r in area_rows}
    in_db = set(Area.objects.filter(code__in=[s.area_code for s in staff]).values_list("code", flat=True))
    departments = {c for c, _ in county.departments} | set(
        Department.objects.filter(area_id=full_code(code)).values_list("code", flat=True)
    )
    existing = {u.username.lower(): u for u in User.objects.filter(username__in=[s.username for s in staff])}
    for s in staff:
        where = f"{STAFF_FILE} 第{s.row}行"
        role = ROLES[s.role]
        if not s.area_code.startswith(code):
            problems.append(f"{where}“所属区划代码”列：{s.area_code}不在本县（{code}）范围内")
        elif s.area_code not in in_file and s.area_code not in in_db:
            problems.append(f"{where}“所属区划代码”列：{s.area_code}既不在{AREAS_FILE}中也不在系统中")
        elif level_of(s.area_code) != role.level:
            problems.append(
                f"{where}“所属区划代码”列：岗位“{role.name}”应属于{LEVEL_NAMES[role.level]}级区划，"
                f"{s.area_code}是{LEVEL_NAMES[level_of(s.area_code)]}"
            )
        if s.department and s.department not in departments:
            problems.append(f"{where}“所属部门”列：部门代码“{s.department}”不在{COUNTY_FILE}的 departments 中")
        if s.role == "department" and not s.department:
            problems.append(f"{where}“所属部门”列：部门用户须填写所属部门")
        user = existing.get(s.username.lower())
        if user is not None and (user.area_id != s.area_code or user.role != s.role):
            problems.append(
                f"{where}“用户名”列：账号“{s.username}”已存在且岗位或区划不同；开通程序不修改已有账号，请换用户名或在用户管理中调整"
            )


def _check_people(county: CountySpec, staff: list[StaffRow], problems: list[str]) -> None:
    """entered_by / confirmed_by: two different staff of the county who may enter and confirm
    settings (the two-person rule)."""
    named = {s.username: s.role for s in staff}
    for key, permission, what in (
        ("entered_by", "parameters.propose", "录入"),
        ("confirmed_by", "parameters.confirm", "确认"),
    ):
        username = getattr(county, key)
        role = named.get(username)
        if role is None:
            user = User.objects.filter(username=username, area__code__startswith=county.county_code).first()
            role = user.role if user is not None else None
        if role is None:
            problems.append(f"{COUNTY_FILE}“{key}”：用户名“{username}”不在{STAFF_FILE}中，也不是本县已有账号")
        elif permission not in ROLES[role].permissions:
            problems.append(
                f"{COUNTY_FILE}“{key}”：“{username}”的岗位“{ROLES[role].name}”无权{what}设置，应为县民政业务或系统管理员"
            )
    if county.entered_by and county.entered_by == county.confirmed_by:
        problems.append(f"{COUNTY_FILE}“confirmed_by”：录入人和确认人不能是同一人（设置须由另一名工作人员确认）")


# ---- the steps ------------------------------------------------------------------------


class _DryRun(Exception):
    def __init__(self, report: Report) -> None:
        self.report = report


def onboard(package: Package, *, by: Any, dry_run: bool = False) -> Report:
    """Run every step in one transaction (``dry_run``: then roll it back). A step's refusal
    becomes ``OnboardingInvalid`` naming the step; nothing is written."""
    report = Report(package.county_code, dry_run)
    step = ""
    try:
        with transaction.atomic():
            for label, run in (
                ("导入区划", import_area_tree),
                ("创建部门", create_departments),
                ("创建工作人员账号", create_staff),
                ("文书字号和救济途径", configure_documents),
                ("办理流程模式", apply_procedure_preset),
                ("低保标准", enter_standards),
                ("本县救助项目", choose_programs),
                ("银行文件格式", install_bank_layouts),
            ):
                step = label
                run(package, by, report)
            if dry_run:
                raise _DryRun(report)
    except _DryRun as done:
        return done.report
    except DomainError as exc:
        where = {"导入区划": AREAS_FILE, "创建工作人员账号": STAFF_FILE}.get(step, COUNTY_FILE)
        raise OnboardingInvalid([f"{where}（{step}）：{exc.message}"]) from None
    return report


def import_area_tree(package: Package, by: Any, report: Report) -> None:
    result = import_areas(package.areas, by=by)
    if result.created or result.updated:
        report.done.append(f"区划：新建{result.created}个、更新{result.updated}个")
    if result.unchanged:
        report.unchanged.append(f"区划：{result.unchanged}个已存在且无变化")


def create_departments(package: Package, by: Any, report: Report) -> None:
    county = Area.objects.get(code=full_code(package.county_code))
    for code, name in package.county.departments:
        department = Department.objects.filter(area=county, code=code).first()
        if department is not None and department.name == name:
            report.unchanged.append(f"部门：{name}")
            continue
        if department is None:
            department = Department.objects.create(area=county, code=code, name=name)
            report.done.append(f"部门：新建 {name}（{code}）")
        else:
            report.done.append(f"部门：{department.name} 更名为 {name}")
            department.name = name
            department.save(update_fields=["name"])
        record(by, "accounts.department.save", department, area_code=county.code, changes={"code": code, "name": name})


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def create_staff(package: Package, by: Any, report: Report) -> None:
    county = full_code(package.county_code)
    departments = {d.code: d for d in Department.objects.filter(area_id=county)}
    existing = set(
        User.objects.filter(username__in=[s.username for s in package.staff]).values_list("username", flat=True)
    )
    for s in package.staff:
        role = ROLES[s.role].name
        if s.username in existing:
            report.unchanged.append(f"账号：{s.username}（{s.full_name}，{role}）")
            continue
        password = new_password()
        user = User.objects.create_user(
            s.username,
            password=password,
            full_name=s.full_name,
            role=s.role,
            area_id=s.area_code,
            department=departments.get(s.department) if s.department else None,
            is_staff=s.role == "admin",  # the county administrator keeps users and departments
        )
        if s.role == "admin":
            user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_MODEL_PERMS))
        record(
            by,
            "accounts.user.create",
            user,
            area_code=s.area_code,
            changes={
                "user": s.username,
                "name": s.full_name,
                "kind": role,
                "area": s.area_code,
                "department": s.department,
            },
        )
        report.done.append(f"账号：新建 {s.username}（{s.full_name}，{role}，{s.area_code}）")
        report.passwords.append((s.username, s.full_name, role, password))


def configure_documents(package: Package, by: Any, report: Report) -> None:
    """文书字号、出具单位和救济途径 as the county's own dated settings, with their document,
    entered and confirmed by two of its staff (GOV-8)."""
    spec = package.county
    docs = spec.documents
    keys = {DOCUMENT_TEXTS[k]: v for k, v in docs.items()}
    entered = ParameterChange.objects.filter(
        area_code=spec.county_code, valid_from=spec.documents_valid_from, status="confirmed", name__in=keys
    )
    have = {c.name: c.value for c in entered}
    if all(have.get(k) == v for k, v in keys.items()):
        report.unchanged.append(
            f"文书字号“{docs['notice_prefix']}”、出具单位和救济途径（自{spec.documents_valid_from}）"
        )
        return
    set_documents(
        spec.county_code,
        docs,
        by=_staff_user(spec.entered_by),
        confirmed_by=_staff_user(spec.confirmed_by),
        valid_from=spec.documents_valid_from,
        source=spec.documents_source,
    )
    report.done.append(
        f"文书字号前缀“{docs['notice_prefix']}”，出具单位“{docs['issuer_name']}”，"
        f"救济途径：{docs['remedy_review_body']}（行政复议）、{docs['remedy_court']}（行政诉讼），"
        f"自{spec.documents_valid_from}起，依据{spec.documents_source}"
    )


def _staff_user(username: str) -> User:
    return User.objects.get(username=username)


def apply_procedure_preset(package: Package, by: Any, report: Report) -> None:
    spec = package.county
    label = PRESET_LABELS[spec.preset]
    entered = ParameterChange.objects.filter(
        area_code=spec.county_code, valid_from=spec.preset_valid_from, status="confirmed", name__in=PRESETS[spec.preset]
    )
    have = {c.name: c.value for c in entered}
    if all(have.get(k) == v for k, v in PRESETS[spec.preset].items()):
        report.unchanged.append(f"办理流程模式：{label}（自{spec.preset_valid_from}）")
        return
    apply_preset(
        spec.county_code,
        spec.preset,
        by=_staff_user(spec.entered_by),
        confirmed_by=_staff_user(spec.confirmed_by),
        valid_from=spec.preset_valid_from,
        source=spec.preset_source,
    )
    report.done.append(f"办理流程模式：{label}，自{spec.preset_valid_from}起，依据{spec.preset_source}")


def enter_standards(package: Package, by: Any, report: Report) -> None:
    """低保标准 (STD-1) as the county's own dated parameters: entered by one person, confirmed
    by another, through the same actions as the settings page."""
    spec = package.county
    for s in spec.standards:
        key, label = STANDARDS[s.kind]
        yuan = f"{s.fen / 100:,.2f}元/人·月"
        same = ParameterChange.objects.filter(
            name=key, area_code=spec.county_code, valid_from=s.valid_from, status="confirmed", source=s.source
        )
        if any(c.value == s.fen for c in same):
            report.unchanged.append(f"{label}：{yuan}（自{s.valid_from}）")
            continue
        change = program_actions.propose_change(
            by=_staff_user(spec.entered_by),
            name=key,
            area_code=spec.county_code,
            valid_from=s.valid_from,
            value=s.fen,
            reason="开通县区：录入本县低保标准",
            source=s.source,
        )
        program_actions.confirm_change(change, by=_staff_user(spec.confirmed_by), note="开通县区时复核")
        report.done.append(f"{label}：{yuan}，自{s.valid_from}起，依据{s.source}")


def choose_programs(package: Package, by: Any, report: Report) -> None:
    spec = package.county
    chosen = set(CountyProgram.objects.filter(county_code=spec.county_code).values_list("program_id", flat=True))
    programs = {p.code: p for p in AssistanceProgram.objects.filter(code__in=spec.programs, county_code="")}
    actor = by if isinstance(by, User) else None
    added = []
    for code in spec.programs:
        program = programs[code]
        details = spec.program_details.get(code)
        if details is not None:
            _set_program_details(program, details, package, by, report, new=program.pk not in chosen)
            if program.pk not in chosen:
                chosen.add(program.pk)
                added.append(program.name)
            continue
        if program.pk in chosen:
            continue
        row = CountyProgram.objects.create(county_code=spec.county_code, program=program, chosen_by=actor)
        chosen.add(program.pk)
        record(by, "programs.county.choose", row, area_code=full_code(spec.county_code), changes={"program": code})
        added.append(program.name)
    if added:
        report.done.append(f"本县救助项目：新增{len(added)}项（{'、'.join(added)}）")
    if len(added) < len(spec.programs):
        report.unchanged.append(f"本县救助项目：{len(spec.programs) - len(added)}项已选定")


def _set_program_details(
    program: AssistanceProgram, details: ProgramDetails, package: Package, by: Any, report: Report, *, new: bool
) -> None:
    """The county's details of one program, through ``set_county_program`` (audited); a run
    that changes nothing writes nothing."""
    county = package.county_code
    department = (
        Department.objects.filter(area_id=full_code(county), code=details.department).first()
        if details.department
        else None
    )
    wanted: dict[str, Any] = {
        "department_id": department.pk if department is not None else None,
        "department_name": department.name if department is not None else "",
        "contact_person": details.contact_person,
        "contact_phone": details.contact_phone,
        "materials": details.materials,
        "abolished_proofs": details.abolished_proofs,
    }
    row = CountyProgram.objects.filter(county_code=county, program=program).first()
    if (
        row is not None
        and row.is_active
        and all(
            getattr(row, k) == v
            for k, v in (
                ("department_id", wanted["department_id"]),
                ("department_name", wanted["department_name"]),
                ("contact_person", details.contact_person),
                ("contact_phone", details.contact_phone),
                ("materials", details.materials),
                ("abolished_proofs", details.abolished_proofs),
            )
        )
    ):
        report.unchanged.append(f"本县救助项目：{program.name}（承办部门、联系人、材料不变）")
        return
    program_actions.set_county_program(program, by=by, county_code=county, **wanted)
    contact = "、".join(x for x in (wanted["department_name"], details.contact_person, details.contact_phone) if x)
    if not new:
        report.done.append(f"本县救助项目：{program.name} 更新承办部门、联系人和材料（{contact or '未填写联系人'}）")
    elif contact:
        report.done.append(f"本县救助项目：{program.name} 承办部门和联系人：{contact}")


def install_bank_layouts(package: Package, by: Any, report: Report) -> None:
    created = install_standard_layouts(package.county_code, by=by)
    if created:
        report.done.append(f"银行文件格式：新增{len(created)}种标准格式（{'、'.join(x.name for x in created)}）")
    else:
        report.unchanged.append("银行文件格式：标准格式均已存在")


# ---- what is still missing --------------------------------------------------------------


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + query
    except NoReverseMatch:  # pragma: no cover - every name below is wired
        return ""


def checklist(county_code: str, on: dt.date | None = None) -> list[ChecklistItem]:
    """What the county still lacks before it can take its first application and pay it."""
    day = on or timezone.localdate()
    code = county_code
    full = full_code(code)
    items: list[ChecklistItem] = []

    def add(key: str, label: str, ok: bool, detail: str, link: str, link_label: str) -> None:
        items.append(ChecklistItem(key, label, ok, detail, link, link_label))

    county = Area.objects.filter(code=full, level="county").first()
    areas = Area.objects.under(code)
    towns, villages = areas.filter(level="town").count(), areas.filter(level="village").count()
    add(
        "areas",
        "行政区划已导入（县、镇（街道）、村（社区））",
        county is not None and towns > 0 and villages > 0,
        f"{county.name if county else f'县级区划{code}不存在'}：{towns}个镇（街道），{villages}个村（社区）",
        _url("areas:tree"),
        "查看区划",
    )
    store = parameter_store()
    lacking = [store.definition(k).description for k, _ in missing_settings(code, day, prefix="documents.")]
    shown = []
    if not lacking:
        shown = [str(store.lookup(DOCUMENT_TEXTS[k], code, day).value) for k in ("notice_prefix", "issuer_name")]
    add(
        "procedure_config",
        "文书字号、出具单位和救济途径",
        not lacking,
        f"缺少：{'、'.join(lacking)}" if lacking else " · ".join(shown),
        _url("onboarding", f"?county={code}#upload"),
        "上传开通材料",
    )
    missing = missing_settings(code, day)
    try:  # the county's own decision (its document), not only the national default
        own_preset = store.lookup("procedure.preset", code, day).area == code
    except RulesInputError:
        own_preset = False
    add(
        "procedure_settings",
        "办理流程设置（时限、公示天数、审批层级、复核周期）均已生效",
        not missing and own_preset,
        "；".join(f"{k}：{m}" for k, m in missing)
        if missing
        else ("已生效" if own_preset else "尚未录入本县的办理流程模式（全国默认之外须有本县文件）"),
        _url("programs:parameters"),
        "救助标准与设置",
    )
    standards = []
    for key, label in STANDARDS.values():
        try:
            value = store.lookup(key, code, day)
        except RulesInputError:
            standards.append((label, False, "未录入"))
            continue
        own = value.area == code
        standards.append(
            (label, own, f"{value.display()}（自{value.valid_from}）" if own else "沿用上级标准，未录入本县标准")
        )
    add(
        "dibao_standards",
        "本县城乡低保标准已生效",
        all(ok for _, ok, _ in standards),
        "；".join(f"{label}：{text}" for label, _, text in standards),
        _url("programs:parameters"),
        "救助标准与设置",
    )
    departments = Department.objects.filter(area_id=full).count()
    add(
        "departments",
        "部门已建立",
        departments > 0,
        f"{departments}个部门",
        _url("admin:accounts_department_changelist"),
        "部门管理",
    )
    present = set(
        User.objects.filter(is_active=True, area__code__startswith=code, role__in=REQUIRED_ROLES).values_list(
            "role", flat=True
        )
    )
    absent = [ROLES[r].name for r in REQUIRED_ROLES if r not in present]
    add(
        "roles",
        "办理所需岗位均有账号（镇窗口经办、镇审批、村协理员、县核对员、县民政业务、系统管理员）",
        not absent,
        f"缺少岗位：{'、'.join(absent)}" if absent else "各岗位均已有账号",
        _url("admin:accounts_user_changelist"),
        "用户管理",
    )
    chosen = list(
        AssistanceProgram.objects.filter(
            pk__in=CountyProgram.objects.filter(county_code=code).values("program_id")
        ).values_list("name", flat=True)
    )
    add(
        "programs",
        "已从救助项目库选定本县开展的项目",
        bool(chosen),
        f"{len(chosen)}项：{'、'.join(chosen[:8])}{'等' if len(chosen) > 8 else ''}" if chosen else "尚未选定",
        _url("programs:catalog"),
        "救助项目库",
    )
    no_phone = list(
        CountyProgram.objects.filter(county_code=code, is_active=True, contact_phone="")
        .order_by("program__name")
        .values_list("program__name", flat=True)
    )
    add(
        "program_contacts",
        "本县开展的救助项目均有联系电话（群众咨询、办事指南）",
        not no_phone,
        f"缺少联系电话：{'、'.join(no_phone)}" if no_phone else "各项目均已填写联系电话",
        _url("programs:county"),
        "本县救助项目",
    )
    layouts = list(BankLayout.objects.filter(county_code=code).values_list("name", flat=True))
    add(
        "bank_layouts",
        "银行文件格式已设置（代发文件和回盘文件）",
        bool(layouts),
        f"{len(layouts)}种：{'、'.join(layouts)}" if layouts else "尚未设置，不能导出银行文件",
        _url("payments:layouts"),
        "银行文件格式",
    )
    return items


def missing_items(county_code: str, on: dt.date | None = None) -> list[ChecklistItem]:
    return [i for i in checklist(county_code, on) if not i.ok]
