"""掌上办申请 in the town's intake queue (issue 18 item 2; INT-2, LNK-3): the submitted online
applications of the user's jurisdiction; 受理 runs the one-door intake action with channel
掌上办, and the window continues the same case from there."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.applications.models import PROGRAM_CHOICES
from jiuzhu.core.errors import DomainError

from . import apply, declare
from .models import OnlineApplication


def _queue(request: AuthedRequest) -> QuerySet[OnlineApplication]:
    if not apply.is_town_window(request.user):
        raise PermissionDenied
    queryset: QuerySet[OnlineApplication] = OnlineApplication.objects.visible_to(request.user)
    return queryset


@login_required
def online_queue(request: AuthedRequest) -> HttpResponse:
    qs = _queue(request)
    rows = (
        qs.filter(state="submitted")
        .select_related("applicant")
        .prefetch_related("signatures__person", "signatures__change", "uploads")
        .order_by("submitted_at", "id")
    )
    names = dict(PROGRAM_CHOICES)
    items = [
        {
            "app": a,
            "programs": "、".join(names.get(p, p) for p in a.programs),
            "signatures": list(a.signatures.all()),
            "changes": declare.changes_view(a),
            "finances": declare.finances_view(a),
        }
        for a in declare.read_for_queue(rows)
    ]
    return render(request, "portal/staff_queue.html", {"items": items})


@login_required
@require_POST
def online_accept(request: AuthedRequest, pk: int) -> HttpResponse:
    app = _queue(request).filter(pk=pk).first()
    if app is None:
        raise Http404
    # 申报变更: the clerk ticks the ones the window has checked; the rest are 未采纳
    adopted = (
        [int(x) for x in request.POST.getlist("adopt") if x.isdigit()] if "changes_shown" in request.POST else None
    )
    try:
        record_intake = apply.accept(app, by=request.user, adopted=adopted)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("online_intake:queue")
    messages.success(request, f"已受理，回执编号 {record_intake.receipt_number}")
    return redirect("applications:detail", record_intake.applications.order_by("id").first().pk)  # type: ignore[union-attr]
