"""现场发现报告 (issue 17 item 4, DIS-5, INT-24, PRG-13): a grid worker or village assistant
reports a person or family found in the field from a phone.

``submit_field_report``: with an ID number the person is matched to the registry by its blind
index; without one (身份不明, 流浪乞讨) the report gets a temporary number
``LS-<county>-<yyyymmdd>-<nnnn>`` — letters and hyphens, so it can never equal a real 18-digit
ID. ``match_identity`` later links such a report to the registry person of the real ID, once,
audited with the temporary number it replaces.

Since issue 17 item 4's second part: a person without an ID also gets a registry record under
the temporary number (``registry.actions.register_unidentified``) so that 急难型临时救助 can be
granted at once (INT-24); ``match_identity`` merges that record into the real person (cases
follow, ``field_tasks.merge_temporary``). A report of a known person (or once matched) becomes a
核查任务 of the village (``field_tasks.open_report_task``). A photo may be attached (type read
from its bytes, size limit the dated setting ``monitoring.field_photo_max_mb``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import in_scope, require_in_scope
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.idnumber import parse_id_number
from jiuzhu.core.inputs import field_text as _text
from jiuzhu.programs.engine import parameter_store
from jiuzhu.registry import storage
from jiuzhu.registry.actions import attach_document, register_unidentified
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import blind_index

from .field_tasks import merge_temporary, open_report_task
from .models import FIELD_GENDERS, FIELD_URGENCY, FieldReport

PHOTO_TYPES = ("image/jpeg", "image/png")

TEMP_PREFIX = "LS"  # 临时编号 prefix (临时)


def checked_photo(upload: UploadedFile, county: str, on: dt.date) -> UploadedFile:
    """A phone photo: not empty, at most ``monitoring.field_photo_max_mb``, JPG or PNG by its bytes."""
    limit_mb = int(parameter_store().lookup("monitoring.field_photo_max_mb", county, on).value)
    if not upload.size:
        raise InvalidInput("empty_file", "照片文件为空，请重新拍照或选择", field="photo")
    if upload.size > limit_mb * 1024 * 1024:
        raise InvalidInput("file_too_large", f"照片不得超过{limit_mb}MB，请压缩后再上传", field="photo")
    if storage.sniff_content_type(upload) not in PHOTO_TYPES:
        raise InvalidInput("unsupported_file", "请上传JPG或PNG格式的照片", field="photo")
    return upload


def _origin_county(data: dict[str, Any], own: str) -> str:
    """来源地（户籍地）county (LNK-11): a county-level code that exists and is not our own."""
    code = str(data.get("origin_county_code") or "").strip()
    if not code:
        return ""
    if len(code) != 6 or not code.isdigit():
        raise InvalidInput("invalid_origin", "来源地应为6位县级区划代码", field="origin_county_code")
    if code == own:
        raise InvalidInput("invalid_origin", "来源地是本县，无需移交来源地", field="origin_county_code")
    if not Area.objects.filter(code=code.ljust(12, "0"), level="county").exists():
        raise InvalidInput("unknown_origin", f"区划代码{code}不是已登记的县（市、区）", field="origin_county_code")
    return code


def _registry_person(raw: str, *, by: User, field: str) -> Person:
    """The registry person of an ID number, found by blind index, inside the user's area."""
    number = parse_id_number(raw, field=field)
    person: Person | None = Person.objects.filter(id_number_index=blind_index("id_number", number.value)).first()
    if person is None or not in_scope(by, person.area_code):
        raise InvalidInput("unknown_id_number", "登记库中没有该身份证号码的人员，请按身份不明人员报告", field=field)
    return person


