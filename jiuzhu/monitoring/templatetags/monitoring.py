"""Review figures shown on payments' pages (payments does not import dynamic management)."""

from __future__ import annotations

from typing import Any

from django import template

from ..models import Review

register = template.Library()


@register.simple_tag
def review_counts(user: Any) -> dict[str, int]:
    """Open and overdue reviews the user may see: ``{% review_counts user as reviews %}``."""
    reviews = Review.objects.visible_to(user).open()
    return {"open": reviews.count(), "overdue": reviews.overdue().count()}
