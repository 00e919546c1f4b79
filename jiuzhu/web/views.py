from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.areas.models import Area
from jiuzhu.audit.models import AuditEntry
from jiuzhu.registry.models import Household, Person

from .work import work_for

HOME_WORK_ROWS = 10


@login_required
def home(request: AuthedRequest) -> HttpResponse:
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
    from jiuzhu.applications.queries import due_soon_days

    deadlines = CaseDeadline.objects.visible_to(user)
    context["overdue_count"] = deadlines.overdue().count()
    context["due_soon_count"] = deadlines.due_soon(due_soon_days(user)).count()
    context["open_count"] = Application.objects.visible_to(user).open().count()
    from jiuzhu.referrals.models import Referral

    referrals = Referral.objects.visible_to(user).open()
    if user.is_department_user or user.has_perm_code("audit.view") or user.has_perm_code("referrals.create"):
        today = timezone.localdate()
        context["referrals_open"] = referrals.count()
        context["referrals_overdue"] = referrals.filter(due_on__lt=today).count()
        context["referrals_escalated"] = referrals.filter(escalated_at__isnull=False).count()
    work = work_for(user)
    context["work"] = work[:HOME_WORK_ROWS]
    context["work_count"] = len(work)
    context["work_overdue"] = sum(i.overdue for i in work)
    if user.has_perm("holidays.add_holidayyear"):
        from jiuzhu.holidays.calendar import missing_next_year

        context["calendar_missing_year"] = missing_next_year(timezone.localdate())
    if user.has_perm_code("audit.view") and user.area is not None:
        context["recent"] = AuditEntry.objects.visible_to(user).order_by("-id")[:10]
    return render(request, "home.html", context)


@login_required
def my_work(request: AuthedRequest) -> HttpResponse:
    """我的待办: everything waiting for this user, nearest deadline first, 50 a page."""
    items = work_for(request.user)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "work.html",
        {
            "page": page,
            "work": page.object_list,
            "work_count": len(items),
            "work_overdue": sum(i.overdue for i in items),
        },
    )
