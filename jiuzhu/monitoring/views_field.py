"""Pages of 现场发现报告 (issue 17 item 4, DIS-5, INT-24, PRG-13) under ``/monitoring/field-reports/``:
a phone-sized form for the grid worker (no script, optional photo), the reports of the user's
area, and one report's page: its 核查任务, 当场申请 (the intake prefilled from the report,
INT-11), 认定身份 (the temporary record merged), 转介救助管理站 and 移交来源地 (PRG-13, LNK-11)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.core.errors import DomainError

from . import field, field_referral
from .models import FIELD_GENDERS, FIELD_URGENCY, FieldReport

FORM_KEYS = (
    "id_number",
    "name",
    "gender",
    "approx_age",
    "description",
    "place",
    "situation",
    "needs",
    "urgency",
    "origin_county_code",
)
RELATED = ("person", "temp_person", "task", "photo", "station_referral", "handoff_referral")
FIELD_LABELS = {  # which field an error is about, in words
    "id_number": "身份证号码",
    "approx_age": "估计年龄",
    "description": "体貌特征",
    "place": "发现地点",
    "situation": "现场情况",
    "gender": "性别",
    "urgency": "紧急程度",
    "origin_county_code": "来源地",
    "photo": "现场照片",
    "area_code": "村（社区）",
}


@login_required
def field_reports(request: AuthedRequest) -> HttpResponse:
    form: dict[str, str] = {"urgency": "normal"}
    error_field = None
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in FORM_KEYS}
        try:
            report = field.submit_field_report(dict(form), by=request.user, photo=request.FILES.get("photo"))
        except DomainError as e:
            messages.error(request, e.message)
            error_field = FIELD_LABELS.get(e.field or "", "")
        else:
            done = f"已登记，临时编号 {report.temp_number}" if report.temp_number else "已登记"
            if report.task_id:
                done += "，已派发核查任务"
            messages.success(request, done)
            return redirect("discovery:field_reports")
    reports = FieldReport.objects.visible_to(request.user).select_related(*RELATED)[:50]
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


def intake_url(report: FieldReport) -> str:
    """当场申请 (INT-11) for a person without an ID: the intake of the temporary record's
    household, prefilled with 急难型临时救助 and the report; a known person's is the task's."""
    subject = report.temp_person if report.person is None else None
    if subject is None or subject.household_id is None:
        return ""
    query = {
        "household": subject.household_id,
        "programs": "temporary",
        "temporary_kind": "emergency",
        "emergency_event": "other",
        "channel": "discovery",
        "remarks": f"现场发现报告#{report.pk}（临时编号{report.temp_number}）：{report.place}，{report.situation}"[
            :200
        ],
    }
    return f"{reverse('applications:intake')}?{urlencode(query)}"


@login_required
def field_report(request: AuthedRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(FieldReport.objects.visible_to(request.user).select_related(*RELATED), pk=pk)
    user = request.user
    context: dict[str, Any] = {
        "report": report,
        "intake_url": intake_url(report) if user.has_perm_code("applications.intake") else "",
        "can_match": user.has_perm_code("registry.edit") and report.person_id is None,
        "can_refer": user.has_perm_code("referrals.create"),
        "can_photo": user.has_perm_code("registry.documents") and report.photo_id is None,
        "station": field_referral.station_name(report.county_code),
    }
    return render(request, "monitoring/discovery/field_report.html", context)


@login_required
@require_POST
def field_report_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    report = get_object_or_404(FieldReport.objects.visible_to(request.user), pk=pk)
    p = request.POST
    try:
        if name == "match_identity":
            field.match_identity(report, p.get("id_number", ""), by=request.user)
            messages.success(request, "已认定身份，临时档案及其救助申请已并入本人档案")
        elif name == "refer_station":
            field_referral.refer_to_station(
                report, by=request.user, reason=p.get("reason", ""), origin_county_code=p.get("origin_county_code", "")
            )
            messages.success(request, "已转介救助管理站，请打印转办单送达")
        elif name == "hand_off":
            field_referral.hand_off(
                report, by=request.user, origin_county_code=p.get("origin_county_code", ""), note=p.get("note", "")
            )
            messages.success(request, "已登记移交来源地")
        elif name == "photo":
            upload = request.FILES.get("photo")
            if upload is None:
                raise DomainError("required", "请选择照片")
            field.attach_photo(report, upload, by=request.user)
            messages.success(request, "照片已上传")
        else:
            raise Http404
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("discovery:field_report", pk=report.pk)
