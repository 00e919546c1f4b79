from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from jiuzhu.accounts.auth import AuthedRequest

from .changes import name_references
from .models import AuditEntry


@login_required
def audit_list(request: AuthedRequest) -> HttpResponse:
    if not (request.user.is_superuser or request.user.has_perm_code("audit.view")):
        raise PermissionDenied("无权查看审计日志")
    qs = AuditEntry.objects.visible_to(request.user)
    action = request.GET.get("action", "").strip()
    actor = request.GET.get("actor", "").strip()
    day = request.GET.get("date", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_name__contains=actor)
    if day:
        try:
            qs = qs.filter(at__date=dt.date.fromisoformat(day))
        except ValueError:
            qs = qs.none()
    page = Paginator(qs.order_by("-at", "-id"), 50).get_page(request.GET.get("page"))
    page.object_list = name_references(page.object_list)
    return render(request, "audit/list.html", {"page": page, "action": action, "actor": actor, "date": day})
