"""应急期 (issue 17 item 6; WF-12, LNK-9, PRG-12): the county switches a town or the whole county
into an emergency period for an event; the 应急 victims list is handed over (LNK-9) and matched
to registry households by ID (blind index); one action pays 24-hour 先行救助 to every listed
household of the actor's jurisdiction from the town's 备用金, through the ordinary 急难型临时救助
path (intake → ``advance_pay``, 补办登记 within the county's working days); 过渡期生活救助 is paid
month by month for the county's number of months; the period ends with a report.

Amounts and months are dated settings (``emergency.*`` in ``rules/parameters/procedure.yaml``),
read when the period is declared and kept on it with their sources.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.applications import actions as case_actions
from jiuzhu.applications.models import Application, CaseDeadline
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput, NotFound
from jiuzhu.core.idnumber import mask_id_number, parse_id_number
from jiuzhu.core.masking import mask_name
from jiuzhu.core.money import format_yuan
from jiuzhu.funds.actions import reserve_balance
from jiuzhu.funds.models import ReserveFund
from jiuzhu.payments import ledger
from jiuzhu.payments.models import LedgerEntry
from jiuzhu.programs.engine import parameter_store
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.pii import blind_indexes
from jiuzhu.web.files import ImportRejected, RowError, column_keys, header_of, read_table

from .campaigns import _county_staff, _date, _text
from .models import EMERGENCY_KINDS, Emergency, EmergencyHousehold

KINDS = dict(EMERGENCY_KINDS)
# The 急难事件 of the 临时救助 case each kind opens (``rules.facts.EMERGENCY_EVENTS``).
CASE_EVENT = {
    "flood": "natural_disaster",
    "earthquake": "natural_disaster",
    "fire": "fire",
    "epidemic": "other",
    "other": "other",
}
SETTINGS = ("emergency.advance_fen", "emergency.transition_monthly_fen", "emergency.transition_months")
# The victims list: the columns of the 应急管理部门 source (``verification/data/sources.yaml``
# ``yingji.disaster``) a 乡镇 or 应急局 sends; only the ID number is required.
LIST_COLUMNS = {"身份证号码": "id_number", "姓名": "name", "受灾情况": "loss", "损失情况": "loss"}
REGISTRATION = {"on_time": "按期补办", "late": "逾期补办", "overdue": "逾期未补办", "pending": "待补办", "none": "—"}


def _visible(emergency: Emergency, by: User) -> None:
    """404 for a period that does not cover the actor's jurisdiction."""
    if not Emergency.objects.visible_to(by).filter(pk=emergency.pk).exists():
        raise NotFound("not_found", "应急期不存在或不在您的管辖范围内")


def _active(emergency: Emergency) -> None:
    if emergency.status != "active":
        raise DomainError("emergency_ended", f"“{emergency.name}”应急期已结束，不能再办理")


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


@dataclass
class ImportResult:
    rows: int
    loaded: int
    already: int
    unknown: list[dict[str, Any]]  # {"row", "id_number"} with the ID masked


