"""Pagination for large lists: count, then one id-only query for the page, then the rows.

Ordering by primary key, a page's ids come from the table (or an index) alone, so the
joins for display run on 20 rows, not on the whole jurisdiction. Pages in the back half
are read from the other end, so no page costs more than an offset of half the count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class IdPaginator(Paginator[Any]):
    def __init__(
        self, queryset: QuerySet[Any], per_page: int, fetch: Callable[[list[int]], QuerySet[Any]] | None = None
    ) -> None:
        super().__init__(queryset.order_by("-pk"), per_page)
        self.queryset = queryset.order_by()
        self.fetch = fetch or (lambda ids: queryset.model._default_manager.filter(pk__in=ids))

    def page(self, number: Any) -> Page[Any]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        ids_qs = self.queryset.values_list("pk", flat=True)
        if bottom > self.count // 2:  # read the back half from the other end
            ids = list(ids_qs.order_by("pk")[self.count - top : self.count - bottom])[::-1]
        else:
            ids = list(ids_qs.order_by("-pk")[bottom:top])
        rows = {obj.pk: obj for obj in self.fetch(ids)}
        return Page([rows[i] for i in ids if i in rows], number, self)
