"""The API of 摸底排查 (issue 17 item 5, DIS-2), under ``/api/v1/monitoring/campaigns``:
list and create, ``actions/launch`` and ``actions/close``, ``coverage?area_code=`` and
``visits`` (the village's list, with why each household is on it; the village assistant
marks a household visited)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import InvalidInput, NotFound

from . import campaign_coverage as coverage_mod
from . import campaigns
from .models import CAMPAIGN_STATUS, Campaign, CampaignVisit

router = Router(tags=["政策找人"])
ACTIONS = ("launch", "close")


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def campaign_out(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.pk,
        "county_code": c.county_code,
        "name": c.name,
        "towns": c.towns,
        "targets": c.targets,
        "target_names": [campaigns.TARGETS.get(t, t) for t in c.targets],
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "source_document": c.source_document,
        "status": c.status,
        "status_name": dict(CAMPAIGN_STATUS).get(c.status, c.status),
        "launched_at": c.launched_at,
        "closed_at": c.closed_at,
    }


def visit_out(v: CampaignVisit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "campaign_id": v.campaign_id,
        "household_id": v.household_id,
        "area_code": v.area_code,
        "visited_on": v.visited_on,
        "result": v.result,
        "note": v.note,
        "task_id": v.task_id,
    }


def listed_out(v: CampaignVisit, reasons: list[str]) -> dict[str, Any]:
    h = v.household
    return {
        **visit_out(v),
        "head_name": h.head_name,
        "address": h.address,
        "member_count": h.member_count,
        "result_name": v.get_result_display() if v.result else "未走访",
        "reasons": reasons,
    }


def _row(r: coverage_mod.CoverageRow) -> dict[str, Any]:
    return {
        "area_code": r.code,
        "name": r.name,
        "households": r.households,
        "visited": r.visited,
        "percent": r.percent,
        "persons": r.persons,
        "persons_visited": r.persons_visited,
        "villages": r.villages,
        "villages_done": r.villages_done,
        "villages_untouched": r.villages_untouched,
        "difficulty": r.difficulty,
        "not_found": r.not_found,
        "moved": r.moved,
    }


class CampaignCreateIn(Schema):
    name: str = ""
    towns: list[str] = []  # 9-digit town codes; empty = the whole county
    targets: list[str] = []  # left_behind, severe_disabled, elderly_alone, dibao_edge, all
    starts_on: str = ""
    ends_on: str = ""
    source_document: str = ""


class CampaignVisitIn(Schema):
    household_id: int = 0
    result: str = ""  # difficulty, no_difficulty, not_found, moved
    note: str = ""
    visited_on: str = ""
    program: str = ""  # for difficulty: the program the 核查任务 points to (default temporary)


@router.get("/campaigns", summary="摸底排查（本县）")
def list_campaigns(request: HttpRequest) -> dict[str, Any]:
    qs = Campaign.objects.visible_to(_user(request))
    return {"count": qs.count(), "items": [campaign_out(c) for c in qs]}


@router.post("/campaigns", response={201: dict}, summary="新建摸底排查（草拟）")
def create_campaign(request: HttpRequest, body: CampaignCreateIn) -> Status[dict[str, Any]]:
    return Status(201, campaign_out(campaigns.create_campaign(body.dict(), by=_user(request))))


@router.post("/campaigns/{campaign_id}/actions/{name}", summary="摸底排查操作：launch 启动，close 结束")
def campaign_action(request: HttpRequest, campaign_id: int, name: str) -> dict[str, Any]:
    by = _user(request)
    if name not in ACTIONS:
        raise NotFound("unknown_action", f"没有名为“{name}”的摸底排查操作（可用：{'、'.join(ACTIONS)}）")
    campaign = get_object_or_404(Campaign.objects.visible_to(by), pk=campaign_id)
    if name == "launch":
        campaign = campaigns.launch_campaign(campaign, by=by)
    else:
        campaign = campaigns.close_campaign(campaign, by=by)
    return campaign_out(campaign)


@router.get("/campaigns/{campaign_id}/coverage", summary="排查覆盖（镇不漏村、村不漏户、户不漏人）")
def campaign_coverage(request: HttpRequest, campaign_id: int, area_code: str = "") -> dict[str, Any]:
    by = _user(request)
    campaign = get_object_or_404(Campaign.objects.visible_to(by), pk=campaign_id)
    cov = coverage_mod.coverage(campaign, by=by, area_code=area_code)
    return {
        "campaign": campaign_out(campaign),
        "total": _row(cov.total),
        "towns": [_row(t) for t in cov.towns],
        "villages": [_row(v) for v in cov.villages],
        "missing_count": cov.missing_count,
        "missing": cov.missing,
    }


@router.get("/campaigns/{campaign_id}/visits", summary="排查名单（本村；show=pending 未走访、done 已走访）")
def campaign_visits(
    request: HttpRequest, campaign_id: int, show: str = "", page: int = 1, page_size: int = 50
) -> dict[str, Any]:
    by = _user(request)
    campaign = get_object_or_404(Campaign.objects.visible_to(by), pk=campaign_id)
    if show not in ("", "pending", "done"):
        raise InvalidInput("invalid_choice", "show 应为 pending（未走访）或 done（已走访），不填为全部", field="show")
    qs = campaigns.visits_for(campaign, by, show)
    page_size, page = max(1, min(page_size, 200)), max(page, 1)
    rows = list(qs[(page - 1) * page_size : page * page_size])
    why = campaigns.reasons(campaign, [v.household_id for v in rows])
    return {"count": qs.count(), "items": [listed_out(v, why[v.household_id]) for v in rows]}


@router.post("/campaigns/{campaign_id}/visits", summary="登记入户排查结果（村协理员/网格员）")
def campaign_visit(request: HttpRequest, campaign_id: int, body: CampaignVisitIn) -> dict[str, Any]:
    by = _user(request)
    campaign = get_object_or_404(Campaign.objects.visible_to(by), pk=campaign_id)
    visit = campaigns.record_campaign_visit(
        campaign,
        body.household_id,
        by=by,
        result=body.result,
        note=body.note,
        visited_on=body.visited_on,
        program=body.program,
    )
    return visit_out(visit)
