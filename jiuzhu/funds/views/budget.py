"""Execution (FND-5), budget lines and monthly plans (FND-1, FND-11), forecast (FND-7) and sources."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from jiuzhu.areas.models import Area
from jiuzhu.web.files import file_response

from .. import actions, forms, queries
from ..models import (
    FUND_PROGRAM_CHOICES,
    MONTHS,
    BudgetLine,
    MonthlyPlan,
    ServiceContract,
)
from ._common import _can_edit, _filters, _submit, _viewer

# ---- execution ------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    f = _filters(request, user)
    program = request.GET.get("program", "")
    report = queries.execution(user, year=f["year"], root=f["root"], program=program)
    if request.GET.get("format") == "xlsx":
        return file_response(queries.execution_xlsx(report), f"预算执行-{f['year']}.xlsx")
    return render(
        request,
        "funds/home.html",
        {**f, "report": report, "program": program, "programs": FUND_PROGRAM_CHOICES, "months": list(MONTHS)},
    )


# ---- budget lines ------------------------------------------------------------------------------------


@login_required
def lines(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    f = _filters(request, user)
    form = forms.LineForm(
        request.POST or None,
        areas=f["areas"],
        initial={"year": f["year"], "area_code": f["root"].code if f["root"] else ""},
    )
    if request.method == "POST":
        line = _submit(request, form, lambda d: actions.create_budget_line(by=user, **d), "已新增预算科目")
        if line is not None:
            return redirect("funds:line", line.pk)
    qs = BudgetLine.objects.visible_to(user).filter(year=f["year"]).order_by("area_code", "program", "source")
    names = {a.code: a.name for a in f["areas"]}
    return render(
        request, "funds/lines.html", {**f, "lines": qs, "names": names, "form": form, "can_edit": _can_edit(user)}
    )


@login_required
def line_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    line = get_object_or_404(BudgetLine.objects.visible_to(user), pk=pk)
    plan = dict(MonthlyPlan.objects.filter(line=line).values_list("month", "amount_fen"))
    edit = forms.LineEditForm(
        request.POST if request.POST.get("op") == "update" else None,
        initial={
            "amount_yuan": f"{line.amount_fen / 100:.2f}",
            "tilted": line.tilted,
            "tilt_note": line.tilt_note,
            "note": line.note,
        },
    )
    plan_form = forms.PlanForm(
        request.POST if request.POST.get("op") == "plan" else None,
        initial={f"m{m}": f"{v / 100:.2f}" for m, v in plan.items()},
    )
    if request.method == "POST":
        if request.POST.get("op") == "update":
            done = _submit(request, edit, lambda d: actions.update_budget_line(line, by=user, **d), "已调整预算")
        else:
            done = _submit(
                request,
                plan_form,
                lambda d: actions.set_monthly_plan(line, by=user, months=plan_form.months()),
                "已保存月度用款计划",
            )
        if done is not None:
            return redirect("funds:line", line.pk)
    area = Area.objects.filter(code=line.area_code).first()
    return render(
        request,
        "funds/line.html",
        {
            "line": line,
            "area": area,
            "edit": edit,
            "plan_form": plan_form,
            "planned_fen": sum(plan.values()),
            "contracts": ServiceContract.objects.filter(line=line),
            "can_edit": _can_edit(user),
        },
    )


# ---- reports -------------------------------------------------------------------------------------------


@login_required
def forecast(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    f = _filters(request, user)
    return render(
        request, "funds/forecast.html", {**f, "result": queries.forecast(user, year=f["year"], root=f["root"])}
    )


@login_required
def sources(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    f = _filters(request, user)
    return render(
        request, "funds/sources.html", {**f, "report": queries.by_source(user, year=f["year"], root=f["root"])}
    )
