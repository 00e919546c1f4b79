"""Pages of 应急期 (issue 17 item 6; WF-12, LNK-9, PRG-12), under ``/monitoring/emergencies/``:
the periods of the jurisdiction (the county declares one), and a period with its victims list
upload, batch 先行救助 (a job: its progress polled on the page, a failed one retried there),
过渡期生活救助, end, and the report (with its Excel export)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.applications.config import config_for
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError
from jiuzhu.web.files import ImportRejected, file_response, xlsx
from jiuzhu.web.forms import run_action

from . import emergency as em
from .models import EMERGENCY_KINDS, Emergency, EmergencyRelief
from .views_campaigns import _is_county_staff


def _emergency(request: AuthedRequest, pk: int) -> Emergency:
    found: Emergency = get_object_or_404(Emergency.objects.visible_to(request.user), pk=pk)
    return found


@login_required
def emergency_list(request: AuthedRequest) -> HttpResponse:
    """应急期 list; the county declares a new one here (启动应急期)."""
    area = getattr(request.user, "area", None)
    # a city's or province's officer sees every county's 应急期 and has no one county's clock
    county = area.code[:6] if area is not None and area.level in ("county", "town", "village") else ""
    towns = list(Area.objects.filter(level="town", code__startswith=county).order_by("code")) if county else []
    form: dict[str, Any] = {}
    if request.method == "POST":
        p = request.POST
        form = {
            k: p.get(k, "") for k in ("name", "kind", "area_code", "starts_on", "planned_end_on", "source_document")
        }
        try:
            e = em.declare_emergency(form, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已启动“{e.name}”应急期")
            return redirect("discovery:emergency", pk=e.pk)
    return render(
        request,
        "monitoring/emergencies/list.html",
        {
            "emergencies": list(Emergency.objects.visible_to(request.user)),
            "can_declare": _is_county_staff(request),
            "kinds": EMERGENCY_KINDS,
            "towns": towns,
            "form": form,
            "procedure": config_for(county) if county else None,
        },
    )


def _can_relieve(request: AuthedRequest) -> bool:
    return request.user.has_perm_code("applications.intake") and request.user.has_perm_code("payments.reserve")


@login_required
def relief_view(request: AuthedRequest, pk: int, job_id: int) -> HttpResponse:
    """A batch 先行救助 job: its progress (the page polls it) and, when failed, 重试."""
    e = _emergency(request, pk)
    job = get_object_or_404(EmergencyRelief.objects.visible_to(request.user), pk=job_id, emergency=e)
    if em.recover_reliefs(EmergencyRelief.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    if request.method == "POST":
        run_action(request, lambda: em.retry_relief(job, by=request.user), "已重新排队，继续为尚未救助的受灾户先行救助")
        return redirect("discovery:emergency", pk=e.pk)
    if request.htmx and job.status == "done":  # the whole page again: the table has changed
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("discovery:emergency", args=[e.pk])
        return response
    if not request.htmx:
        return redirect("discovery:emergency", pk=e.pk)
    return render(
        request,
        "monitoring/emergencies/emergency.html#relief",
        {"e": e, "job": job, "can_relieve": _can_relieve(request)},
    )


@login_required
def emergency_view(request: AuthedRequest, pk: int) -> HttpResponse:
    e = _emergency(request, pk)
    jobs = EmergencyRelief.objects.visible_to(request.user).filter(emergency=e)
    em.recover_reliefs(jobs)
    data = em.report(e, by=request.user)
    names = dict(Area.objects.filter(code=e.area_code).values_list("code", "name"))
    return render(
        request,
        "monitoring/emergencies/emergency.html",
        {
            "e": e,
            "area_name": names.get(e.area_code, e.area_code),
            "data": data,
            "notes": em.report_notes(e, data),
            "county_staff": _is_county_staff(request),
            "last_import": e.imports[-1] if e.imports else None,
            "job": jobs.first(),
            "can_relieve": _can_relieve(request),
            "procedure": config_for(e.county_code),
        },
    )


@login_required
def emergency_export(request: AuthedRequest, pk: int) -> HttpResponse:
    e = _emergency(request, pk)
    data = em.report(e, by=request.user)
    content = xlsx(em.REPORT_HEADERS, em.report_rows(data), sheet="应急期报告", notes=em.report_notes(e, data))
    return file_response(content, f"应急期报告-{e.name}.xlsx")


@login_required
@require_POST
def emergency_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    if name not in ("victims", "relieve", "transition", "end"):
        raise Http404
    e = _emergency(request, pk)
    try:
        if name == "victims":
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError("required", "请选择受灾人员名单文件（.xlsx 或 .csv）", field="file")
            result = em.import_victims(e, upload.name or "", upload.read(), by=request.user)
            messages.success(
                request,
                f"名单共{result.rows}人，新增受灾户{result.loaded}户，已在名单中{result.already}户，"
                f"未匹配到登记家庭{len(result.unknown)}人",
            )
        elif name == "relieve":
            job = em.request_relief(e, by=request.user)
            messages.success(request, f"已开始为{job.total}户受灾户先行救助，进度见下方")
        elif name == "transition":
            paid = em.pay_transition_month(e, by=request.user, month=request.POST.get("month", ""))
            messages.success(request, f"已为{paid}户发放过渡期生活救助")
        else:
            em.end_emergency(e, by=request.user, note=request.POST.get("note", ""))
            messages.success(request, "应急期已结束，报告已生成")
    except ImportRejected as exc:
        messages.error(request, exc.message)
        for row in exc.rows[:50]:
            messages.error(request, f"第{row.row}行 {row.column}：{row.message}" if row.row else row.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("discovery:emergency", pk=e.pk)
