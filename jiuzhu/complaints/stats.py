"""Statistics of complaints (投诉举报统计) by town, category and month, within the jurisdiction."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from jiuzhu.areas.models import Area

from .models import CATEGORIES, ComplaintQuerySet


def statistics(qs: ComplaintQuerySet) -> dict[str, list[dict[str, Any]]]:
    labels = dict(CATEGORIES)
    by_town = list(qs.values("town_code").annotate(n=Count("id")).order_by("town_code"))
    names = dict(Area.objects.filter(code__in=[r["town_code"] for r in by_town]).values_list("code", "name"))
    by_category = qs.values("category").annotate(n=Count("id")).order_by("category")
    by_month = (
        qs.values("created_at__year", "created_at__month")
        .annotate(n=Count("id"))
        .order_by("created_at__year", "created_at__month")
    )
    return {
        "town": [
            {"code": r["town_code"], "name": names.get(r["town_code"], r["town_code"]), "count": r["n"]}
            for r in by_town
        ],
        "category": [{"code": r["category"], "name": labels[r["category"]], "count": r["n"]} for r in by_category],
        "month": [
            {"month": f"{r['created_at__year']}-{r['created_at__month']:02d}", "count": r["n"]} for r in by_month
        ],
    }
