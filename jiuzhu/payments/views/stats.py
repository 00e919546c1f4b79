"""资金统计 and 资金稽核 (SUP-11)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jiuzhu.registry.models import Person
from jiuzhu.web.files import file_response

from .. import queries
from ..models import LedgerEntry
from ._common import _viewer


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
