"""Pages of oversight in 动态管理: the life events department data brought (生命事件: deaths and
moves out and what they did to the money, DYN-7, LNK-11) and staff-conduct monitoring
(工作作风监督, DIS-10) for supervisors. Mounted with monitoring's other pages."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.accounts.permissions import require
from jiuzhu.core.errors import DomainError, NotFound
from jiuzhu.payments.views import _viewer

from . import conduct as conduct_mod
from .models import LIFE_EVENT_KINDS, LifeEvent

ACTION_LABELS = {"stop": "停发", "suspend": "暂停发放并复核"}


def life_event_rows(qs: Iterable[LifeEvent]) -> list[dict[str, object]]:
    rows = []
    for ev in qs:
        rows.append(
            {
                "event": ev,
                "cases": [
                    {
                        **c,
                        "action_label": ACTION_LABELS.get(c.get("action", ""), ""),
                        "from_label": _month(c.get("from_month")),
                    }
                    for c in ev.cases
                ],
                "recover": "、".join(_month(m) for m in ev.recovery_months),
            }
        )
    return rows


def _month(value: object) -> str:
    text = str(value or "")
    return f"{text[:4]}年{int(text[5:7])}月" if len(text) >= 7 else ""


@login_required
def life_events(request: AuthedRequest) -> HttpResponse:
    user = _viewer(request)
    kind = request.GET.get("kind", "")
    qs = LifeEvent.objects.visible_to(user).select_related("person", "batch")
    if kind in dict(LIFE_EVENT_KINDS):
        qs = qs.filter(kind=kind)
    return render(
        request,
        "monitoring/life_events.html",
        {"rows": life_event_rows(qs[:200]), "count": qs.count(), "kind": kind, "kinds": LIFE_EVENT_KINDS},
    )


@login_required
def conduct(request: AuthedRequest) -> HttpResponse:
    try:
        require(request.user, conduct_mod.PERMISSION)
    except DomainError:
        raise Http404 from None
    area_code = request.GET.get("area_code", "").strip()
    month = request.GET.get("month", "").strip()
    error = ""
    try:
        report = conduct_mod.conduct_report(by=request.user, area_code=area_code or None, month=month or None)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        error = exc.message
        report = conduct_mod.conduct_report(by=request.user)
    return render(
        request,
        "monitoring/conduct.html",
        {"report": report, "area_code": area_code, "month": month, "error": error},
    )
