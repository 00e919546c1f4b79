"""摸底排查 campaigns (issue 17 item 5, DIS-2): a county screens target households village by
village — "镇不漏村、村不漏户、户不漏人".

Actions: ``create_campaign`` (a draft: name, scope = towns or the whole county, period, target
groups, source document), ``launch_campaign`` (computes every village's household list in one
set-based pass and inserts it in bulk), ``close_campaign``, and ``record_campaign_visit`` (the
village assistant marks a household visited with a result; ``difficulty`` opens a 核查任务 for
the village through the county's 摸底排查 rule, so the finding is closed like any warning).
Queries: ``target_households`` and ``coverage`` (SQL aggregates by town and by village).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.core.inputs import field_text as _text
from jiuzhu.core.inputs import required_date as _date
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.referrals.models import AssistanceRecord
from jiuzhu.registry.models import Household, Person

from .conditions import program_choices
from .models import (
    CAMPAIGN_TARGETS,
    VISIT_RESULTS,
    Campaign,
    CampaignVisit,
    GridTask,
    MonitoringRule,
    Warning,
)
from .warnings import kept_rule, task_days

TARGETS = dict(CAMPAIGN_TARGETS)
RESULTS = dict(VISIT_RESULTS)
# The county's rule behind the 核查任务 a campaign opens; disabled, so the nightly evaluation
# never runs it (its warnings come from visits only).
CAMPAIGN_RULE = "campaign_found"
ELDERLY_AGE = 60  # 老年人: 60 周岁以上 (《老年人权益保障法》第二条)
INSERT_BATCH = 5000


def _county_staff(by: User) -> str:
    """Campaigns are launched by the county (县级民政): its code, or a refusal (403)."""
    require(by, "registry.edit")
    area = getattr(by, "area", None)
    if area is None or area.level != "county":
        raise Forbidden("county_only", "摸底排查由县级民政部门组织，乡镇和村无权创建、启动或结束")
    return str(area.code[:6])


def county_towns(raw: Any, county: str, label: str) -> list[str]:
    """The 9-digit codes of towns of ``county`` chosen in a form or a request body (a list or a
    comma-separated text); empty = the whole county. Any other code is refused by name."""
    if isinstance(raw, str):
        raw = [t for t in raw.replace("，", ",").split(",") if t.strip()]
    towns = sorted({str(t).strip()[:9] for t in raw or []})
    if towns:
        known = set(
            Area.objects.filter(level="town", code__in=[t.ljust(12, "0") for t in towns]).values_list("code", flat=True)
        )
        bad = [t for t in towns if t.ljust(12, "0") not in known or not t.startswith(county)]
        if bad:
            raise InvalidInput(
                "invalid_town", f"{label}中的乡镇“{'、'.join(bad)}”不是本县的乡镇（街道）", field="towns"
            )
    return towns


def create_campaign(data: dict[str, Any], *, by: User) -> Campaign:
    """新建摸底排查 (draft). ``towns``: 9-digit town codes of the county, empty = 全县."""
    county = _county_staff(by)
    name = _text(data, "name", "排查名称", 64)
    source = _text(data, "source_document", "依据文件", 200)
    starts_on = _date(data.get("starts_on"), "starts_on", "开始日期")
    ends_on = _date(data.get("ends_on"), "ends_on", "结束日期")
    if ends_on < starts_on:
        raise InvalidInput("invalid_period", "结束日期不能早于开始日期", field="ends_on")
    raw_targets = data.get("targets") or []
    if isinstance(raw_targets, str):
        raw_targets = [t for t in raw_targets.replace("，", ",").split(",") if t.strip()]
    targets = [str(t).strip() for t in raw_targets]
    if not targets:
        raise InvalidInput("required", "请至少选择一类排查对象", field="targets")
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise InvalidInput(
            "invalid_choice",
            f"排查对象“{'、'.join(unknown)}”不存在（可选：{'、'.join(f'{k} {v}' for k, v in TARGETS.items())}）",
            field="targets",
        )
    targets = ["all"] if "all" in targets else list(dict.fromkeys(targets))
    towns = county_towns(data.get("towns"), county, "排查范围")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            county_code=county,
            name=name,
            towns=towns,
            targets=targets,
            starts_on=starts_on,
            ends_on=ends_on,
            source_document=source,
            created_by=user_or_none(by),
        )
        record(
            by,
            "monitoring.campaign.create",
            campaign,
            area_code=county.ljust(12, "0"),
            changes={
                "name": name,
                "towns": towns,
                "targets": targets,
                "starts_on": str(starts_on),
                "ends_on": str(ends_on),
            },
        )
    return campaign


def target_households(campaign: Campaign) -> QuerySet[Household]:
    """The campaign's target households, one SQL query: in scope, at least one living member,
    and matching any chosen target group."""
    living = Person.objects.filter(household=OuterRef("pk"), death_date__isnull=True)
    qs = Household.objects.filter(county_code=campaign.county_code).filter(Exists(living))
    if campaign.towns:
        scope = Q()
        for town in campaign.towns:
            scope |= Q(area__code__startswith=town)
        qs = qs.filter(scope)
    if "all" in campaign.targets:
        return qs
    tags = Household.categories.through.objects.filter(household=OuterRef("pk"))
    match = Q()
    if "left_behind" in campaign.targets:  # 三留守: the household or a living member tagged
        match |= Q(Exists(tags.filter(targetcategory__code="left_behind")))
        match |= Q(Exists(living.filter(categories__code="left_behind")))
    if "severe_disabled" in campaign.targets:  # 重残: 一级、二级残疾
        match |= Q(Exists(living.filter(disability_grade__in=[1, 2])))
    if "elderly_alone" in campaign.targets:  # 独居老人: one living member, 60 or older
        born_by = _years_before(campaign.starts_on, ELDERLY_AGE)
        count = Subquery(
            living.order_by().values("household").annotate(c=Count("pk")).values("c")[:1],
            output_field=IntegerField(),
        )
        qs = qs.annotate(living_count=count)
        match |= Q(living_count=1) & Q(Exists(living.filter(birth_date__lte=born_by)))
    if "dibao_edge" in campaign.targets:  # 低保边缘家庭: tagged, or recognised (in the 基础信息库 now)
        match |= Q(Exists(tags.filter(targetcategory__code="dibao_edge")))
        match |= Q(Exists(_edge_records().filter(household=OuterRef("pk"))))
    return qs.filter(match)


def visits_for(campaign: Campaign, user: Any, show: str = "") -> QuerySet[CampaignVisit]:
    """排查名单: the campaign's households in the user's area, ``show`` = pending / done / all."""
    qs: QuerySet[CampaignVisit] = (
        CampaignVisit.objects.visible_to(user)
        .filter(campaign=campaign)
        .select_related("household")
        .order_by("area_code", "household_id")
    )
    if show == "pending":
        return qs.filter(visited_on__isnull=True)
    if show == "done":
        return qs.filter(visited_on__isnull=False)
    return qs


def findings(task: GridTask) -> list[dict[str, Any]]:
    """What 摸底排查 visits found for a task's household: a visit finding hardship where a task was
    already open joins that task, and its worker's note must reach whoever closes it."""
    visits = CampaignVisit.objects.filter(task=task).select_related("campaign").order_by("visited_on", "id")
    return [
        {
            "campaign_id": v.campaign_id,
            "campaign": v.campaign.name,
            "visited_on": v.visited_on,
            "result": v.result,
            "result_name": v.get_result_display(),
            "note": v.note,
        }
        for v in visits
    ]


