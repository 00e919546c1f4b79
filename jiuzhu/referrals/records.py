"""社会救助对象基础信息库 (REG-2): every person who receives or received assistance, from our
own decisions, from referral results, and imported from departments' files."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.idnumber import mask_id_number, parse_id_number
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.programs.exclusivity import exclusions_of, register_codes, urban_of
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import blind_index
from jiuzhu.web.files import ImportRejected, RowError, header_of, read_table

from .models import AssistanceRecord

ENGINE_TO_CATALOG = {"dibao": ("dibao_urban", "dibao_rural"), "tekun": ("tekun",), "temporary": ("temporary",)}
COLUMNS = {
    "身份证号码": "id_number",
    "姓名": "name",
    "救助项目": "program",
    "开始日期": "start_on",
    "结束日期": "end_on",
    "金额（元）": "amount",
    "发放方式": "period",
}
REQUIRED = ("身份证号码", "姓名", "救助项目", "开始日期")


def record_application(app: Any) -> int:
    """Our own approval enters the registry of recipients (call inside the approval). A
    household program (低保) covers every living member, its amount on the applicant's row
    only; a person program (特困) and one-off aid are the applicant's."""
    from jiuzhu.programs.models import AssistanceProgram

    codes = ENGINE_TO_CATALOG.get(app.program, (app.program,))
    # 城市/农村低保 by the household's 户籍/area, never by the case's copy of the facts.
    code = codes[0] if len(codes) == 1 or urban_of(app.household) else codes[-1]
    program = AssistanceProgram.objects.filter(code=code).first()
    name = program.name if program else app.get_program_display()
    monthly = app.program in ("dibao", "tekun")
    household = program.benefit_unit == "household" if program else not monthly
    people = list(app.household.members.filter(death_date__isnull=True)) if monthly and household else [app.applicant]
    start = app.start_month or timezone.localdate()
    _refuse_exclusive(app.program, people, start)
    for person in people:
        AssistanceRecord.objects.get_or_create(
            source="application",
            source_ref=app.number,
            id_number_index=person.id_number_index,
            program_code=program.code if program else app.program,
            defaults={
                "person": person,
                "household": app.household,
                "id_number_masked": person.id_number_masked,
                "name": person.name,
                "program_name": name,
                "department_code": "minzheng",
                "start_on": start,
                "amount_fen": (app.amount_fen or 0) if person.pk == app.applicant_id else 0,
                "period": "monthly" if monthly else "once",
                "unit": "household" if household else "person",
                "area_code": app.area_code,
                "county_code": app.county_code,
            },
        )
    return len(people)


def _refuse_exclusive(program: str, people: list[Any], start: dt.date) -> None:
    """The register never holds two exclusive benefits for one person (互斥救助, issue 14 item 4)."""
    from django.db.models import Q

    for rule in exclusions_of(program):
        held = (
            AssistanceRecord.objects.filter(
                id_number_index__in=[p.id_number_index for p in people],
                program_code__in=register_codes(rule.other(program)),
            )
            .filter(Q(end_on__isnull=True) | Q(end_on__gte=start))
            .first()
        )
        if held is not None:
            raise DomainError(
                "exclusive_benefit",
                f"{held.name}正在享受{held.program_name}，不能同时登记为其他互斥救助对象：{rule.message}",
            )


def end_case_records(app: Any, end_on: dt.date) -> int:
    """A stop or suspension of our own case ends its rows of the register the same moment
    (call inside the payments action's transaction); rows that ended earlier keep their date."""
    return (
        AssistanceRecord.objects.filter(source="application", source_ref=app.number)
        .filter(Q(end_on__isnull=True) | Q(end_on__gt=end_on))
        .update(end_on=end_on)
    )


def reopen_case_records(app: Any) -> int:
    """恢复发放: the case's rows are open again, except those of members who have died."""
    return (
        AssistanceRecord.objects.filter(source="application", source_ref=app.number, end_on__isnull=False)
        .exclude(person__death_date__isnull=False)
        .update(end_on=None)
    )


