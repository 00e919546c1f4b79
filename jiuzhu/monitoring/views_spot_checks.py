"""Pages of 抽查 (SUP-5), mounted with monitoring's other pages under ``/payments/``: the county
draws and checks a sample of the towns' decisions; a town's 审批 staff see their own cases and
answer a problem with its 整改."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.applications.models import PROGRAM_CHOICES
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError
from jiuzhu.programs.engine import parameter_store
from jiuzhu.web.files import file_response
from jiuzhu.web.forms import run_action

from . import spot_checks
from .models import SPOT_CHECK_RESULTS, SpotCheck, SpotCheckItem


def _checks(request: AuthedRequest) -> Any:
    qs = SpotCheck.objects.visible_to(request.user)
    if not request.user.is_superuser and not request.user.has_perm_code("monitoring.conduct"):
        raise Http404
    return qs


def _may_draw(request: AuthedRequest) -> bool:
    return spot_checks.may_draw(request.user)


@login_required
def spot_check_list(request: AuthedRequest) -> HttpResponse:
    """抽查: the county's spot checks, and the form to draw a new one."""
    checks = list(_checks(request)[:50])
    counts = spot_checks.summaries(SpotCheckItem.objects.visible_to(request.user).filter(spot_check__in=checks))
    none = spot_checks.Summary(0, 0, 0, 0)
    area = request.user.area
    county = area.code[:6] if area is not None else ""
    form: dict[str, Any] = {"towns": [], "programs": []}
    if request.method == "POST" and not _may_draw(request):
        raise PermissionDenied("抽查由县级民政部门组织")
    if request.method == "POST":
        p = request.POST
        form = {
            "name": p.get("name", ""),
            "decided_from": p.get("decided_from", ""),
            "decided_to": p.get("decided_to", ""),
            "towns": [t[:9] for t in p.getlist("towns")],
            "programs": p.getlist("programs"),
        }
        try:
            check = spot_checks.draw_spot_check(form, by=request.user)
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, f"已从{check.population}件审批决定中随机抽取{check.items.count()}件")
            return redirect("monitoring:spot_check", check.pk)
    setting = None
    if _may_draw(request) and area is not None:
        setting = parameter_store().lookup(spot_checks.PERCENT, area.code, timezone.localdate())
    return render(
        request,
        "monitoring/spot_checks/list.html",
        {
            "rows": [(c, counts.get(c.pk, none)) for c in checks],
            "can_draw": _may_draw(request),
            "form": form,
            "setting": setting,
            "towns": Area.objects.filter(level="town", code__startswith=county).order_by("code") if county else [],
            "programs": PROGRAM_CHOICES,
        },
    )


def _names(check: SpotCheck, items: list[SpotCheckItem]) -> dict[str, str]:
    codes = {i.area_code for i in items} | {i.area_code[:9].ljust(12, "0") for i in items}
    codes |= {t.ljust(12, "0") for t in check.towns}
    return dict(Area.objects.filter(code__in=codes).values_list("code", "name"))


def _items(request: AuthedRequest, check: SpotCheck) -> list[SpotCheckItem]:
    return list(
        spot_checks.visible_items(check, request.user)
        .select_related("application", "application__household", "application__decided_by")
        .order_by("area_code", "id")
    )


@login_required
def spot_check_view(request: AuthedRequest, pk: int) -> HttpResponse:
    check = get_object_or_404(_checks(request), pk=pk)
    items = _items(request, check)
    names = _names(check, items)
    area = request.user.area
    town = area is not None and area.level == "town" and request.user.has_perm_code("payments.decide")
    return render(
        request,
        "monitoring/spot_checks/check.html",
        {
            "check": check,
            "rows": [
                {
                    "item": i,
                    "town": names.get(i.area_code[:9].ljust(12, "0"), ""),
                    "village": names.get(i.area_code, i.area_code),
                    "decision": spot_checks.DECISIONS.get(i.application.decision, ""),
                }
                for i in items
            ],
            "summary": spot_checks.summary(spot_checks.visible_items(check, request.user)),
            "drawn_total": check.items.count(),
            "town_names": [names.get(t.ljust(12, "0"), t) for t in check.towns],
            "program_names": [spot_checks.PROGRAMS.get(p, p) for p in check.programs],
            "results": SPOT_CHECK_RESULTS,
            "can_check": _may_draw(request) and check.status == "checking",
            "can_rectify": town,
        },
    )


@login_required
def spot_check_export(request: AuthedRequest, pk: int) -> HttpResponse:
    check = get_object_or_404(_checks(request), pk=pk)
    items = _items(request, check)
    return file_response(spot_checks.spot_check_xlsx(check, items, _names(check, items)), f"{check.name}.xlsx")


@login_required
@require_POST
def spot_check_item(request: AuthedRequest, pk: int, item_pk: int, name: str) -> HttpResponse:
    check = get_object_or_404(_checks(request), pk=pk)
    item = get_object_or_404(SpotCheckItem.objects.visible_to(request.user), spot_check=check, pk=item_pk)
    p = request.POST
    if name == "result":
        run_action(
            request,
            lambda: spot_checks.record_spot_check_result(
                item, by=request.user, result=p.get("result", ""), finding=p.get("finding", "")
            ),
            f"已登记{item.application.number}的抽查结论",
        )
    elif name == "rectify":
        run_action(
            request,
            lambda: spot_checks.rectify_spot_check_item(item, by=request.user, note=p.get("note", "")),
            f"已反馈{item.application.number}的整改情况",
        )
    else:
        raise Http404
    return redirect("monitoring:spot_check", check.pk)


@login_required
@require_POST
def spot_check_close(request: AuthedRequest, pk: int) -> HttpResponse:
    check = get_object_or_404(_checks(request), pk=pk)
    run_action(request, lambda: spot_checks.close_spot_check(check, by=request.user), "抽查已结束")
    return redirect("monitoring:spot_check", check.pk)
