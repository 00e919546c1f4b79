"""Pages of 投诉举报 (SUP-4): the public form and progress query (no login, own minimal
template, rate-limited per address) and the staff pages: list with overdue and statistics,
logging a phone call, a complaint with its workflow buttons and the audited identity view."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.system import system_user
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError

from . import actions
from .forms import ComplaintForm, LookupForm
from .models import CATEGORIES, STATUSES, Complaint
from .ratelimit import LOOKUP_LIMIT, SUBMIT_LIMIT, hit
from .stats import statistics
from .workflow import allowed

PUBLIC = "公众（网上投诉举报）"
TOO_MANY = "提交过于频繁，请稍后再试"


def public_new(request: HttpRequest) -> HttpResponse:
    """网上投诉举报: no login; on success the tracking number and the 查询码."""
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not hit(request, "submit", SUBMIT_LIMIT):
            form.add_error(None, TOO_MANY)
        else:
            try:
                done = actions.submit(form.cleaned_data, by=system_user(PUBLIC))
            except DomainError as e:
                form.add_error(e.field if e.field in form.fields else None, e.message)
            else:
                context = {"complaint": done.complaint, "query_code": done.query_code}
                return render(request, "complaints/public_done.html", context)
    return render(request, "complaints/public_new.html", {"form": form})


def public_track(request: HttpRequest) -> HttpResponse:
    """办理进度查询 by tracking number + phone (or 查询码): one answer for every miss."""
    form = LookupForm(request.POST or None)
    found: Complaint | None = None
    looked_up = False
    if request.method == "POST" and form.is_valid():
        if not hit(request, "lookup", LOOKUP_LIMIT):
            form.add_error(None, "查询过于频繁，请稍后再试")
        else:
            looked_up = True
            found = actions.lookup(form.cleaned_data["tracking_number"], form.cleaned_data["secret"])
    return render(request, "complaints/public_track.html", {"form": form, "found": found, "looked_up": looked_up})


def _complaints(request: AuthedRequest) -> Any:
    return Complaint.objects.visible_to(request.user).select_related("department", "handler")


@login_required
def complaint_list(request: AuthedRequest) -> HttpResponse:
    """投诉举报: the jurisdiction's complaints, filters, overdue ones and statistics."""
    qs = _complaints(request)
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    if status == "overdue":
        qs = qs.overdue()
    elif status in dict(STATUSES):
        qs = qs.filter(status=status)
    if category in dict(CATEGORIES):
        qs = qs.filter(category=category)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "category": category,
        "statuses": [*STATUSES, ("overdue", "已超期")],
        "categories": CATEGORIES,
        "stats": statistics(_complaints(request)),
        "today": timezone.localdate(),
        "can_log": request.user.is_superuser or request.user.has_perm_code("registry.edit"),
    }
    return render(request, "complaints/list.html", context)


@login_required
def log_call(request: AuthedRequest) -> HttpResponse:
    """电话登记: staff log a complaint received by phone (监督举报电话)."""
    if not (request.user.is_superuser or request.user.has_perm_code("registry.edit")):
        raise PermissionDenied("您的角色不能登记投诉举报")
    area = request.user.area
    county = area.code[:6] if area is not None else None
    form = ComplaintForm(request.POST or None, county=county)
    if request.method == "POST" and form.is_valid():
        try:
            done = actions.submit(form.cleaned_data, by=request.user, channel="phone")
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(
                request, f"已登记，受理编号{done.complaint.tracking_number}，查询码{done.query_code}（请告知来电人）"
            )
            return redirect("complaints:detail", done.complaint.pk)
    return render(request, "complaints/log_call.html", {"form": form})


@login_required
def complaint_view(request: AuthedRequest, pk: int) -> HttpResponse:
    c = get_object_or_404(_complaints(request), pk=pk)
    county = c.county_code
    context = {
        "c": c,
        "notes": c.notes.all(),
        "steps": [
            s.name
            for s in allowed(c.status)
            if request.user.is_superuser or any(request.user.has_perm_code(p) for p in s.permissions)
        ],
        "may_see_identity": actions.may_see_identity(c, request.user),
        "towns": Area.objects.filter(level="town", code__startswith=county).order_by("code"),
        # a department with no active account would never see what is routed to it: say so
        "departments": Department.objects.filter(area_id=county + "000000").annotate(
            staff=Count("users", filter=Q(users__is_active=True))
        ),
        "handlers": User.objects.filter(is_active=True, area__code__startswith=county).order_by("area_id", "username"),
        "area": Area.objects.filter(code=c.area_code).first(),
        "town": Area.objects.filter(code=c.town_code).first(),
        "today": timezone.localdate(),
    }
    return render(request, "complaints/detail.html", context)


@login_required
@require_POST
def identity(request: AuthedRequest, pk: int) -> HttpResponse:
    """查看投诉人身份 (audited); the fragment replaces the masked values."""
    c = get_object_or_404(_complaints(request), pk=pk)
    try:
        shown = actions.reveal_identity(c, by=request.user)
    except DomainError as e:
        return HttpResponse(f'<span class="msg error" role="alert">{e.message}</span>', status=e.status)
    return render(request, "complaints/_identity.html", {"shown": shown})


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@login_required
@require_POST
def complaint_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    c = get_object_or_404(_complaints(request), pk=pk)
    p = request.POST
    try:
        if name == "assign":
            actions.assign(
                c,
                by=request.user,
                town_code=p.get("town_code", ""),
                department_id=_int(p.get("department_id", "")),
                handler_id=_int(p.get("handler_id", "")),
                note=p.get("note", ""),
            )
            messages.success(request, "已转办")
        elif name == "note":
            actions.add_note(c, by=request.user, text=p.get("text", ""))
            messages.success(request, "已记录办理情况")
        elif name == "reply":
            actions.reply(c, by=request.user, text=p.get("text", ""))
            messages.success(request, "已答复投诉人")
        elif name == "close":
            actions.close(c, by=request.user, note=p.get("note", ""))
            messages.success(request, "已办结")
        elif name == "open_review":
            actions.open_review(c, by=request.user, application_number=p.get("application_number", ""))
            messages.success(request, "已对该救助对象启动复核")
        else:
            raise Http404
    except DomainError as e:
        messages.error(request, e.message)
    if not Complaint.objects.visible_to(request.user).filter(pk=c.pk).exists():
        return redirect("complaints:list")  # routed out of the user's jurisdiction
    return redirect("complaints:detail", c.pk)
