"""转介救助管理站 (PRG-13) and 移交来源地 (LNK-11) from a 现场发现报告 (issue 17 item 4).

A 流浪乞讨 person found in a village is referred to the county's 救助管理站 (program
``homeless_relief`` of the 救助项目库, 民政), a paper referral (线下转办) of the referrals app: the
town prints the 转办单 and records the station's reply, so the referral has its own number,
deadline and status. When the person's 来源地（户籍地）county is known, the hand-off to that
county is a second referral of the same program to that county's 民政局 — both audited, both
listed on the report.
"""

from __future__ import annotations

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.referrals.actions import refer
from jiuzhu.registry.models import Household

from .field import _origin_county
from .models import FieldReport

PROGRAM = "homeless_relief"  # 生活无着的流浪乞讨人员救助


def _county_name(code: str) -> str:
    name = Area.objects.filter(code=code.ljust(12, "0")).values_list("name", flat=True).first()
    return name or code


def station_name(county_code: str) -> str:
    """The county's 救助管理站 (救助管理机构 of 《城市生活无着的流浪乞讨人员救助管理办法》)."""
    return f"{_county_name(county_code)}救助管理站"[:64]


def _household(report: FieldReport) -> Household:
    subject = report.person or report.temp_person
    if subject is None or subject.household is None:
        raise DomainError("no_person", "该报告人员尚未登记，不能转介")
    return subject.household


def _locked(report: FieldReport, by: User) -> FieldReport:
    require(by, "referrals.create")
    require_in_scope(by=by, area_code=report.area_code, what="现场发现报告")
    locked: FieldReport = FieldReport.objects.select_for_update().get(pk=report.pk)
    return locked


def refer_to_station(report: FieldReport, *, by: User, reason: str, origin_county_code: str = "") -> FieldReport:
    """转介救助管理站 (PRG-13); with a known 来源地, the hand-off is recorded at once (LNK-11)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("required", "请填写转介事由", field="reason")
    if len(reason) > 500:
        raise InvalidInput("too_long", "转介事由不能超过500个字", field="reason")
    with transaction.atomic():
        locked = _locked(report, by)
        if locked.station_referral_id is not None:
            raise DomainError("already_referred", "该报告人员已转介救助管理站")
        origin = _origin_county({"origin_county_code": origin_county_code}, locked.county_code)
        ident = locked.temp_number or (locked.person.name if locked.person else "")
        locked.station_referral = refer(
            _household(locked),
            PROGRAM,
            by=by,
            reason=f"现场发现报告#{locked.pk}（{ident}）：{reason}"[:500],
            channel="paper",
            office=station_name(locked.county_code),
        )
        locked.origin_county_code = origin or locked.origin_county_code
        locked.save(update_fields=["station_referral", "origin_county_code"])
        record(
            by,
            "monitoring.field_report.refer_station",
            locked,
            area_code=locked.area_code,
            changes={"referral": locked.station_referral.number, "office": locked.station_referral.office},
        )
        if locked.origin_county_code:
            _hand_off(locked, by=by, note=reason)
    return locked


def hand_off(report: FieldReport, *, by: User, origin_county_code: str = "", note: str = "") -> FieldReport:
    """移交来源地 (LNK-11): the person's origin county takes over 安置 after the station."""
    with transaction.atomic():
        locked = _locked(report, by)
        origin = _origin_county({"origin_county_code": origin_county_code}, locked.county_code)
        origin = origin or locked.origin_county_code
        if not origin:
            raise InvalidInput("required", "请填写来源地（户籍地）县级区划代码", field="origin_county_code")
        if locked.station_referral_id is None:
            raise DomainError("station_first", "请先转介救助管理站，再移交来源地")
        locked.origin_county_code = origin
        locked.save(update_fields=["origin_county_code"])
        _hand_off(locked, by=by, note=(note or "").strip()[:300])
    return locked


def _hand_off(locked: FieldReport, *, by: User, note: str) -> None:
    if locked.handoff_referral_id is not None:
        raise DomainError("already_handed_off", "该报告人员已移交来源地")
    origin = locked.origin_county_code
    office = f"{_county_name(origin)}民政局（来源地）"[:64]
    locked.handoff_referral = refer(
        _household(locked),
        PROGRAM,
        by=by,
        reason=f"移交来源地{_county_name(origin)}妥善安置（现场发现报告#{locked.pk}）" + (f"：{note}" if note else ""),
        channel="paper",
        office=office,
    )
    locked.save(update_fields=["handoff_referral"])
    record(
        by,
        "monitoring.field_report.hand_off",
        locked,
        area_code=locked.area_code,
        changes={"referral": locked.handoff_referral.number, "office": office, "origin_county_code": origin},
    )
