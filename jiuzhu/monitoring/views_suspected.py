"""Pages of 疑似困难人员名单 (issue 17 item 2; DIS-3, DIS-4, REG-6), under
``/monitoring/suspected/``: the departments' lists with their push frequency and criteria,
the reports of the lists loaded, the lists whose processing failed (retried here), and one
list's report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.applications.models import PROGRAM_CHOICES
from jiuzhu.core.errors import DomainError

from . import suspected
from .models import SuspectedList, SuspectedListFailure


@login_required
def list_view(request: AuthedRequest) -> HttpResponse:
    programs = dict(PROGRAM_CHOICES)
    sources = [
        {"source": s, "spec": spec, "program": programs.get(spec.get("program", ""), spec.get("program", ""))}
        for s in suspected.list_sources()
        if (spec := suspected.list_spec(s)) is not None
    ]
    qs = SuspectedList.objects.visible_to(request.user).order_by("-processed_at", "-id")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    failures = list(SuspectedListFailure.objects.visible_to(request.user).filter(resolved_at__isnull=True)[:50])
    can_retry = request.user.has_perm_code("parameters.propose")
    return render(
        request,
        "monitoring/discovery/suspected_lists.html",
        {"sources": sources, "page": page, "failures": failures, "can_retry": can_retry},
    )


@login_required
@require_POST
def retry_view(request: AuthedRequest, batch_id: int) -> HttpResponse:
    """重新处理 a list whose processing failed (once the missing setting is in force)."""
    failure = get_object_or_404(SuspectedListFailure.objects.visible_to(request.user), batch_id=batch_id)
    try:
        report = suspected.retry_list(failure, by=request.user)
    except DomainError as exc:
        messages.error(request, f"名单仍未处理成功：{exc.message}")
        return redirect("discovery:suspected")
    messages.success(request, f"名单已处理，新建预警{report.created}条")
    return redirect("discovery:suspected_report", batch_id=batch_id)


@login_required
def report_view(request: AuthedRequest, batch_id: int) -> HttpResponse:
    report = get_object_or_404(
        SuspectedList.objects.visible_to(request.user).select_related("batch"), batch_id=batch_id
    )
    return render(request, "monitoring/discovery/suspected_report.html", {"r": report})