def import_victims(emergency: Emergency, name: str, data: bytes, *, by: User) -> ImportResult:
    """应急受灾人员名单 (LNK-9): an .xlsx/.csv with 身份证号码 (and 姓名, 受灾情况). Each ID is
    matched by blind index; people of one household make one 受灾户. A malformed file, a bad or
    repeated ID, or a person outside the period's area or the uploader's jurisdiction refuses
    the whole file with every row named; IDs unknown to the registry are reported, not loaded."""
    require(by, "registry.edit")
    _visible(emergency, by)
    _active(emergency)
    rows = read_table(name, data, limits="registry")
    keys = column_keys(header_of(rows), LIST_COLUMNS, required=["身份证号码"], hint="请按应急受灾人员名单模板填写")
    errors: list[RowError] = []
    parsed: list[tuple[int, str, str]] = []  # (row, id, loss)
    seen: dict[str, int] = {}
    for number, cells in rows:
        row = dict(zip(keys, cells, strict=False))
        if not any(str(c or "").strip() for c in cells):
            continue
        try:
            value = parse_id_number(str(row.get("id_number") or "")).value
        except InvalidInput as exc:
            errors.append(RowError(number, "身份证号码", exc.message))
            continue
        if value in seen:
            errors.append(RowError(number, "身份证号码", f"与第{seen[value]}行重复"))
            continue
        seen[value] = number
        parsed.append((number, value, str(row.get("loss") or "").strip()[:200]))
    if not parsed and not errors:
        raise ImportRejected("名单中没有受灾人员", [RowError(0, "", "名单中没有受灾人员")], code="empty_file")
    indexes = blind_indexes("id_number", [v for _, v, _ in parsed])
    people = {
        p.id_number_index: p for p in Person.objects.filter(id_number_index__in=indexes).select_related("household")
    }
    prefix = emergency.area_code[:9] if emergency.area_code[6:9] != "000" else emergency.area_code[:6]
    unknown: list[dict[str, Any]] = []
    found: dict[int, tuple[Household, int, str]] = {}
    for (number, value, loss), index in zip(parsed, indexes, strict=True):
        person = people.get(index)
        if person is None or person.household is None:
            unknown.append({"row": number, "id_number": mask_id_number(value)})
            continue
        household = person.household
        if not household.area_id.startswith(prefix):
            errors.append(RowError(number, "身份证号码", f"{mask_id_number(value)}的家庭不在本次应急范围内"))
            continue
        try:
            require_in_scope(by=by, area_code=household.area_id)
        except DomainError:
            errors.append(RowError(number, "身份证号码", f"{mask_id_number(value)}的家庭不在您的管辖范围内"))
            continue
        h, count, first_loss = found.get(household.pk, (household, 0, loss))
        found[household.pk] = (h, count + 1, first_loss or loss)
    if errors:
        raise ImportRejected(f"受灾人员名单有{len(errors)}处错误，整份名单未导入，请改正后重新上传", errors)
    with transaction.atomic():
        listed = set(
            EmergencyHousehold.objects.filter(emergency=emergency, household_id__in=found).values_list(
                "household_id", flat=True
            )
        )
        new = [
            EmergencyHousehold(
                emergency=emergency,
                household=h,
                area_code=h.area_id,
                persons=count,
                loss=loss,
                listed_by=user_or_none(by),
            )
            for pk, (h, count, loss) in found.items()
            if pk not in listed
        ]
        EmergencyHousehold.objects.bulk_create(new)
        result = ImportResult(rows=len(parsed), loaded=len(new), already=len(listed), unknown=unknown)
        locked = Emergency.objects.select_for_update().get(pk=emergency.pk)
        locked.imports = [
            *locked.imports,
            {
                "at": timezone.now().isoformat(timespec="seconds"),
                "by": by.username,
                "file": name[:100],
                "rows": result.rows,
                "loaded": result.loaded,
                "already": result.already,
                "unknown": unknown,
            },
        ]
        locked.save(update_fields=["imports"])
        emergency.imports = locked.imports
        record(
            by,
            "monitoring.emergency.import",
            emergency,
            area_code=emergency.area_code,
            changes={"rows": result.rows, "loaded": result.loaded, "already": result.already, "unknown": len(unknown)},
        )
    return result


def _applicant(household: Household) -> Person:
    members: list[Person] = list(
        Person.objects.filter(household=household, death_date__isnull=True).order_by("relation_order", "id")
    )
    if not members:
        raise DomainError("no_member", f"受灾户{household.pk}没有在世成员，不能先行救助")
    return next((m for m in members if m.relation == "self"), members[0])