GRADE_NAMES = {1: "一级", 2: "二级"}


def reasons(campaign: Campaign, household_ids: list[int]) -> dict[int, list[str]]:
    """Why each household is on the list, by the members who match (户不漏人、人不漏项): what the
    village worker looks for at the door. The same groups as ``target_households``."""
    found: dict[int, list[str]] = {pk: [] for pk in household_ids}
    targets = set(campaign.targets)
    if not household_ids or "all" in targets:
        return found
    living: dict[int, list[Person]] = {pk: [] for pk in household_ids}
    people = (
        Person.objects.filter(household_id__in=household_ids, death_date__isnull=True)
        .only("pk", "household_id", "name", "birth_date", "disability_grade")
        .prefetch_related("categories")
        .order_by("relation_order", "pk")
    )
    for person in people:
        living[person.household_id].append(person)
    tags = set(
        Household.categories.through.objects.filter(household_id__in=household_ids).values_list(
            "household_id", "targetcategory__code"
        )
    )
    edge: set[int] = set()
    if "dibao_edge" in targets:
        edge = set(_edge_records().filter(household_id__in=household_ids).values_list("household_id", flat=True))
    for pk, members in living.items():
        lines = found[pk]
        if "elderly_alone" in targets and len(members) == 1:
            age = members[0].age_on(campaign.starts_on)
            if age >= ELDERLY_AGE:
                lines.append(f"独居老年人：{members[0].name}（{age}岁）")
        if "severe_disabled" in targets:
            lines += [
                f"重度残疾人：{m.name}（{GRADE_NAMES[m.disability_grade]}残疾）"
                for m in members
                if m.disability_grade in GRADE_NAMES
            ]
        if "left_behind" in targets:
            if (pk, "left_behind") in tags:
                lines.append("“三留守”家庭")
            lines += [
                f"“三留守”人员：{m.name}" for m in members if any(c.code == "left_behind" for c in m.categories.all())
            ]
        if "dibao_edge" in targets and ((pk, "dibao_edge") in tags or pk in edge):
            lines.append("低保边缘家庭")
    return found


