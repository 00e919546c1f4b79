from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jiuzhu.areas.models import Area
from jiuzhu.audit.models import AuditEntry
from jiuzhu.registry.models import Household, Person


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A start page per role: jurisdiction, figures, quick actions, recent activity."""
    user = request.user
    households = Household.objects.visible_to(user)
    context = {
        "household_count": households.count(),
        "person_count": Person.objects.visible_to(user).filter(household__isnull=False).count(),
        "by_town": [],
        "recent": AuditEntry.objects.filter(actor=user).order_by("-id")[:10],
    }
    if (
        user.area is not None
        and user.area.level in ("county", "city", "province")
        and user.has_perm_code("registry.view")
    ):
        towns = list(Area.objects.under(user.area.prefix).filter(level="town"))
        counts: dict[str, int] = {}
        for code, n in households.values_list("area_id").annotate(n=Count("id")).order_by():
            counts[code[:9]] = counts.get(code[:9], 0) + n
        context["by_town"] = [(t, counts.get(t.code[:9], 0)) for t in towns]
    from jiuzhu.applications.models import Application, CaseDeadline

    deadlines = CaseDeadline.objects.visible_to(user)
    context["overdue_count"] = deadlines.overdue().count()
    context["due_soon_count"] = deadlines.due_soon().count()
    context["open_count"] = Application.objects.visible_to(user).open().count()
    from jiuzhu.referrals.models import Referral

    referrals = Referral.objects.visible_to(user).open()
    if user.is_department_user or user.has_perm_code("audit.view") or user.has_perm_code("referrals.create"):
        today = timezone.localdate()
        context["referrals_open"] = referrals.count()
        context["referrals_overdue"] = referrals.filter(due_on__lt=today).count()
        context["referrals_escalated"] = referrals.filter(escalated_at__isnull=False).count()
    if user.has_perm_code("audit.view") and user.area is not None:
        context["recent"] = AuditEntry.objects.visible_to(user).order_by("-id")[:10]
    return render(request, "home.html", context)