def next_temp_number(county_code: str, day: Any) -> str:
    prefix = f"{TEMP_PREFIX}-{county_code}-{day:%Y%m%d}-"
    last = (
        FieldReport.objects.select_for_update()
        .filter(temp_number__startswith=prefix)
        .order_by("-temp_number")
        .values_list("temp_number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def submit_field_report(data: dict[str, Any], *, by: User, photo: UploadedFile | None = None) -> FieldReport:
    """现场发现报告 (DIS-5): the worker's village (or one inside their area); an ID if known,
    else a registry record under the temporary number (INT-24); a task for a known person."""
    require(by, "registry.edit")
    area_code = str(data.get("area_code") or getattr(by.area, "code", "") or "")
    if len(area_code) != 12 or not area_code.isdigit():
        raise InvalidInput("invalid_area", "请选择发现地所在的村（社区）", field="area_code")
    require_in_scope(by=by, area_code=area_code, what="村（社区）", field="area_code")
    urgency = str(data.get("urgency") or "normal")
    if urgency not in dict(FIELD_URGENCY):
        raise InvalidInput("invalid_urgency", "紧急程度只能是一般、紧急或危急", field="urgency")
    gender = str(data.get("gender") or "")
    if gender not in dict(FIELD_GENDERS):
        raise InvalidInput("invalid_gender", "性别只能是男、女或不详", field="gender")
    age_raw = data.get("approx_age")
    approx_age: int | None = None
    if age_raw not in (None, ""):
        try:
            approx_age = int(str(age_raw))
        except ValueError:
            raise InvalidInput("invalid_age", "估计年龄应为0到120之间的整数", field="approx_age") from None
        if not 0 <= approx_age <= 120:
            raise InvalidInput("invalid_age", "估计年龄应为0到120之间的整数", field="approx_age")
    values: dict[str, Any] = {
        "place": _text(data, "place", "发现地点", 200, required=True),
        "situation": _text(data, "situation", "现场情况", 1000, required=True),
        "needs": _text(data, "needs", "困难和需求", 1000, required=False),
        "name": _text(data, "name", "姓名", 32, required=False),
        "description": _text(data, "description", "体貌特征", 300, required=False),
    }
    id_raw = str(data.get("id_number") or "").strip()
    person = _registry_person(id_raw, by=by, field="id_number") if id_raw else None
    if person is None and not (values["description"] or values["name"]):
        raise InvalidInput("required", "身份不明人员请填写姓名（自述）或体貌特征", field="description")
    if person is None and approx_age is None:
        raise InvalidInput("required", "身份不明人员请填写估计年龄（登记临时档案需要）", field="approx_age")
    origin = _origin_county(data, area_code[:6])
    today = timezone.localdate()
    if photo is not None:
        checked_photo(photo, area_code[:6], today)
    with transaction.atomic():
        report = FieldReport(
            area_code=area_code,
            county_code=area_code[:6],
            person=person,
            gender=gender,
            approx_age=approx_age,
            urgency=urgency,
            reported_by=by,
            origin_county_code=origin,
            **values,
        )
        if person is None:
            report.temp_number = next_temp_number(area_code[:6], today)
            assert approx_age is not None
            report.temp_person = register_unidentified(
                by=by,
                area_code=area_code,
                temp_number=report.temp_number,
                name=values["name"],
                gender=gender,
                birth_date=dt.date(today.year - approx_age, 1, 1),
                address=values["place"],
            )
        report.save()
        if person is not None:
            report.task = open_report_task(report, person, by=by, on=today)
        subject = person or report.temp_person
        if photo is not None and subject is not None and subject.household is not None:
            report.photo = attach_document(
                subject.household, photo, by=by, kind="photo", title="现场发现报告照片", person=subject
            )
        if report.task is not None or report.photo is not None:
            report.save(update_fields=["task", "photo"])
        record(
            by,
            "monitoring.field_report.create",
            report,
            area_code=area_code,
            changes={
                "place": report.place,
                "urgency": report.get_urgency_display(),
                "temp_number": report.temp_number or "",
                "person_name": person.name if person else "",
                "task": report.task_id,
                "photo": report.photo_id,
                "origin_county_code": origin,
            },
        )
    return report


def match_identity(report: FieldReport, id_number: str, *, by: User) -> FieldReport:
    """认定身份 (INT-24): link an unidentified person's report to the registry person of the
    real ID; the temporary number stays on the report so earlier records remain traceable."""
    require(by, "registry.edit")
    require_in_scope(by=by, area_code=report.area_code, what="现场发现报告")
    if not str(id_number or "").strip():
        raise InvalidInput("required", "请填写身份证号码", field="id_number")
    person = _registry_person(id_number, by=by, field="id_number")
    with transaction.atomic():
        locked: FieldReport = FieldReport.objects.select_for_update().get(pk=report.pk)
        if locked.person_id is not None:
            raise DomainError("already_identified", "该报告人员的身份已认定，不能重复认定")
        if locked.status == "closed":
            raise DomainError("closed", "该报告已办结，不能再认定身份")
        locked.person = person
        locked.status = "matched"
        locked.matched_by = by
        locked.matched_at = timezone.now()
        locked.save(update_fields=["person", "status", "matched_by", "matched_at"])
        if locked.temp_person is not None:  # its cases follow the real person (audited there)
            merge_temporary(locked.temp_person, person, by=by)
        if locked.task_id is None:
            locked.task = open_report_task(locked, person, by=by, on=timezone.localdate())
            locked.save(update_fields=["task"])
        record(
            by,
            "monitoring.field_report.match_identity",
            locked,
            area_code=locked.area_code,
            changes={"temp_number": locked.temp_number or "", "person_name": person.name},
        )
    return locked


def attach_photo(report: FieldReport, upload: UploadedFile, *, by: User) -> FieldReport:
    """现场照片 sent after the report (a slow connection): one photo per report, stored with the
    person's household documents, seen only by staff of the jurisdiction."""
    require(by, "registry.documents")
    require_in_scope(by=by, area_code=report.area_code, what="现场发现报告")
    checked_photo(upload, report.county_code, timezone.localdate())
    with transaction.atomic():
        locked: FieldReport = FieldReport.objects.select_for_update().get(pk=report.pk)
        if locked.photo_id is not None:
            raise DomainError("photo_exists", "该报告已有照片")
        subject = locked.person or locked.temp_person
        if subject is None or subject.household is None:
            raise DomainError("no_household", "该报告人员尚未登记到家庭，不能保存照片")
        locked.photo = attach_document(
            subject.household, upload, by=by, kind="photo", title="现场发现报告照片", person=subject
        )
        locked.save(update_fields=["photo"])
        record(
            by, "monitoring.field_report.photo", locked, area_code=locked.area_code, changes={"photo": locked.photo_id}
        )
    return locked