def pay_advance_relief(emergency: Emergency, *, by: User, limit: int = 0) -> list[EmergencyHousehold]:
    """批量先行救助 (WF-12, PRG-12): every listed household of the actor's jurisdiction not yet
    relieved gets a 急难型临时救助 case paid the period's amount from its town's 备用金 within
    24 hours, with 补办登记 due in the county's working days. All or nothing: a town whose
    reserve cannot cover its households refuses the whole batch before anything is written.
    ``limit`` > 0 relieves at most that many (in list order), so a long list can go in several
    shorter requests."""
    if limit < 0:
        raise InvalidInput("invalid_limit", "每批户数不能为负数", field="limit")
    require(by, "applications.intake")
    require(by, "payments.reserve")
    _visible(emergency, by)
    _active(emergency)
    with transaction.atomic():
        pending = list(
            EmergencyHousehold.objects.visible_to(by)
            .select_for_update()
            .filter(emergency=emergency, application__isnull=True)
            .select_related("household")
        )
        if limit:
            pending = pending[:limit]
        if not pending:
            raise DomainError("nothing_to_relieve", "名单中没有待先行救助的受灾户（请先导入受灾人员名单）")
        by_town: dict[str, int] = {}
        for row in pending:
            by_town[row.area_code[:9] + "000"] = by_town.get(row.area_code[:9] + "000", 0) + 1
        for town, count in sorted(by_town.items()):
            fund = ReserveFund.objects.filter(area_code=town).first()
            town_name = Area.objects.filter(code=town).values_list("name", flat=True).first() or town
            if fund is None:
                raise DomainError("reserve_missing", f"{town_name}尚未设立临时救助备用金，不能先行救助")
            need, have = count * emergency.advance_fen, reserve_balance(fund)
            if have < need:
                raise DomainError(
                    "reserve_insufficient",
                    f"{town_name}临时救助备用金余额不足：当前余额{format_yuan(have)}，本次{count}户先行救助共需"
                    f"{format_yuan(need)}。请联系县民政局拨付备用金后再办理",
                )
        event = CASE_EVENT[emergency.kind]
        for row in pending:
            household = row.household
            try:
                intake = case_actions.intake(
                    case_actions.IntakeRequest(
                        household=household,
                        applicant=_applicant(household),
                        programs=["temporary"],
                        temporary_kind="emergency",
                        emergency_event=event,
                        documents_provided=["急难事由说明"],
                        remarks=f"应急期批量先行救助：{emergency.name}",
                    ),
                    by=by,
                )
                app = intake.applications.get()
                case_actions.advance_pay(
                    app, by=by, amount_fen=emergency.advance_fen, note=f"{emergency.name}应急期24小时内先行救助"
                )
            except DomainError as exc:
                raise DomainError(exc.code, f"受灾户（户主{mask_name(household.head_name)}）：{exc.message}") from exc
            row.application, row.advance_fen, row.relieved_at = app, emergency.advance_fen, timezone.now()
            row.save(update_fields=["application", "advance_fen", "relieved_at"])
        record(
            by,
            "monitoring.emergency.relieve",
            emergency,
            area_code=emergency.area_code,
            changes={"households": len(pending), "amount_fen": emergency.advance_fen * len(pending)},
        )
    return pending


def pay_transition_month(emergency: Emergency, *, by: User, month: Any) -> int:
    """过渡期生活救助 (PRG-12): one month's aid to every relieved household of the county, for
    at most the period's number of months; booked in the ledger on each household's case."""
    _county_staff(by)
    require(by, "payments.fund")
    _active(emergency)
    try:
        period = dt.date.fromisoformat(f"{str(month)[:7]}-01")
    except ValueError:
        raise InvalidInput("invalid_month", "发放月份格式应为“2026-07”", field="month") from None
    if period < emergency.starts_on.replace(day=1):
        raise InvalidInput("invalid_month", "发放月份不能早于应急期开始月份", field="month")
    with transaction.atomic():
        rows = list(
            EmergencyHousehold.objects.select_for_update()
            .filter(emergency=emergency, application__isnull=False)
            .select_related("application")
        )
        if not rows:
            raise DomainError("nothing_to_pay", "尚无已先行救助的受灾户，不能发放过渡期生活救助")
        paid = 0
        amount = emergency.transition_monthly_fen
        reason = f"过渡期生活救助（{emergency.name}，{period:%Y年%m月}）"
        for row in rows:
            app = row.application
            assert app is not None
            if row.transition_months_paid >= emergency.transition_months:
                continue
            if LedgerEntry.objects.filter(application=app, kind="entitlement", period=period, reason=reason).exists():
                continue
            party = ledger.Party.of_application(app)
            ledger.book("entitlement", party, by=by, amount_fen=amount, source="decision", reason=reason, period=period)
            ledger.book("payment", party, by=by, amount_fen=amount, source="decision", reason=reason, period=period)
            row.transition_months_paid += 1
            row.transition_fen += amount
            row.save(update_fields=["transition_months_paid", "transition_fen"])
            paid += 1
        if paid == 0:
            raise DomainError(
                "transition_done",
                f"{period:%Y年%m月}的过渡期生活救助已发放，或各户已发满{emergency.transition_months}个月",
            )
        record(
            by,
            "monitoring.emergency.transition",
            emergency,
            area_code=emergency.area_code,
            changes={"month": f"{period:%Y-%m}", "households": paid, "amount_fen": amount * paid},
        )
    return paid


