"""Pages of 资金发放与动态管理: rosters with progress, bank files and results, reconciliation,
a case's payment history, reserve funds, recoveries, statistics and checks (reviews and
stops: ``jiuzhu.monitoring.views``)."""

from __future__ import annotations

import datetime as dt
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
from jiuzhu.accounts.permissions import require
from jiuzhu.applications.models import Application
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import DomainError
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.registry.models import Person
from jiuzhu.web.files import file_response
from jiuzhu.web.labels import area_labels
from jiuzhu.web.pagination import IdPaginator

from . import actions, bankfiles, queries
from .models import (
    CHANGE_REASONS,
    EXCEPTION_LABELS,
    FRAUD_CATEGORIES,
    FUND_SOURCES,
    LINE_STATUS,
    STOP_REASONS,
    SUSPEND_REASONS,
    BankBatch,
    Benefit,
    CreditRecord,
    LedgerEntry,
    PaymentNotice,
    RepaymentPlan,
    ReserveEntry,
    ReserveFund,
    Roster,
    RosterLine,
    RosterRun,
    add_months,
    month_start,
)


def _viewer(request: HttpRequest) -> Any:
    try:
        require(request.user, "payments.view")
    except DomainError:
        raise Http404 from None
    return request.user


def _do(request: HttpRequest, fn: Callable[[], Any], ok: str) -> Any:
    """Run an action; its refusal is shown as a message, never a 500."""
    try:
        result = fn()
    except DomainError as exc:
        text = exc.message
        rows = getattr(exc, "rows", None)
        if rows:
            text += "：" + "；".join(f"第{e.row}行 {e.message}" for e in rows[:20])
            if len(rows) > 20:
                text += f"……共{len(rows)}处"
        messages.error(request, text)
        return None
    if ok:
        messages.success(request, ok)
    return result


