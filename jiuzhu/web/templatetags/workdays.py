"""Dates counted with the provisional calendar say so (issue 14 item 13): ``{{ d|provisional }}``."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from jiuzhu.holidays.calendar import is_provisional

register = template.Library()

HINT = "该年度国家节假日安排尚未录入，此日期按法定节假日暂估，录入后系统自动重算"


@register.filter
def provisional(day: dt.date | dt.datetime | None, style: str = "tag") -> str | SafeString:
    """A 暂估 tag after a date in a year whose schedule is not entered; ``"text"`` for notices."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = day.date()
    if not is_provisional(day):
        return ""
    if style == "text":
        return "（暂估，以国家公布的节假日安排为准）"
    return format_html('<span class="tag muted" title="{}" data-testid="provisional">暂估</span>', HINT)
