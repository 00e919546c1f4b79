from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.areas.models import Area, full_code, in_subtree
from jiuzhu.core.errors import DomainError
from jiuzhu.registry.forms import apply_errors
from jiuzhu.registry.models import Household
from jiuzhu.web.labels import NATIONAL_LABEL, area_labels

from . import actions, impact
from .county import CountyProgramView, county_view, county_views
from .engine import evaluate_household, parameter_store
from .facts import household_facts
from .forms import ChangeForm, CountyProgramForm, FamilyForm, LocalProgramForm, MemberFactsFormSet
from .models import LAYER_CHOICES, AssistanceProgram, ParameterChange
from .settings import settings_in_force


def _user_county(user: Any) -> str:
    """The county whose catalog a user sees (blank for a user above the county level)."""
    county = getattr(getattr(user, "area", None), "county_code", "") or ""
    return "" if county.endswith("00") else county


@login_required
def catalog(request: AuthedRequest) -> HttpResponse:
    """救助项目库, as the user's county runs it: its 承办部门, contact and local programs (PRG-2)."""
    layer = request.GET.get("layer", "")
    county = _user_county(request.user)
    qs = AssistanceProgram.objects.filter(is_active=True)
    qs = qs.for_county(county) if county else qs.filter(county_code="")
    if layer:
        qs = qs.filter(layer=layer)
    rows = county_views(county, qs) if county else [CountyProgramView(p, None) for p in qs]
    context = {
        "rows": rows,
        "county": county,
        "layers": LAYER_CHOICES,
        "layer": layer,
        "can_manage": request.user.has_perm_code("programs.county") or request.user.is_superuser,
    }
    return render(request, "programs/catalog.html", context)


@login_required
def program_detail(request: AuthedRequest, code: str) -> HttpResponse:
    county = _user_county(request.user)
    qs = AssistanceProgram.objects.filter(is_active=True)
    program = get_object_or_404(qs.for_county(county) if county else qs.filter(county_code=""), code=code)
    view = county_view(county, program) if county else CountyProgramView(program, None)
    department = None
    if county and (view.row is None or view.row.department_id is None):
        from jiuzhu.accounts.models import Department

        department = Department.objects.filter(code=program.department_code, area_id=full_code(county)).first()
    context = {"program": program, "view": view, "department": department, "county": county}
    return render(request, "programs/program.html", context)


def _managed_county(request: AuthedRequest) -> str:
    county = _user_county(request.user)
    if not (request.user.has_perm_code("programs.county") or request.user.is_superuser) or not county:
        raise PermissionDenied("您的岗位无权管理本县救助项目")
    return county


@login_required
def county_catalog(request: AuthedRequest) -> HttpResponse:
    """本县救助项目 (PRG-2, INT-16): which programs the county runs, with its own entries."""
    county = _managed_county(request)
    views = county_views(county)
    return render(
        request,
        "programs/county.html",
        {
            "county": county,
            "county_name": area_labels([full_code(county)]).get(full_code(county), county),
            "views": views,
            "running": sum(1 for v in views if v.runs),
        },
    )


@login_required
def county_program_edit(request: AuthedRequest, code: str) -> HttpResponse:
    """Edit one program as the county runs it: 承办部门, contact, materials, 取消的证明事项."""
    from jiuzhu.accounts.models import Department

    county = _managed_county(request)
    program = get_object_or_404(AssistanceProgram.objects.for_county(county).filter(is_active=True), code=code)
    view = county_view(county, program)
    row = view.row
    initial: dict[str, Any] = {"runs": True}
    if row is not None:
        initial = {
            "runs": row.is_active,
            "department": row.department_id,
            "department_name": row.department_name,
            "contact_person": row.contact_person,
            "contact_phone": row.contact_phone,
            "materials": "\n".join(row.materials),
            "abolished_proofs": "\n".join(f"{p['name']}｜{p['document']}" for p in row.abolished_proofs),
            "note": row.note,
        }
    departments = Department.objects.filter(area_id=full_code(county))
    form = CountyProgramForm(request.POST or None, initial=initial, departments=departments)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_county_program(program, by=request.user, county_code=county, **form.action_kwargs())
        except DomainError as exc:
            apply_errors(exc, form, field_map={"department_id": "department"})
        else:
            messages.success(request, f"已保存本县“{program.name}”的设置")
            return redirect("programs:county")
    return render(request, "programs/county_edit.html", {"program": program, "view": view, "form": form})


@login_required
def local_program_add(request: AuthedRequest) -> HttpResponse:
    """新增本县自设救助项目 (PRG-2): seen by this county only."""
    county = _managed_county(request)
    form = LocalProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = actions.add_local_program(by=request.user, county_code=county, **form.action_kwargs())
        except DomainError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"已新增本县自设项目“{program.name}”")
            return redirect("programs:county")
    return render(request, "programs/local_add.html", {"form": form})


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
        on = timezone.localdate()
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
    areas = list(
        Area.objects.filter(
            in_subtree("code", user.area.prefix), level__in=("province", "city", "county", "town", "village")
        )
    )
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
