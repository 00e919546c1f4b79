"""Pages of 疑似困难人员名单 (issue 17 item 2; DIS-3, DIS-4, REG-6), under
``/monitoring/suspected/``: the departments' lists with their push frequency and criteria,
the reports of the lists loaded, the steps after a department batch's load that failed (a
list's processing, life events, the monitoring rules; retried here), and one list's report."""

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

from . import after_load, suspected
from .models import AfterLoadFailure, SuspectedList


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
    failures = list(AfterLoadFailure.objects.visible_to(request.user).filter(resolved_at__isnull=True)[:50])
    can_retry = request.user.has_perm_code("parameters.propose")
    return render(
        request,
        "monitoring/discovery/suspected_lists.html",
        {"sources": sources, "page": page, "failures": failures, "can_retry": can_retry},
    )


@login_required
@require_POST
def retry_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """重新处理 a failed step after a batch's load (once its cause is put right)."""
    return _retry(request, get_object_or_404(AfterLoadFailure.objects.visible_to(request.user), pk=pk))


@login_required
@require_POST
def retry_list_view(request: AuthedRequest, batch_id: int) -> HttpResponse:
    """重新处理 a list whose processing failed, by its batch (the address before steps were named)."""
    failures = AfterLoadFailure.objects.visible_to(request.user)
    return _retry(request, get_object_or_404(failures, batch_id=batch_id, step="suspected"))


def _retry(request: AuthedRequest, failure: AfterLoadFailure) -> HttpResponse:
    try:
        result = after_load.retry(failure, by=request.user)
    except DomainError as exc:
        messages.error(request, f"仍未处理成功：{exc.message}")
        return redirect("discovery:suspected")
    if isinstance(result, SuspectedList):
        messages.success(request, f"名单已处理，新建预警{result.created}条")
        return redirect("discovery:suspected_report", batch_id=failure.batch_id)
    what = f"{failure.source_name}（批次#{failure.batch_id}）{failure.get_step_display()}"
    messages.success(request, f"已重新处理：{what}")
    return redirect("discovery:suspected")


@login_required
def report_view(request: AuthedRequest, batch_id: int) -> HttpResponse:
    report = get_object_or_404(
        SuspectedList.objects.visible_to(request.user).select_related("batch"), batch_id=batch_id
    )
    return render(request, "monitoring/discovery/suspected_report.html", {"r": report})