def _registration(app: Application | None, deadlines: dict[int, CaseDeadline], today: dt.date) -> tuple[str, Any]:
    if app is None:
        return "none", None
    d = deadlines.get(app.pk)
    if d is None:
        return "none", None
    if d.met_on is not None:
        return ("on_time" if d.met_on <= d.due_on else "late"), d
    return ("overdue" if today > d.due_on else "pending"), d


def report(emergency: Emergency, *, by: User) -> dict[str, Any]:
    """应急期报告: listed, relieved, amounts, 补办登记 on time / late / overdue, 过渡期 aid —
    over the households of the actor's jurisdiction."""
    rows = list(
        EmergencyHousehold.objects.visible_to(by)
        .filter(emergency=emergency)
        .select_related("household", "application")
        .order_by("area_code", "household_id")
    )
    apps = [r.application_id for r in rows if r.application_id]
    deadlines = {d.application_id: d for d in CaseDeadline.objects.filter(application_id__in=apps, step="registration")}
    areas = dict(Area.objects.filter(code__in={r.area_code for r in rows}).values_list("code", "name"))
    today = timezone.localdate()
    counts = dict.fromkeys(REGISTRATION, 0)
    items = []
    for r in rows:
        status, d = _registration(r.application, deadlines, today)
        counts[status] += 1
        items.append(
            {
                "household_id": r.household_id,
                "area_code": r.area_code,
                "area_name": areas.get(r.area_code, r.area_code),
                "head": mask_name(r.household.head_name),
                "persons": r.persons,
                "loss": r.loss,
                "application_id": r.application_id,
                "application_number": r.application.number if r.application else "",
                "advance_fen": r.advance_fen,
                "relieved_at": r.relieved_at,
                "register_due": d.due_on if d else None,
                "registered_on": d.met_on if d else None,
                "registration": status,
                "registration_name": REGISTRATION[status],
                "transition_months": r.transition_months_paid,
                "transition_fen": r.transition_fen,
            }
        )
    return {
        "households": len(rows),
        "relieved": sum(1 for r in rows if r.application_id),
        "advance_fen": sum(r.advance_fen for r in rows),
        "registered_on_time": counts["on_time"],
        "registered_late": counts["late"],
        "overdue": counts["overdue"],
        "pending": counts["pending"],
        "transition_households": sum(1 for r in rows if r.transition_months_paid),
        "transition_fen": sum(r.transition_fen for r in rows),
        "unknown_ids": sum(len(i.get("unknown", [])) for i in emergency.imports),
        "items": items,
    }


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


REPORT_HEADERS = [
    "村（社区）",
    "户主",
    "名单人数",
    "受灾情况",
    "救助申请编号",
    "先行救助金额（元）",
    "先行救助时间",
    "补办登记截止",
    "补办登记日期",
    "补办登记情况",
    "过渡期生活救助月数",
    "过渡期生活救助金额（元）",
]


def report_rows(data: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            i["area_name"],
            i["head"],
            i["persons"],
            i["loss"],
            i["application_number"],
            i["advance_fen"] / 100,
            timezone.localtime(i["relieved_at"]).strftime("%Y-%m-%d %H:%M") if i["relieved_at"] else "",
            str(i["register_due"] or ""),
            str(i["registered_on"] or ""),
            i["registration_name"],
            i["transition_months"],
            i["transition_fen"] / 100,
        ]
        for i in data["items"]
    ]


def report_notes(emergency: Emergency, data: dict[str, Any]) -> list[str]:
    """The summary lines of the report (the Excel's second sheet and the page's head)."""
    return [
        f"事件：{emergency.name}（{KINDS.get(emergency.kind, emergency.kind)}），"
        f"{emergency.starts_on}至{emergency.ended_at.date() if emergency.ended_at else emergency.planned_end_on}",
        f"启动依据：{emergency.source_document}",
        f"名单户数：{data['households']}；先行救助户数：{data['relieved']}；先行救助金额：{format_yuan(data['advance_fen'])}",
        f"补办登记：按期{data['registered_on_time']}户，逾期补办{data['registered_late']}户，"
        f"逾期未补办{data['overdue']}户，待补办{data['pending']}户",
        f"过渡期生活救助：{data['transition_households']}户，合计{format_yuan(data['transition_fen'])}",
        f"名单中未匹配到登记家庭的身份证号：{data['unknown_ids']}个",
    ]
