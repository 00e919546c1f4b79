"""启动 and 结束 of an 应急期 (WF-12): the county declares the period with the settings in force
kept on it, and ends it with the report as of that moment."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.inputs import field_text as _text
from jiuzhu.core.inputs import required_date as _date
from jiuzhu.programs.engine import parameter_store

from ..campaigns import _county_staff
from ..models import Emergency
from ._common import KINDS, SETTINGS, _active
from .report import report


def declare_emergency(data: dict[str, Any], *, by: User) -> Emergency:
    """启动应急期 (WF-12): the county (县级民政) names the event, its kind, the area (a town of
    the county, or empty for the whole county), the period and the document that starts it."""
    county = _county_staff(by)
    require(by, "payments.fund")
    name = _text(data, "name", "事件名称", 64)
    kind = str(data.get("kind") or "").strip()
    if kind not in KINDS:
        raise InvalidInput(
            "invalid_choice", f"事件类型应为：{'、'.join(f'{k} {v}' for k, v in KINDS.items())}", field="kind"
        )
    source = _text(data, "source_document", "启动依据（应急预案或文件）", 200)
    starts_on = _date(data.get("starts_on"), "starts_on", "开始日期")
    planned = _date(data.get("planned_end_on"), "planned_end_on", "计划结束日期")
    if planned < starts_on:
        raise InvalidInput("invalid_period", "计划结束日期不能早于开始日期", field="planned_end_on")
    town = str(data.get("area_code") or "").strip()
    if town:
        area = Area.objects.filter(code=town[:9].ljust(12, "0"), level="town").first()
        if area is None or not area.code.startswith(county):
            raise InvalidInput("invalid_area", f"应急范围“{town}”不是本县的乡镇（街道）", field="area_code")
        area_code = area.code
    else:
        area_code = county.ljust(12, "0")
    store, on = parameter_store(), timezone.localdate()
    values = {key: store.lookup(key, county, on) for key in SETTINGS}
    with transaction.atomic():
        if Emergency.objects.filter(area_code=area_code, status="active").exists():
            raise DomainError("emergency_active", "该范围已处于应急期，请先结束当前应急期")
        emergency = Emergency.objects.create(
            county_code=county,
            area_code=area_code,
            name=name,
            kind=kind,
            starts_on=starts_on,
            planned_end_on=planned,
            source_document=source,
            advance_fen=int(values["emergency.advance_fen"].value),
            transition_monthly_fen=int(values["emergency.transition_monthly_fen"].value),
            transition_months=int(values["emergency.transition_months"].value),
            settings_sources={k: {"value": v.value, "source": v.source} for k, v in values.items()},
            declared_by=user_or_none(by),
        )
        record(
            by,
            "monitoring.emergency.declare",
            emergency,
            area_code=area_code,
            changes={
                "name": name,
                "kind": kind,
                "area_code": area_code,
                "starts_on": str(starts_on),
                "planned_end_on": str(planned),
                "source_document": source,
                "amount_fen": emergency.advance_fen,
            },
        )
    return emergency


def end_emergency(emergency: Emergency, *, by: User, note: str = "") -> Emergency:
    """结束应急期: the county closes the period; the report as of now is kept with it."""
    _county_staff(by)
    require(by, "payments.fund")
    require_in_scope(by=by, area_code=emergency.area_code, what="应急期")
    with transaction.atomic():
        locked = Emergency.objects.select_for_update().get(pk=emergency.pk)
        _active(locked)
        summary = {k: v for k, v in report(locked, by=by).items() if k != "items"}
        locked.status, locked.ended_at, locked.ended_by = "ended", timezone.now(), user_or_none(by)
        locked.end_note, locked.report = note.strip()[:300], summary
        locked.save(update_fields=["status", "ended_at", "ended_by", "end_note", "report"])
        record(
            by,
            "monitoring.emergency.end",
            locked,
            area_code=locked.area_code,
            changes={"note": locked.end_note, **summary},
        )
    return locked
