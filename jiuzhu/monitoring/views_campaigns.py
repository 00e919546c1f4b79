"""Pages of 摸底排查 (issue 17 item 5, DIS-2), under ``/monitoring/campaigns/``: the county's
campaigns, a new campaign, a campaign with its coverage by town and village (and the Excel
export), and for the village assistant the village's household list with a phone-sized visit
form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError
from jiuzhu.web.files import file_response

from . import campaign_coverage as coverage_mod
from . import campaigns
from .conditions import program_choices
from .models import CAMPAIGN_TARGETS, VISIT_RESULTS, Campaign, CampaignVisit

PER_PAGE = 30


def _is_county_staff(request: AuthedRequest) -> bool:
    user = request.user
    area = getattr(user, "area", None)
    return user.is_superuser or (area is not None and area.level == "county" and user.has_perm_code("registry.edit"))


def _village(request: AuthedRequest) -> bool:
    return getattr(request.user, "role", "") == "village_assistant"


def _campaign(request: AuthedRequest, pk: int) -> Campaign:
    campaign: Campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    return campaign


@login_required
def campaign_list(request: AuthedRequest) -> HttpResponse:
    items = list(Campaign.objects.visible_to(request.user))
    if _village(request):
        items = [c for c in items if c.status != "draft"]
    return render(
        request,
        "monitoring/campaigns/list.html",
        {"campaigns": items, "can_edit": _is_county_staff(request), "village": _village(request)},
    )


@login_required
def campaign_new(request: AuthedRequest) -> HttpResponse:
    """新建摸底排查: name, scope (towns or the whole county), period, target groups, document."""
    area = getattr(request.user, "area", None)
    county = area.code[:6] if area is not None else ""
    towns = list(Area.objects.filter(level="town", code__startswith=county).order_by("code")) if county else []
    form: dict[str, Any] = {"targets": [], "towns": []}
    error_field = None
    if request.method == "POST":
        p = request.POST
        form = {
            "name": p.get("name", ""),
            "towns": [t[:9] for t in p.getlist("towns")],
            "targets": p.getlist("targets"),
            "starts_on": p.get("starts_on", ""),
            "ends_on": p.get("ends_on", ""),
            "source_document": p.get("source_document", ""),
        }
        try:
            campaign = campaigns.create_campaign(form, by=request.user)
        except DomainError as e:
            messages.error(request, e.message)
            error_field = e.field
        else:
            messages.success(request, "摸底排查已保存为草拟，请核对后启动")
            return redirect("discovery:campaign", campaign.pk)
    return render(
        request,
        "monitoring/campaigns/form.html",
        {
            "form": form,
            "towns": towns,
            "targets": CAMPAIGN_TARGETS,
            "error_field": error_field,
            "can_edit": _is_county_staff(request),
        },
    )


@login_required
def campaign_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The campaign and its coverage ("镇不漏村、村不漏户、户不漏人"); ``?area_code=`` narrows it."""
    campaign = _campaign(request, pk)
    if _village(request) and campaign.status != "draft":
        return redirect("discovery:campaign_households", campaign.pk)
    area_code = request.GET.get("area_code", "")
    try:
        cov = coverage_mod.coverage(campaign, by=request.user, area_code=area_code)
    except DomainError as e:
        messages.error(request, e.message)
        area_code = ""
        cov = coverage_mod.coverage(campaign, by=request.user)
    town_names = dict(
        Area.objects.filter(code__in=[t.ljust(12, "0") for t in campaign.towns]).values_list("code", "name")
    )
    return render(
        request,
        "monitoring/campaigns/campaign.html",
        {
            "campaign": campaign,
            "cov": cov,
            "area_code": area_code,
            "area_choices": coverage_mod.area_choices(campaign, by=request.user),
            "target_names": [campaigns.TARGETS.get(t, t) for t in campaign.targets],
            "town_names": [town_names.get(t.ljust(12, "0"), t) for t in campaign.towns],
            "can_edit": _is_county_staff(request),
        },
    )


@login_required
def coverage_export(request: AuthedRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    try:
        cov = coverage_mod.coverage(
            campaign, by=request.user, area_code=request.GET.get("area_code", ""), missing_limit=0
        )
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("discovery:campaign", campaign.pk)
    return file_response(coverage_mod.coverage_xlsx(campaign, cov), f"{campaign.name}_排查覆盖.xlsx")


@login_required
@require_POST
def campaign_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    campaign = _campaign(request, pk)
    try:
        if name == "launch":
            campaign = campaigns.launch_campaign(campaign, by=request.user)
            count = CampaignVisit.objects.filter(campaign=campaign).count()
            messages.success(request, f"摸底排查已启动，共{count}户排查对象已下发到各村")
        elif name == "close":
            campaigns.close_campaign(campaign, by=request.user)
            messages.success(request, "摸底排查已结束")
        else:
            raise Http404
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("discovery:campaign", campaign.pk)


@login_required
def village_list(request: AuthedRequest, pk: int) -> HttpResponse:
    """排查名单: the households of the user's village (or area), phone-sized cards."""
    campaign = _campaign(request, pk)
    show = request.GET.get("show", "")
    qs = campaigns.visits_for(campaign, request.user, show)
    total = CampaignVisit.objects.visible_to(request.user).filter(campaign=campaign)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    why = campaigns.reasons(campaign, [v.household_id for v in page])
    return render(
        request,
        "monitoring/campaigns/households.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": [(v, why[v.household_id]) for v in page],
            "show": show,
            "query": f"show={show}" if show else "",
            "total": total.count(),
            "visited": total.filter(visited_on__isnull=False).count(),
            "can_act": campaign.status == "running" and request.user.has_perm_code("registry.edit"),
        },
    )


@login_required
def visit_form(request: AuthedRequest, pk: int, household_id: int) -> HttpResponse:
    """入户排查登记: result, note, date; ``发现困难`` opens a 核查任务."""
    campaign = _campaign(request, pk)
    visit = get_object_or_404(
        CampaignVisit.objects.visible_to(request.user).select_related("household", "task"),
        campaign=campaign,
        household_id=household_id,
    )
    form: dict[str, Any] = {
        "result": visit.result,
        "note": visit.note,
        "visited_on": (visit.visited_on or timezone.localdate()).isoformat(),
        "program": "temporary",
    }
    if request.method == "POST":
        p = request.POST
        form = {k: p.get(k, "") for k in ("result", "note", "visited_on", "program")}
        try:
            visit = campaigns.record_campaign_visit(
                campaign,
                household_id,
                by=request.user,
                result=form["result"],
                note=form["note"],
                visited_on=form["visited_on"],
                program=form["program"],
            )
        except DomainError as e:
            messages.error(request, e.message)
        else:
            text = "已登记排查结果"
            if visit.task_id:
                text += "，已生成核查任务"
            messages.success(request, text)
            return redirect(f"{_url_households(campaign)}?show=pending")
    return render(
        request,
        "monitoring/campaigns/visit.html",
        {
            "campaign": campaign,
            "visit": visit,
            "reasons": campaigns.reasons(campaign, [visit.household_id])[visit.household_id],
            "form": form,
            "results": VISIT_RESULTS,
            "programs": program_choices(),
            "can_act": campaign.status == "running"
            and request.user.has_perm_code("registry.edit")
            and visit.task_id is None,
        },
    )


def _url_households(campaign: Campaign) -> str:
    from django.urls import reverse

    return reverse("discovery:campaign_households", args=[campaign.pk])
