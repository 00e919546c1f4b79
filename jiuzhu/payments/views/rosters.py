"""花名册 pages: the payments home, generating a roster (with progress), a roster and its lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.core.errors import DomainError
from jiuzhu.web.labels import area_labels
from jiuzhu.web.pagination import IdPaginator

from .. import actions, bankfiles, queries
from ..models import (
    CHANGE_REASONS,
    EXCEPTION_LABELS,
    LINE_STATUS,
    Roster,
    RosterLine,
    RosterRun,
    add_months,
    month_start,
)
from ..roster import config_for
from ._common import _areas, _do, _viewer


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    rosters = list(Roster.objects.visible_to(user).order_by("-month", "area_code")[:12])
    runs = list(RosterRun.objects.visible_to(user).filter(status__in=("queued", "running"))[:5])
    this_month = month_start(timezone.localdate())
    county = user.area.county_code if user.area is not None and len(user.area.prefix) >= 6 else ""
    # Next month by default, unless the county's 花名册提前生成月数 allows only the current one.
    ahead = min(1, config_for(county).roster_months_ahead) if county else 1
    return render(
        request,
        "payments/home.html",
        {
            "rosters": rosters,
            "areas": _areas(user),
            "default_month": add_months(this_month, ahead).isoformat()[:7],
            "runs": runs,
            "area_names": area_labels([x.area_code for x in [*rosters, *runs]]),
            "can_roster": user.is_superuser or user.has_perm_code("payments.roster"),
        },
    )


@login_required
@require_POST
def roster_create(request: AuthedRequest) -> HttpResponse:
    refresh = request.POST.get("refresh") == "1"
    result = _do(
        request,
        lambda: actions.request_roster(
            by=request.user,
            area_code=request.POST.get("area_code", ""),
            month=request.POST.get("month", ""),
            refresh=refresh,
        ),
        "",
    )
    if isinstance(result, Roster):
        messages.info(request, f"{result}已存在，同一月份不会重复生成")
        return redirect("payments:roster", result.pk)
    if isinstance(result, RosterRun):
        return redirect("payments:run", result.pk)
    back = request.POST.get("back")
    return redirect(back if back and back.startswith("/payments/") else "payments:home")


@login_required
def run_view(request: AuthedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(RosterRun.objects.visible_to(_viewer(request)), pk=pk)
    if actions.recover_roster_runs(RosterRun.objects.filter(pk=run.pk)):
        run.refresh_from_db()
    if request.method == "POST":
        try:
            run = actions.retry_roster_run(run, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已重新排队生成，请稍候")
        return redirect("payments:run", run.pk)
    if run.status == "done" and run.roster_id:
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("payments:roster", args=[run.roster_id])
            return response
        return redirect("payments:roster", run.roster_id)
    template = "payments/run.html#progress" if request.htmx else "payments/run.html"
    can_retry = request.user.has_perm_code("payments.roster")
    return render(request, template, {"run": run, "perms_roster": can_retry})


def _roster(request: HttpRequest, pk: int) -> Roster:
    roster: Roster = get_object_or_404(
        Roster.objects.visible_to(_viewer(request)).select_related("lock_requested_by", "locked_by", "generated_by"),
        pk=pk,
    )
    return roster


@login_required
def roster_view(request: AuthedRequest, pk: int) -> HttpResponse:
    roster = _roster(request, pk)
    g = request.GET
    filters = {"status": g.get("status", ""), "exception": g.get("exception", ""), "change": g.get("change", "")}
    qs = RosterLine.objects.filter(roster=roster)
    if filters["status"]:
        qs = qs.filter(status=filters["status"])
    if filters["exception"] == "any":
        qs = qs.exclude(exceptions=[])
    elif filters["exception"]:
        qs = qs.filter(exceptions__icontains=filters["exception"])
    if filters["change"]:
        qs = qs.filter(change=filters["change"])
    paginator = IdPaginator(qs, 50, fetch=lambda ids: RosterLine.objects.filter(pk__in=ids).select_related("payee"))
    page = paginator.get_page(g.get("page"))
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    user = request.user
    summary = roster.summary or {}
    changes = [
        {"code": code, "label": label, **summary.get("changes", {}).get(code, {"count": 0, "delta_fen": 0})}
        for code, label in CHANGE_REASONS
    ]
    return render(
        request,
        "payments/roster.html",
        {
            "roster": roster,
            "page": page,
            "f": filters,
            "query": query,
            "changes": [c for c in changes if c["count"]],
            "exceptions": [
                (code, EXCEPTION_LABELS.get(code, code), n) for code, n in summary.get("exceptions", {}).items()
            ],
            "exception_choices": list(EXCEPTION_LABELS.items()),
            "change_choices": CHANGE_REASONS,
            "status_choices": LINE_STATUS,
            "batches": roster.batches.select_related("layout").prefetch_related("imports"),
            "export_jobs": _export_jobs(roster),
            "notice_jobs": _notice_jobs(roster),
            "layouts": bankfiles.layouts_of(roster.county_code),
            "can_roster": user.is_superuser or user.has_perm_code("payments.roster"),
            "can_lock": user.is_superuser or user.has_perm_code("payments.lock"),
            "reissuable": roster.lines.filter(status__in=("failed", "pending")).count()
            if roster.status in ("exported", "settled")
            else 0,
            "rec": queries.reconciliation(roster) if roster.status in ("locked", "exported", "settled") else None,
            "pulled": RosterLine.objects.filter(roster=roster, status="pulled").aggregate(
                n=Count("id"), t=Sum("amount_fen")
            ),
        },
    )


ROSTER_ACTIONS: dict[str, tuple[str, Callable[[Any, Roster, Any], Any]]] = {
    "reconfirm": (
        "已重新确认，可以导出银行文件",
        lambda u, r, p: actions.reconfirm_roster(r, by=u, note=p.get("note", "")),
    ),
    "check": ("核查完成", lambda u, r, p: actions.check_roster(r, by=u)),
    "request_lock": ("已提交锁定，请另一名工作人员复核确认", lambda u, r, p: actions.request_lock(r, by=u)),
    "confirm_lock": ("花名册已锁定，应发金额已记入资金台账", lambda u, r, p: actions.confirm_lock(r, by=u)),
    "cancel_lock": ("已退回锁定申请", lambda u, r, p: actions.cancel_lock(r, by=u, reason=p.get("reason", ""))),
}


@login_required
@require_POST
def roster_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    roster = _roster(request, pk)
    if name not in ROSTER_ACTIONS:
        raise Http404
    ok, fn = ROSTER_ACTIONS[name]
    result = _do(request, lambda: fn(request.user, roster, request.POST), "")
    if result is not None:
        if name == "check" and result["unresolved"]:
            messages.error(request, f"仍有{result['unresolved']}条异常未处理：请逐条暂缓发放或确认发放")
        else:
            messages.success(request, ok)
    return redirect("payments:roster", roster.pk)


@login_required
@require_POST
def line_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    line = get_object_or_404(RosterLine.objects.visible_to(_viewer(request)), pk=pk)
    note = request.POST.get("note", "")
    if name == "release":
        _do(request, lambda: actions.release_line(line, by=request.user, note=note), "已补发，将随下一批重新发放")
    else:
        _do(
            request,
            lambda: actions.resolve_line(line, by=request.user, decision=name, note=note),
            "已暂缓发放" if name == "hold" else "已确认发放",
        )
    back = request.POST.get("back", "")
    return redirect(back if back.startswith("/payments/") else reverse("payments:roster", args=[line.roster_id]))


def _export_jobs(roster: Any) -> list[Any]:
    """Bank exports still running or failed (a dead worker's is marked failed here first)."""
    from .. import actions
    from ..models import BankExportJob

    jobs = BankExportJob.objects.filter(roster=roster)
    actions.recover_bank_exports(jobs)
    return list(jobs.filter(status__in=("running", "failed")).order_by("-id")[:5])


def _notice_jobs(roster: Any) -> list[Any]:
    """调整告知书 jobs still queued, running or failed (a dead worker's is marked failed here first)."""
    from .. import actions
    from ..models import AdjustmentNoticeJob

    jobs = AdjustmentNoticeJob.objects.filter(roster=roster)
    actions.recover_adjustment_notice_jobs(jobs)
    return list(jobs.filter(status__in=("queued", "running", "failed")).order_by("-id")[:5])
