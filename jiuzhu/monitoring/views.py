"""Pages of 动态管理: the review list and a review (visit, fresh 核对报告, conclusion), and the
benefit decisions taken from a case's payment page (变更报告, 停发, 暂停发放, 恢复发放). Their
paths stay under ``/payments/`` (outside systems and bookmarks rely on them)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.accounts.permissions import require
from jiuzhu.applications.models import Application
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import DomainError
from jiuzhu.payments.actions import CHOSEN_STOP_REASONS
from jiuzhu.payments.views import _do, _viewer

from . import actions
from .models import OUTCOMES, Review


def _case(request: AuthedRequest, pk: int) -> Application:
    case: Application = get_object_or_404(Application.objects.visible_to(_viewer(request)), pk=pk)
    return case


def _pulled(request: AuthedRequest, benefit: Any, ok: str) -> None:
    """Success of a stop or suspension, with what it pulled from an unlocked roster."""
    if benefit is not None:
        done = benefit.pulled.message if benefit.pulled else ""
        messages.success(request, ok + (f"；{done}" if done else ""))


@login_required
@require_POST
def case_action(request: AuthedRequest, pk: str, name: str) -> HttpResponse:
    """变更报告, 停发, 暂停发放 and 恢复发放 from the case's payment page (``payments:case``)."""
    app = _case(request, int(pk))
    p = request.POST
    if name == "change":
        facts = None
        if p.get("facts", "").strip():
            try:
                facts = json.loads(p["facts"])
            except ValueError:
                messages.error(request, "家庭情况（JSON）格式不正确")
                return redirect("payments:case", app.pk)
        review = _do(
            request,
            lambda: actions.report_change(app, by=request.user, reason=p.get("reason", ""), facts=facts),
            "已登记变更报告，生成复核任务",
        )
        if review is not None:
            return redirect("monitoring:review", review.pk)
    elif name == "stop":
        benefit = _do(
            request,
            lambda: actions.stop_benefit(
                app,
                by=request.user,
                reason=p.get("reason", ""),
                note=p.get("note", ""),
                last_month=p.get("last_month") or None,
            ),
            "",
        )
        _pulled(request, benefit, "已停发并出具停发告知书")
    elif name == "suspend":
        benefit = _do(
            request,
            lambda: actions.suspend_benefit(
                app,
                by=request.user,
                reason=p.get("reason", ""),
                note=p.get("note", ""),
                from_month=p.get("from_month") or None,
            ),
            "",
        )
        _pulled(request, benefit, "已暂停发放")
    elif name == "resume":
        payee = p.get("payee_id", "")
        _do(
            request,
            lambda: actions.resume_benefit(
                app, by=request.user, note=p.get("note", ""), payee_id=int(payee) if payee.isdigit() else None
            ),
            "已恢复发放，暂停期间撤出的明细已回到花名册",
        )
    else:
        raise Http404
    return redirect("payments:case", app.pk)


@login_required
def reviews(request: AuthedRequest) -> HttpResponse:
    user = _viewer(request)
    which = request.GET.get("show", "open")
    qs = Review.objects.visible_to(user).select_related("application__household", "verification")
    if which == "overdue":
        qs = qs.overdue()
    elif which == "decided":
        qs = qs.filter(status="decided").order_by("-decided_at")
    else:
        qs = qs.open()
    return render(
        request,
        "monitoring/reviews.html",
        {"reviews": qs[:200], "count": qs.count(), "show": which, "today": timezone.localdate()},
    )


@login_required
@require_POST
def reviews_schedule(request: AuthedRequest) -> HttpResponse:
    user = request.user
    county = user.area.county_code if user.area else None

    def schedule() -> int:
        require(user, "payments.decide")
        return actions.create_due_reviews(by=user, county_code=county)

    made = _do(request, schedule, "")
    if made is not None:
        messages.success(request, f"已生成到期复核任务{made}件")
    return redirect("monitoring:reviews")


def _review_formset(review: Review, data: Any = None) -> Any:
    """The household as found at the review visit, in the same member form as the 入户调查."""
    from jiuzhu.programs.forms import MemberFactsFormSet, initial_from_facts

    members = (review.facts or review.application.facts).get("members", [])
    return MemberFactsFormSet(data, prefix="members", initial=initial_from_facts(members))


def _review_compared(review: Review) -> list[dict[str, Any]]:
    from jiuzhu.verification.verified import comparison

    request = review.verification
    report = request.report if request is not None and request.status == "done" else None
    facts = review.facts or review.application.facts
    return comparison(facts, report.content.get("verified") if report is not None else None)


@login_required
def review_view(request: AuthedRequest, pk: int) -> HttpResponse:
    return _review_page(request, _review(request, pk))


def _review(request: AuthedRequest, pk: int) -> Review:
    review: Review = get_object_or_404(
        Review.objects.visible_to(_viewer(request)).select_related("application__household", "verification", "notice"),
        pk=pk,
    )
    return review


def _review_page(
    request: AuthedRequest, review: Review, facts: Any = None, refused: dict[str, Any] | None = None
) -> HttpResponse:
    """The review; a form the page sent and that was refused comes back as it was filled in
    (``facts``: the bound member forms with their errors; ``refused``: the 结论 form), with the
    reason beside it."""
    evaluation = None
    if review.status == "verifying":
        try:
            evaluation = actions.review_evaluation(review)
        except DomainError as exc:
            evaluation = {"error": exc.message}
        else:
            effective = dt.date.fromisoformat(evaluation["effective_month"])
            evaluation = {**evaluation, "effective_label": month_label(effective)}
    return render(
        request,
        "monitoring/review.html",
        {
            "review": review,
            "app": review.application,
            "evaluation": evaluation,
            "current": actions.current_amount(review.application),
            "outcomes": OUTCOMES,
            "stop_reasons": CHOSEN_STOP_REASONS,
            "facts": facts if facts is not None else _review_formset(review),
            "refused": refused,
            "compared": _review_compared(review),
        },
    )


@login_required
@require_POST
def review_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    review = _review(request, pk)
    p = request.POST
    if name == "start":
        formset = _review_formset(review, p)
        if not formset.is_valid():
            return _review_page(request, review, formset, {"name": name, "message": "家庭情况填写有误，请按提示修改"})
        current = review.facts or review.application.facts
        members = [f.facts() for f in formset.forms if not f.cleaned_data.get("DELETE")]
        found = {**current, "members": members}
        try:
            actions.start_review(review, by=request.user, facts=found if found != current else None)
        except DomainError as exc:
            return _review_page(request, _review(request, pk), formset, {"name": name, "message": exc.message})
        messages.success(request, "已开始复核，已委托家庭经济状况核对")
    elif name == "decide":
        months = int(p["gradual_months"]) if p.get("gradual_months", "").isdigit() else None
        try:
            actions.decide_review(
                review,
                by=request.user,
                outcome=p.get("outcome", ""),
                note=p.get("note", ""),
                gradual_months=months,
                stop_reason=p.get("stop_reason", "income"),
            )
        except DomainError as exc:
            sent = {k: p.get(k, "") for k in ("outcome", "gradual_months", "stop_reason", "note")}
            return _review_page(request, _review(request, pk), None, {"name": name, "message": exc.message, **sent})
        messages.success(request, "复核已办结，已出具告知书")
    else:
        raise Http404
    return redirect("monitoring:review", review.pk)
