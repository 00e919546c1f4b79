"""Fiscal powers (FND-6), fund plans (FND-9), incentives (FND-10) and contracts (FND-12)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from .. import actions, forms, queries
from ..models import (
    SHARE_LEVELS,
    BudgetLine,
    FiscalPower,
    FundPlan,
    Incentive,
    ServiceContract,
)
from ._common import _areas, _can_edit, _submit, _viewer

# ---- fiscal powers ----------------------------------------------------------------------------------


@login_required
def powers(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    form = forms.PowerForm(request.POST or None)
    county = user.area.county_code if user.area else ""  # no area: the action refuses (invalid_area)
    if request.method == "POST":
        done = _submit(
            request,
            form,
            lambda d: actions.set_fiscal_power(
                by=user,
                county_code=county,
                program=d["program"],
                shares=form.shares(),
                department=d["department"],
                legal_basis=d["legal_basis"],
                note=d["note"],
            ),
            "已保存财政事权清单",
        )
        if done is not None:
            return redirect("funds:powers")
    return render(
        request,
        "funds/powers.html",
        {
            "powers": FiscalPower.objects.visible_to(user),
            "levels": SHARE_LEVELS,
            "form": form,
            "can_edit": _can_edit(user),
        },
    )


# ---- fund plans -----------------------------------------------------------------------------------------


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    form = forms.FundPlanForm(request.POST or None)
    if request.method == "POST":
        plan = _submit(
            request,
            form,
            lambda d: actions.create_fund_plan(by=user, county_code=user.area.county_code if user.area else "", **d),
            "已新建资金规划",
        )
        if plan is not None:
            return redirect("funds:plan", plan.pk)
    return render(
        request,
        "funds/plans.html",
        {"plans": FundPlan.objects.visible_to(user), "form": form, "can_edit": _can_edit(user)},
    )


@login_required
def plan_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    plan = get_object_or_404(FundPlan.objects.visible_to(user), pk=pk)
    form = forms.TargetsForm(request.POST or None, years=plan.years)
    if request.method == "POST":
        done = _submit(
            request,
            form,
            lambda d: actions.set_plan_targets(plan, by=user, program=d["program"], targets=form.targets()),
            "已保存规划目标",
        )
        if done is not None:
            return redirect("funds:plan", plan.pk)
    return render(
        request,
        "funds/plan.html",
        {"plan": plan, "result": queries.plan_comparison(user, plan), "form": form, "can_edit": _can_edit(user)},
    )


# ---- incentives and contracts ----------------------------------------------------------------------------


@login_required
def incentives(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    areas = _areas(user)
    form = forms.IncentiveForm(request.POST or None, areas=areas)
    if request.method == "POST":
        done = _submit(request, form, lambda d: actions.record_incentive(by=user, **d), "已登记激励记录")
        if done is not None:
            return redirect("funds:incentives")
    return render(
        request,
        "funds/incentives.html",
        {"incentives": Incentive.objects.visible_to(user)[:500], "form": form, "can_edit": _can_edit(user)},
    )


@login_required
def contracts(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    visible_lines = list(BudgetLine.objects.visible_to(user).order_by("-year", "area_code", "program", "source")[:500])
    names = {a.code: a.name for a in _areas(user)}
    form = forms.ContractForm(
        request.POST or None, lines=visible_lines, area_names=names, initial={"line": request.GET.get("line", "")}
    )
    if request.method == "POST":

        def create(d: dict[str, Any]) -> Any:
            line = get_object_or_404(BudgetLine.objects.visible_to(user), pk=int(d.pop("line")))
            return actions.create_contract(line, by=user, **d)

        done = _submit(request, form, create, "已登记政府购买服务合同")
        if done is not None:
            return redirect("funds:contracts")
    return render(
        request,
        "funds/contracts.html",
        {
            "contracts": ServiceContract.objects.visible_to(user).select_related("line")[:500],
            "names": names,
            "form": form,
            "can_edit": _can_edit(user),
        },
    )
