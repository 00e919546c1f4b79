"""A case's payment history and its recovery (追回); the benefit decisions on the same page
are dynamic management's (``jiuzhu.monitoring.views.case_action``)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.applications.models import Application
from jiuzhu.core.errors import DomainError
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.registry.models import Person

from .. import actions, queries
from ..models import (
    FRAUD_CATEGORIES,
    SUSPEND_REASONS,
    Benefit,
    CreditRecord,
    PaymentNotice,
    RepaymentPlan,
    RosterLine,
    month_start,
)
from ._common import _do, _viewer


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
            "stop_reasons": actions.CHOSEN_STOP_REASONS,
            "fraud_categories": FRAUD_CATEGORIES,
            "recoverable": months,
            "this_month": month_start(timezone.localdate()).isoformat()[:7],
        },
    )


@login_required
@require_POST
def case_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    app = _case(request, pk)
    p = request.POST
    if name == "recover":
        _do(
            request,
            lambda: actions.create_recovery(
                app,
                by=request.user,
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
def repay(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(RepaymentPlan.objects.visible_to(_viewer(request)), pk=pk)
    try:
        amount = yuan_to_fen(request.POST.get("amount_yuan", ""), field="amount_yuan")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:recoveries")
    _do(
        request,
        lambda: actions.record_repayment(plan, by=request.user, amount_fen=amount, note=request.POST.get("note", "")),
        "已登记退款",
    )
    return redirect("payments:recoveries")