def end_person_records(person: Any, end_on: dt.date) -> int:
    """A death ends every open row of that person, whoever recorded it."""
    return (
        AssistanceRecord.objects.filter(person=person)
        .filter(Q(end_on__isnull=True) | Q(end_on__gt=end_on))
        .update(end_on=end_on)
    )


def _date(raw: Any, column: str, number: int, errors: list[RowError]) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip().replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        y, m, d = (int(x) for x in text.split("-"))
        return dt.date(y, m, d)
    except ValueError:
        errors.append(RowError(number, column, f"日期“{raw}”无法识别，应为“2026-01-31”"))
        return None


def import_records(name: str, data: bytes, *, by: User) -> int:
    """部门导入救助对象 (REG-2, LNK-1 导入): all rows valid or none written; the same file twice is
    idempotent (rows are keyed by the file's hash)."""
    require(by, "records.import")
    department = getattr(by, "department", None)
    if department is None:
        raise InvalidInput("no_department", "只有部门用户可以导入本部门的救助对象", field="file")
    rows = read_table(name, data)
    headers = header_of(rows)
    missing = [h for h in REQUIRED if h not in headers]
    if missing:
        raise ImportRejected(
            f"表头缺少列：{'、'.join(missing)}",
            [RowError(1, "", f"缺少列：{'、'.join(missing)}")],
            code="invalid_header",
        )
    keys = [COLUMNS.get(h) for h in headers]
    errors: list[RowError] = []
    parsed = []
    for number, cells in rows:
        raw = {k: cells[i] for i, k in enumerate(keys) if k and i < len(cells)}
        if not any(str(v or "").strip() for v in raw.values()):
            continue
        try:
            idn = parse_id_number(str(raw.get("id_number") or ""))
        except InvalidInput as exc:
            errors.append(RowError(number, "身份证号码", exc.message))
            continue
        program = str(raw.get("program") or "").strip()
        if not program:
            errors.append(RowError(number, "救助项目", "请填写救助项目"))
        start = _date(raw.get("start_on"), "开始日期", number, errors)
        end = _date(raw.get("end_on"), "结束日期", number, errors)
        if start is None and raw.get("start_on") in (None, ""):
            errors.append(RowError(number, "开始日期", "请填写开始日期"))
        amount = 0
        if str(raw.get("amount") or "").strip():
            try:
                amount = yuan_to_fen(str(raw["amount"]).replace("元", ""))
            except InvalidInput as exc:
                errors.append(RowError(number, "金额（元）", exc.message))
        period = "monthly" if str(raw.get("period") or "").strip() in ("按月", "monthly") else "once"
        parsed.append((number, idn.value, str(raw.get("name") or "").strip(), program, start, end, amount, period))
    if errors:
        raise ImportRejected(f"文件中有{len(errors)}处错误，未导入任何数据", errors)
    digest = hashlib.sha256(data).hexdigest()[:16]
    created = 0
    with transaction.atomic():
        for number, value, person_name, program, start, end, amount, period in parsed:
            idx = blind_index("id_number", value)
            person = Person.objects.filter(id_number_index=idx).select_related("household").first()
            area = person.area_code if person else department.area_id
            _, made = AssistanceRecord.objects.get_or_create(
                source="import",
                source_ref=f"{department.code}:{digest}:{number}",
                id_number_index=idx,
                program_code=program,
                defaults={
                    "person": person,
                    "household": person.household if person else None,
                    "id_number_masked": mask_id_number(value),
                    "name": person_name,
                    "program_name": program,
                    "department_code": department.code,
                    "start_on": start,
                    "end_on": end,
                    "amount_fen": amount,
                    "period": period,
                    "area_code": area,
                    "county_code": area[:6],
                },
            )
            created += made
        record(
            by,
            "referrals.records.import",
            None,
            object_type="referrals.records",
            object_id=digest,
            area_code=department.area_id,
            changes={"file": name, "rows": len(parsed), "created": created},
        )
    return created