def _edge_records() -> QuerySet[AssistanceRecord]:
    """Open rows of the 社会救助对象基础信息库 for 低保边缘家庭 (an approval writes them; a stop or a
    department's end date closes them)."""
    today = timezone.localdate()
    return AssistanceRecord.objects.filter(program_code=EDGE_PROGRAM).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=today)
    )


EDGE_PROGRAM = "dibao_edge"  # 低保边缘家庭: the program's code, in cases and in the register alike


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _locked(campaign: Campaign) -> Campaign:
    locked: Campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    return locked


def launch_campaign(campaign: Campaign, *, by: User) -> Campaign:
    """启动排查: each village's household list, computed set-based and inserted in bulk."""
    county = _county_staff(by)
    require_in_scope(by=by, area_code=campaign.county_code, what="摸底排查")
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.county_code != county:
            raise NotFound("not_found", "摸底排查不存在或不在您的管辖范围内")
        if campaign.status != "draft":
            raise DomainError("not_draft", f"摸底排查已{campaign.get_status_display()}，不能再次启动")
        if campaign.ends_on < timezone.localdate():
            raise DomainError("period_over", "排查期间已结束，不能启动，请按新的排查期间新建摸底排查")
        rows = target_households(campaign).order_by().values_list("pk", "area_id")
        batch: list[CampaignVisit] = []
        total = 0
        for household_id, area_code in rows.iterator(chunk_size=INSERT_BATCH):
            batch.append(CampaignVisit(campaign_id=campaign.pk, household_id=household_id, area_code=area_code))
            if len(batch) >= INSERT_BATCH:
                CampaignVisit.objects.bulk_create(batch)
                total += len(batch)
                batch = []
        if batch:
            CampaignVisit.objects.bulk_create(batch)
            total += len(batch)
        if total == 0:
            raise DomainError("no_targets", "排查范围内没有符合所选排查对象的家庭，请调整范围或对象")
        campaign.status, campaign.launched_at = "running", timezone.now()
        campaign.save(update_fields=["status", "launched_at"])
        villages = CampaignVisit.objects.filter(campaign=campaign).values("area_code").distinct().count()
        record(
            by,
            "monitoring.campaign.launch",
            campaign,
            area_code=county.ljust(12, "0"),
            changes={"households": total, "villages": villages},
        )
    return campaign


def close_campaign(campaign: Campaign, *, by: User) -> Campaign:
    """结束排查: no more visits; the coverage stays as it was."""
    county = _county_staff(by)
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.county_code != county:
            raise NotFound("not_found", "摸底排查不存在或不在您的管辖范围内")
        if campaign.status != "running":
            raise DomainError("not_running", f"摸底排查{campaign.get_status_display()}，只有排查中的才能结束")
        campaign.status, campaign.closed_at = "closed", timezone.now()
        campaign.save(update_fields=["status", "closed_at"])
        stats = CampaignVisit.objects.filter(campaign=campaign).aggregate(
            total=Count("pk"), visited=Count("pk", filter=Q(visited_on__isnull=False))
        )
        record(by, "monitoring.campaign.close", campaign, area_code=county.ljust(12, "0"), changes=stats)
    return campaign


