"""Page of 现场发现报告 (issue 17 item 4, DIS-5, INT-24) under ``/monitoring/field-reports/``:
a phone-sized form for the grid worker (no script) and the reports of the user's area."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.core.errors import DomainError

from . import field
from .models import FIELD_GENDERS, FIELD_URGENCY, FieldReport

FORM_KEYS = ("id_number", "name", "gender", "approx_age", "description", "place", "situation", "needs", "urgency")


@login_required
def field_reports(request: AuthedRequest) -> HttpResponse:
    form: dict[str, str] = {"urgency": "normal"}
    error_field = None
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in FORM_KEYS}
        try:
            report = field.submit_field_report(dict(form), by=request.user)
        except DomainError as e:
            messages.error(request, e.message)
            error_field = e.field
        else:
            done = f"已登记，临时编号 {report.temp_number}" if report.temp_number else "已登记"
            messages.success(request, done)
            return redirect("discovery:field_reports")
    reports = FieldReport.objects.visible_to(request.user).select_related("person")[:50]
    return render(
        request,
        "monitoring/discovery/field_reports.html",
        {
            "reports": reports,
            "form": form,
            "error_field": error_field,
            "genders": FIELD_GENDERS,
            "urgencies": FIELD_URGENCY,
        },
    )
