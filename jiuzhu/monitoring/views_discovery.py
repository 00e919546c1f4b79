"""Pages of 政策找人 (issue 17 items 1 and 3), under ``/monitoring/``: the 预警 list for town
and county staff, the county's 预警规则 (edited on a page, no code), 我的核查任务 for the
village worker (phone layout) and a task with its visit form and closing outcomes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.accounts.permissions import require
from jiuzhu.applications.models import TEMPORARY_KIND_CHOICES
from jiuzhu.core.errors import DomainError, Forbidden, NotFound
from jiuzhu.rules.facts.codes import EMERGENCY_EVENTS

from . import campaigns
from .actions import grid
from .conditions import MEASURES, OPS, STATUSES, condition_label, program_choices
from .models import TASK_OUTCOMES, TASK_STATUS, WARNING_LEVELS, WARNING_STATUS, GridTask, MonitoringRule, Warning

PER_PAGE = 20
TASK_FILTERS = [*TASK_STATUS, ("overdue", "已超期"), ("escalated", "已上报乡镇")]


def _page(request: AuthedRequest, qs: Any) -> Any:
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


def _query_without_page(request: AuthedRequest) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


@login_required
def warning_list(request: AuthedRequest) -> HttpResponse:
    """预警 (DIS-6): filters level, status, rule; newest first."""
    qs = Warning.objects.visible_to(request.user).select_related("rule", "person", "household", "task")
    level, status, rule = request.GET.get("level", ""), request.GET.get("status", ""), request.GET.get("rule", "")
    if level in dict(WARNING_LEVELS):
        qs = qs.filter(level=level)
    if status in dict(WARNING_STATUS):
        qs = qs.filter(status=status)
    if rule.isdigit():
        qs = qs.filter(rule_id=int(rule))
    rules = MonitoringRule.objects.visible_to(request.user)
    return render(
        request,
        "monitoring/discovery/warnings.html",
        {
            "page": _page(request, qs.order_by("-created_at", "-id")),
            "levels": WARNING_LEVELS,
            "statuses": WARNING_STATUS,
            "rules": rules,
            "level": level,
            "status": status,
            "rule": rule,
            "query": _query_without_page(request),
        },
    )


@login_required
def rule_list(request: AuthedRequest) -> HttpResponse:
    rules = list(MonitoringRule.objects.visible_to(request.user))
    names = dict(program_choices())
    for r in rules:
        r.condition_text = condition_label(r.condition)  # type: ignore[attr-defined]
        r.program_name = names.get(r.program, r.program)  # type: ignore[attr-defined]
        r.system = bool(grid.system_rule_note(r))  # type: ignore[attr-defined]
    can_edit = request.user.is_superuser or request.user.has_perm_code("parameters.propose")
    return render(request, "monitoring/discovery/rules.html", {"rules": rules, "can_edit": can_edit})


def _rule_data(post: Any) -> dict[str, Any]:
    kind = post.get("condition_kind", "")
    if kind in MEASURES:
        condition: dict[str, Any] = {"measure": kind, "op": post.get("op", ""), "value": post.get("value", "")}
    else:
        condition = {"status": kind, "new_days": post.get("new_days", ""), "detail_any": post.get("detail_any", "")}
    return {
        "code": post.get("code", ""),
        "name": post.get("name", ""),
        "level": post.get("level", ""),
        "reason": post.get("reason", ""),
        "program": post.get("program", ""),
        "condition": condition,
        "valid_from": post.get("valid_from", ""),
        "valid_to": post.get("valid_to", ""),
        "source_document": post.get("source_document", ""),
        "enabled": post.get("enabled") == "on",
    }


@login_required
def rule_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    """新增/修改预警规则 (DIS-1): Chinese terms only; saved through ``grid.save_rule``."""
    rule = get_object_or_404(MonitoringRule.objects.visible_to(request.user), pk=pk) if pk else None
    can_edit = request.user.is_superuser or request.user.has_perm_code("parameters.propose")
    system_note = grid.system_rule_note(rule) if rule is not None else ""
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("当前角色无权修改预警规则")
        if system_note:
            messages.error(request, system_note)
            return redirect("discovery:rule", pk=rule.pk if rule else 0)
        data = _rule_data(request.POST)
        try:
            grid.save_rule(rule, data, by=request.user)
        except DomainError as e:
            messages.error(request, e.message)
            again = {**data, **data["condition"], "condition_kind": request.POST.get("condition_kind", "")}
            return render(request, "monitoring/discovery/rule_form.html", _rule_context(rule, again, can_edit, e.field))
        messages.success(request, "预警规则已保存")
        return redirect("discovery:rules")
    form: dict[str, Any] = {"enabled": True, "level": "yellow"}
    if rule is not None:
        c = rule.condition
        form = {
            "name": rule.name,
            "level": rule.level,
            "reason": rule.reason,
            "program": rule.program,
            "valid_from": rule.valid_from.isoformat(),
            "valid_to": rule.valid_to.isoformat() if rule.valid_to else "",
            "source_document": rule.source_document,
            "enabled": rule.enabled,
            "condition_kind": c.get("measure") or c.get("status", ""),
            "op": c.get("op", ""),
            "value": c.get("value", ""),
            "new_days": c.get("new_days", ""),
            "detail_any": "，".join(c.get("detail_any", [])),
        }
    context = _rule_context(rule, form, can_edit and not system_note, None)
    context["system_note"] = system_note
    return render(request, "monitoring/discovery/rule_form.html", context)


def _rule_context(
    rule: MonitoringRule | None, form: dict[str, Any], can_edit: bool, field: str | None
) -> dict[str, Any]:
    kinds = [(k, m.label) for k, m in MEASURES.items()] + list(STATUSES.items())
    return {
        "rule": rule,
        "form": form,
        "can_edit": can_edit,
        "error_field": field,
        "kinds": kinds,
        "ops": list(OPS.items()),
        "levels": WARNING_LEVELS,
        "programs": program_choices(),
        "condition_text": condition_label(rule.condition) if rule else "",
    }


def _tasks(request: AuthedRequest) -> Any:
    return GridTask.objects.visible_to(request.user).select_related("warning__rule", "person", "household")


@login_required
def task_list(request: AuthedRequest) -> HttpResponse:
    """我的核查任务 (a village worker) / 核查任务 (town, county): phone-friendly cards."""
    qs = _tasks(request)
    status = request.GET.get("status", "")
    if status == "overdue":
        qs = qs.overdue()
    elif status == "escalated":
        qs = qs.unclosed().filter(escalated_at__isnull=False)
    elif status in dict(TASK_STATUS):
        qs = qs.filter(status=status)
    elif not status:
        qs = qs.unclosed()
    mine = getattr(request.user, "role", "") == "village_assistant"
    return render(
        request,
        "monitoring/discovery/tasks.html",
        {
            "page": _page(request, qs.order_by("due_on", "id")),
            "filters": TASK_FILTERS,
            "status": status,
            "mine": mine,
            "today": timezone.localdate(),
            "query": _query_without_page(request),
        },
    )


@login_required
def task_view(request: AuthedRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(_tasks(request), pk=pk)
    can_act = request.user.is_superuser or request.user.has_perm_code("registry.edit")
    return render(
        request,
        "monitoring/discovery/task.html",
        {
            "task": task,
            "warning": task.warning,
            "findings": campaigns.findings(task),
            "outcomes": TASK_OUTCOMES,
            "can_act": can_act,
            "today": timezone.localdate(),
            "village_worker": getattr(request.user, "role", "") == "village_assistant",
            "temporary_kinds": [(k, v) for k, v in TEMPORARY_KIND_CHOICES if k],
            "emergency_events": [(k, v) for k, v in EMERGENCY_EVENTS.items() if k],
        },
    )


@login_required
@require_POST
def task_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    task = get_object_or_404(_tasks(request), pk=pk)
    p = request.POST
    try:
        if name == "record_visit":
            grid.record_visit(
                task,
                by=request.user,
                situation=p.get("situation", ""),
                needs=p.get("needs", ""),
                photo=request.FILES.get("photo"),
            )
            messages.success(request, "已登记走访情况")
        elif name == "close":
            signature = request.FILES.get("signature")
            task = grid.close_task(
                task,
                by=request.user,
                outcome=p.get("outcome", ""),
                note=p.get("note", ""),
                referred_to=p.get("referred_to", ""),
                temporary_kind=p.get("temporary_kind", ""),
                emergency_event=p.get("emergency_event", ""),
                signature=signature.read() if signature else None,
                entrust_reason=p.get("entrust_reason", ""),
            )
            messages.success(request, "核查任务已办结")
        elif name == "escalate":
            require(request.user, "registry.edit")
            grid.escalate_task(task, by=request.user, note=p.get("note", ""))
            messages.success(request, "已上报乡镇")
        else:
            raise Http404
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("discovery:task", task.pk)


def _yield_report(request: AuthedRequest) -> tuple[dict[str, Any], str]:
    from .measured_yield import yield_report

    area_code = request.GET.get("area_code", "").strip()
    month = request.GET.get("month", "").strip()
    try:
        return yield_report(by=request.user, area_code=area_code or None, month=month or None), ""
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        return yield_report(by=request.user), exc.message


@login_required
def yield_page(request: AuthedRequest) -> HttpResponse:
    """预警成效 (DIS-11): the month's yield by rule and by department list, for towns and the county."""
    report, error = _yield_report(request)
    return render(
        request,
        "monitoring/discovery/yield.html",
        {"report": report, "error": error, "area_code": request.GET.get("area_code", "").strip()},
    )


@login_required
def yield_export(request: AuthedRequest) -> HttpResponse:
    from jiuzhu.web.files import file_response

    from .measured_yield import yield_xlsx

    report, error = _yield_report(request)
    if error:
        messages.error(request, error)
        return redirect("discovery:yield")
    return file_response(yield_xlsx(report), f"预警成效_{report['month']}.xlsx")
