"""办理流程: the county's workflow table, its changes and their review (issue 16 item 2)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.core.errors import DomainError
from jiuzhu.registry.forms import apply_errors
from jiuzhu.web.labels import area_labels

from .. import workflow
from ..actions.workflow_changes import (
    confirm_workflow_change,
    county_of,
    propose_workflow_change,
    reject_workflow_change,
)
from ..config import config_for
from ..forms import WorkflowChangeForm
from ..models import (
    PRESET_LABELS,
    WorkflowChange,
)
from ..workflow_dryrun import dry_run


@login_required
def workflow_view(request: AuthedRequest) -> HttpResponse:
    """办理流程: the county's table in force on a date (状态 → 操作 → 可操作岗位), its changes,
    and the form to propose one (issue 16 item 2)."""
    user = request.user
    try:
        on = dt.date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        on = timezone.localdate()
    county, rows, preset_label, error = "", [], "", ""
    try:
        county = county_of(
            request.GET.get("area_code") or (user.area.county_code if user.area else ""), by=user, reading=True
        )
        config = config_for(county, on)
        rows = workflow.listing(county, on, config.preset)
        preset_label = config.get_preset_display()
    except DomainError as exc:
        error = exc.message
    can_propose = user.has_perm_code("parameters.propose") or user.is_superuser
    form = WorkflowChangeForm(
        request.POST or None, rows=rows, initial={"valid_from": timezone.localdate(), "enabled": True}
    )
    if request.method == "POST":
        if not can_propose:
            raise PermissionDenied("您的岗位无权提出办理流程调整")
        if form.is_valid():
            try:
                change = propose_workflow_change(by=user, area_code=county, **form.change_data())
            except DomainError as exc:
                apply_errors(exc, form)
            else:
                messages.success(request, "已提交办理流程调整，请另一名工作人员查看试运行结果后确认")
                return redirect("applications:workflow_change", pk=change.pk)
    changes = list(
        WorkflowChange.objects.visible_to(user)
        .filter(county_code=county)
        .select_related("proposed_by", "decided_by")[:100]
    )
    labels = {r.key: f"{r.sources_label} → {r.row.label}" for r in rows}
    for c in changes:
        c.row_label = labels.get(f"{c.transition}:{c.sources}:{c.preset}") or _row_label(c)  # type: ignore[attr-defined]
        c.who_label = (  # type: ignore[attr-defined]
            "、".join(workflow.describe_spec(s) for s in c.who) if c.enabled else "停用本环节"
        )
    context = {
        "county": county,
        "county_name": area_labels([county.ljust(12, "0")]).get(county.ljust(12, "0"), county) if county else "",
        "on": on,
        "rows": rows,
        "preset_label": preset_label,
        "error": error,
        "form": form,
        "changes": changes,
        "can_propose": can_propose and bool(rows),
    }
    return render(request, "applications/workflow.html", context)


def _row_label(change: WorkflowChange) -> str:
    try:
        row = workflow.code_row(change.transition, change.source_states, change.preset)
    except DomainError:
        return "（流程表中已无此操作）"
    states = "、".join(workflow.STATE_LABELS.get(s, s) for s in row.sources)
    return f"{states} → {row.label}（{PRESET_LABELS.get(change.preset, '')}）"


@login_required
def workflow_change_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """One 办理流程调整 with its 试运行 over the county's open cases, and 确认生效/退回."""
    change = get_object_or_404(
        WorkflowChange.objects.visible_to(request.user).select_related("proposed_by", "decided_by"), pk=pk
    )
    try:
        row = workflow.code_row(change.transition, change.source_states, change.preset)
    except DomainError:
        raise Http404 from None
    result, error = None, ""
    try:
        result = dry_run(change)
    except DomainError as exc:
        error = exc.message
    user = request.user
    may_decide = (
        change.status == "proposed"
        and (user.has_perm_code("parameters.confirm") or user.is_superuser)
        and change.proposed_by_id != user.pk
    )
    context = {
        "change": change,
        "row": row,
        "who_label": "、".join(workflow.describe_spec(s) for s in change.who) if change.enabled else "（停用本环节）",
        "before_label": "、".join(workflow.describe_spec(s) for s in row.who),
        "sources_label": "、".join(workflow.STATE_LABELS.get(s, s) for s in row.sources),
        "result": result,
        "error": error,
        "may_decide": may_decide,
    }
    return render(request, "applications/workflow_change.html", context)


@login_required
@require_POST
def workflow_decide_view(request: AuthedRequest, pk: int, decision: str) -> HttpResponse:
    change = get_object_or_404(WorkflowChange.objects.visible_to(request.user), pk=pk)
    note = request.POST.get("note", "")
    try:
        if decision == "confirm":
            confirm_workflow_change(change, by=request.user, note=note)
            messages.success(request, "办理流程调整已确认，自生效日期起执行")
        elif decision == "reject":
            reject_workflow_change(change, by=request.user, note=note)
            messages.success(request, "办理流程调整已退回")
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("applications:workflow_change", pk=change.pk)