def _areas(user: Any) -> list[Area]:
    qs = Area.objects.visible_to(user).filter(level__in=("county", "town"))
    return list(qs.order_by("code"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    rosters = list(Roster.objects.visible_to(user).order_by("-month", "area_code")[:12])
    runs = list(RosterRun.objects.visible_to(user).filter(status__in=("queued", "running"))[:5])
    funds = queries.reserve_summary(list(ReserveFund.objects.visible_to(user)))
    this_month = month_start(timezone.localdate())
    return render(
        request,
        "payments/home.html",
        {
            "rosters": rosters,
            "funds": funds,
            "low_funds": [f for f in funds if f["low"]],
            "areas": _areas(user),
            "default_month": add_months(this_month, 1).isoformat()[:7],
            "runs": runs,
            "area_names": area_labels([x.area_code for x in [*rosters, *runs]]),
            "can_roster": user.is_superuser or user.has_perm_code("payments.roster"),
        },
    )


@login_required
@require_POST
def roster_create(request: HttpRequest) -> HttpResponse:
    refresh = request.POST.get("refresh") == "1"
    result = _do(
        request,
        lambda: actions.request_roster(
            request.user,
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
            run = actions.retry_roster_run(request.user, run)
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
            "layouts": bankfiles.ensure_layouts(roster.county_code),
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
        lambda u, r, p: actions.reconfirm_roster(u, r, note=p.get("note", "")),
    ),
    "check": ("核查完成", lambda u, r, p: actions.check_roster(u, r)),
    "request_lock": ("已提交锁定，请另一名工作人员复核确认", lambda u, r, p: actions.request_lock(u, r)),
    "confirm_lock": ("花名册已锁定，应发金额已记入资金台账", lambda u, r, p: actions.confirm_lock(u, r)),
    "cancel_lock": ("已退回锁定申请", lambda u, r, p: actions.cancel_lock(u, r, reason=p.get("reason", ""))),
}


@login_required
@require_POST
def roster_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
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
def line_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    line = get_object_or_404(RosterLine.objects.visible_to(_viewer(request)), pk=pk)
    note = request.POST.get("note", "")
    if name == "release":
        _do(request, lambda: actions.release_line(request.user, line, note=note), "已补发，将随下一批重新发放")
    else:
        _do(
            request,
            lambda: actions.resolve_line(request.user, line, decision=name, note=note),
            "已暂缓发放" if name == "hold" else "已确认发放",
        )
    back = request.POST.get("back", "")
    return redirect(back if back.startswith("/payments/") else reverse("payments:roster", args=[line.roster_id]))


@login_required
@require_POST
def bank_export(request: HttpRequest, pk: int) -> HttpResponse:
    roster = _roster(request, pk)
    layout = int(request.POST["layout"]) if request.POST.get("layout", "").isdigit() else None
    fn = actions.reissue if request.POST.get("kind") == "reissue" else actions.export_bank_file
    result = _do(request, lambda: fn(request.user, roster, layout=layout), "")
    if result is None:
        return redirect("payments:roster", roster.pk)
    batch, content, name = result
    return file_response(content, name, {"X-Batch-Id": str(batch.pk)})


def _batch(request: HttpRequest, pk: int) -> BankBatch:
    batch: BankBatch = get_object_or_404(
        BankBatch.objects.visible_to(_viewer(request)).select_related("roster", "layout"), pk=pk
    )
    return batch


@login_required
def batch_file(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    result = _do(request, lambda: actions.bank_file(request.user, batch), "")
    if result is None:
        return redirect("payments:roster", batch.roster_id)
    return file_response(*result)


@login_required
@require_POST
def batch_results(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择银行回盘文件")
        return redirect("payments:roster", batch.roster_id)
    report = _do(
        request,
        lambda: actions.import_bank_results(request.user, batch, file_name=upload.name or "回盘", data=upload.read()),
        "",
    )
    if report is not None:
        (messages.info if report.duplicate else messages.success)(request, report.message)
    return redirect(
        reverse("payments:roster", args=[batch.roster_id]) + ("?status=failed" if report and report.failed else "")
    )


@login_required
def reconciliation_view(request: HttpRequest, pk: int) -> HttpResponse:
    roster = _roster(request, pk)
    rec = queries.reconciliation(roster)
    if request.GET.get("format") == "xlsx":
        return file_response(queries.reconciliation_xlsx(rec, roster), f"对账报告-{roster.month:%Y%m}.xlsx")
    return render(request, "payments/reconciliation.html", {"roster": roster, "rec": rec})


# ---- a case -----------------------------------------------------------------------------------------


def _case(request: HttpRequest, pk: int) -> Application:
    case: Application = get_object_or_404(
        Application.objects.visible_to(_viewer(request)).select_related("household", "applicant"), pk=pk
    )
    return case


@login_required
def case_view(request: HttpRequest, pk: int) -> HttpResponse:
    app = _case(request, pk)
    entries = queries.case_history(app.pk)
    running = 0
    rows = []
    for e in entries:
        running += e.effect_fen
        rows.append((e, running))
    months = actions.overpaid_months(app, dt.date(1900, 1, 1))
    benefit = Benefit.objects.filter(application=app).select_related("payee").first()
    return render(
        request,
        "payments/case.html",
        {
            "app": app,
            "benefit": benefit,
            "suspend_reasons": SUSPEND_REASONS,
            "payees": Person.objects.filter(household_id=app.household_id, death_date__isnull=True).order_by(
                "relation_order", "id"
            ),
            "rows": rows,
            "balance": actions.balance(app),
            "lines": RosterLine.objects.filter(application=app).select_related("roster").order_by("-month")[:36],
            "reviews": app.reviews.select_related("notice__document").order_by("-id"),  # jiuzhu.monitoring
            "plans": RepaymentPlan.objects.filter(application=app),
            "notices": PaymentNotice.objects.filter(application=app).select_related("notice").order_by("-id"),
            "stop_reasons": STOP_REASONS,
            "fraud_categories": FRAUD_CATEGORIES,
            "recoverable": months,
            "this_month": month_start(timezone.localdate()).isoformat()[:7],
        },
    )


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    app = _case(request, pk)
    p = request.POST
    if name == "recover":
        _do(
            request,
            lambda: actions.create_recovery(
                request.user,
                app,
                reason=p.get("reason", ""),
                note=p.get("note", ""),
                months=p.getlist("months"),
                fraud_category=p.get("fraud_category", ""),
            ),
            "已建立追回计划",
        )
    else:
        raise Http404
    return redirect("payments:case", app.pk)


# ---- reserve funds ----------------------------------------------------------------------------------


@login_required
def reserves(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    funds = queries.reserve_summary(list(ReserveFund.objects.visible_to(user)))
    towns = [a for a in Area.objects.visible_to(user).filter(level="town").order_by("code")]
    opened = {f["fund"].area_code for f in funds}
    return render(
        request,
        "payments/reserves.html",
        {"funds": funds, "towns": [t for t in towns if t.code not in opened], "sources": FUND_SOURCES},
    )


@login_required
@require_POST
def reserve_open(request: HttpRequest) -> HttpResponse:
    p = request.POST
    try:
        low = yuan_to_fen(p["low_balance_yuan"], field="low_balance_yuan") if p.get("low_balance_yuan") else None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:reserves")
    _do(
        request,
        lambda: actions.open_reserve(
            request.user, town_code=p.get("town_code", ""), low_balance_fen=low, account_note=p.get("account_note", "")
        ),
        "已设立备用金账户",
    )
    return redirect("payments:reserves")


@login_required
def reserve_view(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(ReserveFund.objects.visible_to(_viewer(request)), pk=pk)
    entries = ReserveEntry.objects.filter(fund=fund).select_related("application", "created_by").order_by("-id")
    page = IdPaginator(
        entries,
        50,
        fetch=lambda ids: ReserveEntry.objects.filter(pk__in=ids).select_related("application", "created_by"),
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/reserve.html",
        {"fund": fund, "row": queries.reserve_summary([fund])[0], "page": page, "sources": FUND_SOURCES},
    )


@login_required
@require_POST
def reserve_top_up(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(ReserveFund.objects.visible_to(_viewer(request)), pk=pk)
    p = request.POST
    try:
        amount = yuan_to_fen(p.get("amount_yuan", ""), field="amount_yuan")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:reserve", fund.pk)
    _do(
        request,
        lambda: actions.top_up_reserve(
            request.user, fund, amount_fen=amount, source=p.get("source", "fiscal"), note=p.get("note", "")
        ),
        "已拨付备用金",
    )
    return redirect("payments:reserve", fund.pk)


# ---- recoveries, statistics, checks -----------------------------------------------------------------


@login_required
def recoveries(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    plans = list(RepaymentPlan.objects.visible_to(user).select_related("person", "application")[:300])
    for plan in plans:
        plan.recovered_fen = actions.recovered(plan)
    return render(
        request,
        "payments/recoveries.html",
        {"plans": plans, "credits": CreditRecord.objects.visible_to(user).select_related("person")[:300]},
    )


@login_required
@require_POST
def repay(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(RepaymentPlan.objects.visible_to(_viewer(request)), pk=pk)
    try:
        amount = yuan_to_fen(request.POST.get("amount_yuan", ""), field="amount_yuan")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:recoveries")
    _do(
        request,
        lambda: actions.record_repayment(request.user, plan, amount_fen=amount, note=request.POST.get("note", "")),
        "已登记退款",
    )
    return redirect("payments:recoveries")


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() else timezone.localdate().year
    group = "village" if request.GET.get("group") == "village" else "town"
    rows = queries.funds_stats(LedgerEntry.objects.visible_to(user), year=year, group=group)
    if request.GET.get("format") == "xlsx":
        return file_response(queries.stats_xlsx(rows), f"资金统计-{year}.xlsx")
    return render(
        request,
        "payments/stats.html",
        {
            "rows": rows,
            "totals": queries.totals(rows),
            "by_need": queries.spending_by_need(LedgerEntry.objects.visible_to(user), year=year),
            "year": year,
            "group": group,
            "years": list(range(timezone.localdate().year + 1, timezone.localdate().year - 5, -1)),
        },
    )


@login_required
def checks(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    return render(
        request,
        "payments/checks.html",
        {
            "after_death": queries.payments_after_death(LedgerEntry.objects.visible_to(user)),
            "shared": queries.shared_accounts(Person.objects.visible_to(user)),
        },
    )
