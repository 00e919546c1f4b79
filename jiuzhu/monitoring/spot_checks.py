"""抽查 (SUP-5, seed 004 "现场指导、抽查…加强事中事后监管"): after devolution the towns decide
低保、特困 and 临时救助, and the county checks a random sample of their decisions.

Actions: ``draw_spot_check`` (the county names a period, towns and programs; the share drawn is
the dated setting ``supervision.spot_check_percent`` in force that day; the draw's seed is kept
so that anyone can repeat it), ``record_spot_check_result`` (符合规定 / 存在问题 with the problem
found), ``rectify_spot_check_item`` (the town's 审批 answers a problem with its 整改) and
``close_spot_check`` (every drawn case checked). Queries: ``eligible_cases``, ``summary``,
``spot_check_xlsx``.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.applications.models import PROGRAM_CHOICES, Application
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.dates import day_label
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.core.inputs import field_text, required_date
from jiuzhu.programs.engine import parameter_store

from .campaigns import county_towns
from .models import SPOT_CHECK_RESULTS, SpotCheck, SpotCheckItem

PERCENT = "supervision.spot_check_percent"
PROGRAMS = dict(PROGRAM_CHOICES)
RESULTS = dict(SPOT_CHECK_RESULTS)
DECISIONS = {"approved": "批准", "rejected": "不予批准"}


def may_draw(user: Any) -> bool:
    """Whether the user may draw and conclude spot checks (a county's staff with the right)."""
    area = getattr(user, "area", None)
    return bool(user.has_perm_code("monitoring.spot_check")) and area is not None and area.level == "county"


def visible_items(check: SpotCheck, user: Any) -> QuerySet[SpotCheckItem]:
    """A check's drawn cases in the user's area (a town sees its own)."""
    items: QuerySet[SpotCheckItem] = SpotCheckItem.objects.visible_to(user).filter(spot_check=check)
    return items


def _county_staff(by: User) -> Area:
    """The county's area of a user who may spot-check, or a refusal (403)."""
    require(by, "monitoring.spot_check")
    area = getattr(by, "area", None)
    if area is None or area.level != "county":
        raise Forbidden("county_only", "抽查由县级民政部门组织")
    county: Area = area
    return county


def eligible_cases(
    county: str, decided_from: Any, decided_to: Any, towns: list[str], programs: list[str]
) -> QuerySet[Application]:
    """The towns' decisions (批准 or 不予批准, by a town's staff) made in the period, in scope."""
    qs = Application.objects.filter(
        county_code=county,
        decision__in=list(DECISIONS),
        decided_at__date__gte=decided_from,
        decided_at__date__lte=decided_to,
        decided_by__area__level="town",
    )
    if towns:
        scope = Q()
        for town in towns:
            scope |= Q(area_code__startswith=town)
        qs = qs.filter(scope)
    if programs:
        qs = qs.filter(program__in=programs)
    return qs


def _programs(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = [p for p in raw.replace("，", ",").split(",") if p.strip()]
    chosen = list(dict.fromkeys(str(p).strip() for p in raw or []))
    unknown = [p for p in chosen if p not in PROGRAMS]
    if unknown:
        names = "、".join(f"{k} {v}" for k, v in PROGRAMS.items())
        raise InvalidInput("invalid_choice", f"救助项目“{'、'.join(unknown)}”不存在（可选：{names}）", field="programs")
    return chosen


def draw_spot_check(data: dict[str, Any], *, by: User) -> SpotCheck:
    """抽取: the cases drawn at random, ``percent`` of those eligible rounded up (at least one)."""
    area = _county_staff(by)
    county = area.code[:6]
    name = field_text(data, "name", "抽查名称", 64)
    decided_from = required_date(data.get("decided_from"), "decided_from", "审批日期起")
    decided_to = required_date(data.get("decided_to"), "decided_to", "审批日期止")
    today = timezone.localdate()
    if decided_to < decided_from:
        raise InvalidInput("invalid_period", "审批日期止不能早于审批日期起", field="decided_to")
    if decided_to > today:
        raise InvalidInput("invalid_period", f"审批日期止不能晚于今天（{day_label(today)}）", field="decided_to")
    towns = county_towns(data.get("towns"), county, "抽查乡镇")
    programs = _programs(data.get("programs"))
    percent = int(parameter_store().lookup(PERCENT, area.code, today).value)
    with transaction.atomic():
        ids = sorted(eligible_cases(county, decided_from, decided_to, towns, programs).values_list("pk", flat=True))
        if not ids:
            raise DomainError("no_cases", "所选期间和范围内没有乡镇（街道）作出的审批决定，无法抽查，请调整期间或范围")
        seed = secrets.token_hex(8)
        drawn = sorted(random.Random(seed).sample(ids, max(1, math.ceil(len(ids) * percent / 100))))
        check = SpotCheck.objects.create(
            county_code=county,
            name=name,
            decided_from=decided_from,
            decided_to=decided_to,
            towns=towns,
            programs=programs,
            percent=percent,
            population=len(ids),
            seed=seed,
            created_by=user_or_none(by),
        )
        areas = dict(Application.objects.filter(pk__in=drawn).values_list("pk", "area_code"))
        SpotCheckItem.objects.bulk_create(
            [SpotCheckItem(spot_check=check, application_id=pk, area_code=areas[pk]) for pk in drawn]
        )
        record(
            by,
            "monitoring.spot_check.draw",
            check,
            area_code=area.code,
            changes={
                "name": name,
                "decided_from": decided_from,
                "decided_to": decided_to,
                "towns": towns,
                "programs": programs,
                "percent": percent,
                "population": len(ids),
                "drawn": len(drawn),
                "seed": seed,
            },
        )
    return check


def _item(item: SpotCheckItem) -> SpotCheckItem:
    locked: SpotCheckItem = SpotCheckItem.objects.select_for_update().select_related("spot_check").get(pk=item.pk)
    return locked


def record_spot_check_result(item: SpotCheckItem, *, by: User, result: str, finding: str = "") -> SpotCheckItem:
    """检查结论: 符合规定, or 存在问题 with what was found (the town then answers with 整改)."""
    county = _county_staff(by).code[:6]
    if result not in RESULTS:
        names = "、".join(f"{k} {v}" for k, v in RESULTS.items())
        raise InvalidInput("invalid_choice", f"请选择抽查结论（{names}）", field="result")
    finding = field_text({"finding": finding}, "finding", "发现的问题", 300, required=result == "problem")
    with transaction.atomic():
        item = _item(item)
        if item.spot_check.county_code != county:
            raise NotFound("not_found", "抽查案件不存在或不在您的管辖范围内")
        if item.spot_check.status != "checking":
            raise DomainError("spot_check_closed", "该次抽查已结束，不能再修改结论")
        if item.rectified_at is not None:
            raise DomainError("already_rectified", "乡镇（街道）已就该问题反馈整改，不能再修改结论")
        before = item.result
        item.result, item.finding = result, finding if result == "problem" else ""
        item.checked_by, item.checked_at = user_or_none(by), timezone.now()
        item.save(update_fields=["result", "finding", "checked_by", "checked_at"])
        record(
            by,
            "monitoring.spot_check.result",
            item,
            changes={
                "application": item.application_id,
                "from": before,
                "result": result,
                "problem_found": item.finding,
            },
        )
    return item


def rectify_spot_check_item(item: SpotCheckItem, *, by: User, note: str) -> SpotCheckItem:
    """整改反馈: the town's 审批 staff say what they corrected for a problem the county found."""
    require(by, "payments.decide")
    area = getattr(by, "area", None)
    if area is None or area.level != "town":
        raise Forbidden("town_only", "整改情况由乡镇（街道）审批人员反馈")
    note = field_text({"note": note}, "note", "整改情况", 300)
    with transaction.atomic():
        item = _item(item)
        require_in_scope(by=by, area_code=item.area_code, what="抽查案件")
        if item.result != "problem":
            raise DomainError("no_problem", "该案件抽查未发现问题，无需整改")
        if item.rectified_at is not None:
            raise DomainError("already_rectified", "已反馈整改情况，不能重复反馈")
        item.rectification, item.rectified_by, item.rectified_at = note, user_or_none(by), timezone.now()
        item.save(update_fields=["rectification", "rectified_by", "rectified_at"])
        record(by, "monitoring.spot_check.rectify", item, changes={"application": item.application_id, "note": note})
    return item


def close_spot_check(check: SpotCheck, *, by: User) -> SpotCheck:
    """结束抽查: every drawn case has its conclusion (a problem's 整改 may follow later)."""
    area = _county_staff(by)
    with transaction.atomic():
        check = SpotCheck.objects.select_for_update().get(pk=check.pk)
        if check.county_code != area.code[:6]:
            raise NotFound("not_found", "抽查不存在或不在您的管辖范围内")
        if check.status != "checking":
            raise DomainError("spot_check_closed", "该次抽查已结束")
        left = check.items.filter(result="").count()
        if left:
            raise DomainError("unchecked_items", f"尚有{left}件抽查案件未作出结论，不能结束抽查")
        check.status, check.closed_at = "closed", timezone.now()
        check.save(update_fields=["status", "closed_at"])
        record(by, "monitoring.spot_check.close", check, area_code=area.code, changes={"status": "closed"})
    return check


@dataclass(frozen=True)
class Summary:
    drawn: int
    checked: int
    problems: int
    rectified: int


_COUNTS = {
    "drawn": Count("pk"),
    "checked": Count("pk", filter=~Q(result="")),
    "problems": Count("pk", filter=Q(result="problem")),
    "rectified": Count("pk", filter=Q(rectified_at__isnull=False)),
}


def summary(items: QuerySet[SpotCheckItem]) -> Summary:
    row = items.aggregate(**_COUNTS)
    return Summary(**{k: int(v or 0) for k, v in row.items()})


def summaries(items: QuerySet[SpotCheckItem]) -> dict[int, Summary]:
    """``summary`` of each check at once (one grouped query); a check with no item is absent."""
    rows = items.order_by().values("spot_check").annotate(**_COUNTS)
    return {r["spot_check"]: Summary(**{k: int(r[k] or 0) for k in _COUNTS}) for r in rows}


def drawn_totals(checks: list[SpotCheck]) -> dict[int, int]:
    """How many cases each check drew in all, whoever asks (a town's ``summary`` counts its own)."""
    rows = SpotCheckItem.objects.filter(spot_check__in=checks).order_by().values("spot_check").annotate(n=Count("pk"))
    return {r["spot_check"]: r["n"] for r in rows}


def spot_check_xlsx(check: SpotCheck, items: list[SpotCheckItem], names: dict[str, str]) -> bytes:
    """The drawn cases with their conclusions and 整改, for the county's report."""
    from jiuzhu.web.files import xlsx

    headers = [
        "申请编号",
        "乡镇（街道）",
        "村（社区）",
        "救助项目",
        "审批结论",
        "审批日期",
        "审批人",
        "抽查结论",
        "发现的问题",
        "整改情况",
    ]
    rows = [
        [
            i.application.number,
            names.get(i.area_code[:9].ljust(12, "0"), ""),
            names.get(i.area_code, i.area_code),
            i.application.get_program_display(),
            DECISIONS.get(i.application.decision, ""),
            f"{timezone.localtime(i.application.decided_at):%Y-%m-%d}" if i.application.decided_at else "",
            i.application.decided_by.display_name if i.application.decided_by else "",
            RESULTS.get(i.result, "未检查"),
            i.finding,
            i.rectification,
        ]
        for i in items
    ]
    return xlsx(headers, rows, sheet=f"{check.name}"[:31], all_text=True)