def _campaign_rule(county: str, by: User) -> MonitoringRule:
    return kept_rule(
        county,
        CAMPAIGN_RULE,
        by,
        name="摸底排查发现困难",
        reason="摸底排查入户走访发现家庭生活困难，核查是否符合救助条件",
        status="campaign",
        source="摸底排查（DIS-2）",
    )


def _open_task(visit: CampaignVisit, *, by: User, program: str, note: str, on: dt.date) -> GridTask:
    """发现困难 → a 预警 and its 核查任务 for the village; an unclosed one of the household is reused."""
    existing: GridTask | None = (
        GridTask.objects.filter(household_id=visit.household_id).unclosed().order_by("-id").first()
    )
    if existing is not None:
        return existing
    person = (
        Person.objects.filter(household_id=visit.household_id, death_date__isnull=True)
        .order_by("relation_order", "id")
        .first()
    )
    if person is None:
        raise DomainError("household_empty", "该户已无在世成员，无法登记发现困难")
    county = visit.area_code[:6]
    rule = _campaign_rule(county, by)
    period = f"{on:%Y-%m}"
    campaign = visit.campaign
    warning, _ = Warning.objects.get_or_create(
        rule=rule,
        person=person,
        period=period,
        defaults={
            "household_id": visit.household_id,
            "area_code": visit.area_code,
            "county_code": county,
            "level": rule.level,
            "program": program,
            "reason": f"{rule.name}（{campaign.name}）：{note}"[:300],
            "facts": [{"source": "campaign", "source_name": "摸底排查", "label": campaign.name, "value": note}],
            "status": "tasked",
        },
    )
    task, _ = GridTask.objects.get_or_create(
        warning=warning,
        defaults={
            "household_id": visit.household_id,
            "person": person,
            "area_code": visit.area_code,
            "county_code": county,
            "due_on": current_calendar().add_working_days(on, task_days(county, on)),
        },
    )
    return task


def record_campaign_visit(
    campaign: Campaign,
    household_id: int,
    *,
    by: User,
    result: str,
    note: str = "",
    visited_on: Any = None,
    program: str = "",
) -> CampaignVisit:
    """入户排查登记 (DIS-2): the village marks a household visited with a result."""
    require(by, "registry.edit")
    if not result:
        raise InvalidInput("required", "请选择排查结果", field="result")
    if result not in RESULTS:
        raise InvalidInput(
            "invalid_choice",
            f"请选择排查结果（{'、'.join(f'{k} {v}' for k, v in RESULTS.items())}）",
            field="result",
        )
    data = {"note": note}
    note = _text(data, "note", "情况说明", 300, required=result in ("difficulty", "moved", "not_found"))
    day = timezone.localdate() if visited_on in (None, "") else _date(visited_on, "visited_on", "走访日期")
    if result == "difficulty":
        program = program or "temporary"
        if program not in dict(program_choices()):
            raise InvalidInput("invalid_choice", "请选择建议申请的救助项目", field="program")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != "running":
            raise DomainError("not_running", f"摸底排查{campaign.get_status_display()}，不能登记走访")
        visit: CampaignVisit | None = (
            CampaignVisit.objects.visible_to(by)
            .select_for_update()
            .filter(campaign=campaign, household_id=household_id)
            .first()
        )
        if visit is None:
            raise NotFound("not_found", "该户不在本次排查名单中，或不在您的管辖范围内", field="household_id")
        require_in_scope(by=by, area_code=visit.area_code, what="排查户")
        if day < campaign.starts_on or day > min(campaign.ends_on, timezone.localdate()):
            raise InvalidInput(
                "invalid_date",
                f"走访日期须在排查期间（{campaign.starts_on:%Y-%m-%d}至{campaign.ends_on:%Y-%m-%d}）内且不晚于今天",
                field="visited_on",
            )
        if visit.task_id is not None:
            raise DomainError("already_tasked", "该户已因发现困难生成核查任务，请在核查任务中办理")
        visit.visited_on, visit.visited_by = day, user_or_none(by)
        visit.result, visit.note = result, note
        visit.campaign = campaign
        if result == "difficulty":
            visit.task = _open_task(visit, by=by, program=program, note=note, on=day)
        visit.save()
        record(
            by,
            "monitoring.campaign.visit",
            visit,
            area_code=visit.area_code,
            changes={
                "campaign": campaign.pk,
                "household": household_id,
                "result": result,
                "note": note,
                "visited_on": str(day),
                "task": visit.task_id,
            },
        )
    return visit
