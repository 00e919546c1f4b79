"""The jurisdiction as a tree with household counts (/areas/): a registry page, since it counts
households; the area detail page stays in ``areas.views``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jiuzhu.areas.models import Area

from .models import Household


@login_required
def area_tree(request: HttpRequest) -> HttpResponse:
    """The user's jurisdiction as a tree with household counts per village."""
    areas = list(Area.objects.visible_to(request.user).exclude(level__in=["province", "city"]))
    counts = dict(Household.objects.visible_to(request.user).values_list("area_id").annotate(n=Count("id")).order_by())
    children: dict[str | None, list[Area]] = {}
    codes = {a.code for a in areas}
    for a in areas:
        parent = a.parent_id if a.parent_id in codes else None
        children.setdefault(parent, []).append(a)

    def total(a: Area) -> int:
        own: int = counts.get(a.code, 0)
        count = own + sum(total(c) for c in children.get(a.code, []))
        a.household_count = count  # type: ignore[attr-defined]
        return count

    roots = children.get(None, [])
    for root in roots:
        total(root)
    return render(request, "areas/tree.html", {"roots": roots, "children": children})
