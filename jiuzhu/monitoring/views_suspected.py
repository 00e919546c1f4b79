"""Pages of 疑似困难人员名单 (issue 17 item 2; DIS-3, DIS-4, REG-6), under
``/monitoring/suspected/``: the departments' lists with their push frequency and criteria,
the reports of the lists loaded, and one list's report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.applications.models import PROGRAM_CHOICES

from . import suspected
from .models import SuspectedList


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
    return render(request, "monitoring/discovery/suspected_lists.html", {"sources": sources, "page": page})


@login_required
def report_view(request: AuthedRequest, batch_id: int) -> HttpResponse:
    report = get_object_or_404(
        SuspectedList.objects.visible_to(request.user).select_related("batch"), batch_id=batch_id
    )
    return render(request, "monitoring/discovery/suspected_report.html", {"r": report})
