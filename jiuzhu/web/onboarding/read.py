"""Reading the three onboarding files; every problem is named with its file, row and column."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from jiuzhu.accounts.roles import ROLES, Role
from jiuzhu.applications.config import DOCUMENT_TEXTS, PRESETS
from jiuzhu.areas.models import full_code
from jiuzhu.core import bounded
from jiuzhu.core.errors import InvalidInput
from jiuzhu.programs import actions as program_actions
from jiuzhu.programs.engine import parameter_store
from jiuzhu.programs.models import AssistanceProgram
from jiuzhu.rules import RulesInputError

from .check import _check_areas, _check_people, _check_staff
from .spec import (
    AREAS_FILE,
    COUNTY_FILE,
    FILES,
    STAFF_COLUMNS,
    STAFF_FILE,
    STAFF_REQUIRED,
    STANDARDS,
    USERNAME,
    AreaRow,
    CountySpec,
    OnboardingInvalid,
    Package,
    ProgramDetails,
    StaffRow,
    Standard,
)


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
            problems.append(f"{COUNTY_FILE}“{prefix}{key}”：生效日期“{_text(raw)}”应为“2026-01-31”这样的日期")
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
