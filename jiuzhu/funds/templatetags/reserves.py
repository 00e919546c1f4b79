"""The towns' reserves on other apps' pages (the payments home shows their count and warnings):
``{% load reserves %}{% reserve_overview request.user as reserve %}``."""

from __future__ import annotations

from typing import Any

from django import template

from jiuzhu.funds.models import ReserveFund
from jiuzhu.funds.queries import reserve_summary

register = template.Library()


@register.simple_tag
def reserve_overview(user: Any) -> dict[str, list[dict[str, Any]]]:
    """The reserves ``user`` may see (``funds``) and those below their warning line (``low``)."""
    funds = reserve_summary(list(ReserveFund.objects.visible_to(user)))
    return {"funds": funds, "low": [f for f in funds if f["low"]]}
