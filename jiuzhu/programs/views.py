from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.areas.models import Area, in_subtree
from jiuzhu.core.errors import DomainError
from jiuzhu.registry.forms import apply_errors
from jiuzhu.registry.models import Household
from jiuzhu.web.labels import NATIONAL_LABEL, area_labels

from . import actions, impact
from .engine import evaluate_household, parameter_store
from .facts import household_facts
from .forms import ChangeForm, FamilyForm, MemberFactsFormSet
from .models import LAYER_CHOICES, AssistanceProgram, ParameterChange
from .settings import settings_in_force


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    layer = request.GET.get("layer", "")
    qs = AssistanceProgram.objects.filter(is_active=True)
    if layer:
        qs = qs.filter(layer=layer)
    return render(request, "programs/catalog.html", {"programs": qs, "layers": LAYER_CHOICES, "layer": layer})


@login_required
def program_detail(request: AuthedRequest, code: str) -> HttpResponse:
    program = get_object_or_404(AssistanceProgram, code=code, is_active=True)
    department = None
    if request.user.area is not None:
        from jiuzhu.accounts.models import Department

        department = Department.objects.filter(
            code=program.department_code, area_id=request.user.area.county_code.ljust(12, "0")
        ).first()
    return render(request, "programs/program.html", {"program": program, "department": department})


@login_required
def eligibility(request: HttpRequest) -> HttpResponse:
    """救助测算 (INT-4 智能研判): which programs a family may qualify for, and why."""
    household = None
    initial_members: list[dict[str, Any]] = []
    initial: dict[str, Any] = {}
    if request.GET.get("household"):
        household = get_object_or_404(Household.objects.visible_to(request.user), pk=request.GET["household"])
        initial_members = household_facts(household)
        initial["area_code"] = household.area_id
    form = FamilyForm(request.POST or None, user=request.user, initial=initial)
    formset = MemberFactsFormSet(request.POST or None, prefix="members", initial=initial_members or None)
    results = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        kept = [f for f in formset.forms if not f.cleaned_data.get("DELETE")]
        family: dict[str, Any] = {"members": [f.facts() for f in kept]}
        if form.temporary():
            family["temporary"] = form.temporary()
        if form.cleaned_data.get("alone"):
            family["alone"] = True
        try:
            results = evaluate_household(
                form.cleaned_data["area_code"], form.cleaned_data["date"], form.cleaned_data["programs"], family
            )
        except DomainError as exc:
            apply_errors(exc, form)
    context = {"form": form, "formset": formset, "results": results, "household": household}
    return render(request, "programs/eligibility.html", context)


@login_required
def parameters(request: AuthedRequest) -> HttpResponse:
    """救助标准与设置: values in force for the user's area on a date (today by default),
    grouped by topic with source and validity, and changes awaiting review."""
    store = parameter_store()
    area = request.user.area
    try:
        on = dt.date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        on = dt.date.today()
    rows = settings_in_force(area.short_code, on, store) if area is not None else []
    can_propose = request.user.has_perm_code("parameters.propose")
    form = ChangeForm(
        request.POST or None,
        store=store,
        areas=_area_choices(request.user),
        initial={"area_code": area.short_code if area else ""},
    )
    if request.method == "POST":
        if not can_propose:
            raise PermissionDenied("您的岗位无权提出参数调整")
        if form.is_valid():
            try:
                data = {
                    k: form.cleaned_data[k] for k in ("name", "area_code", "valid_from", "valid_to", "source", "reason")
                }
                actions.propose_change(by=request.user, value=form.internal_value(), **data)
            except DomainError as exc:
                apply_errors(exc, form)
            else:
                messages.success(request, "已提交参数调整，须由另一名工作人员复核后生效")
                return redirect("programs:parameters")
    changes = list(ParameterChange.objects.visible_to(request.user).select_related("proposed_by", "decided_by")[:100])
    # 影响预览: what each proposed change would move, seen before anyone confirms it (GOV-8).
    impacts = {c.pk: impact.preview(c, user=request.user) for c in changes if c.status == "proposed"}
    return render(
        request,
        "programs/parameters.html",
        {
            "rows": rows,
            "warnings": [s for s in rows if s.warning and not s.demo],
            "demo_values": [s for s in rows if s.demo],
            "form": form,
            "changes": changes,
            "impacts": impacts,
            "area_names": area_labels([*(v.area_code for v in rows), *(c.area_code for c in changes)]),
            "can_propose": can_propose,
            "on": on,
            "can_confirm": request.user.has_perm_code("parameters.confirm"),
        },
    )


def _area_choices(user: Any) -> list[tuple[str, str]]:
    """The areas a user may set a parameter for, by name: the user's own area and below."""
    if user.area is None:
        return []
    areas = list(Area.objects.filter(in_subtree("code", user.area.prefix), level__in=("county", "town", "village")))
    names = area_labels([a.code for a in areas])
    choices = [(a.short_code, names[a.code]) for a in areas]
    return [("CN", NATIONAL_LABEL), *choices] if user.is_superuser else choices


@login_required
@require_POST
def decide_change(request: AuthedRequest, pk: int, decision: str) -> HttpResponse:
    change = get_object_or_404(ParameterChange.objects.visible_to(request.user), pk=pk)
    note = request.POST.get("note", "")
    try:
        if decision == "confirm":
            actions.confirm_change(change, by=request.user, note=note)
            messages.success(request, "参数调整已复核生效")
        else:
            actions.reject_change(change, by=request.user, note=note)
            messages.success(request, "参数调整已退回")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("programs:parameters")
