"""Readable audit changes: ``{"address": ["旧", "新"]}`` → ``家庭住址：旧 → 新``."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """``applications.approve`` → ``审批（确认）``: no code on a staff page (issue 14 item 9)."""
    from jiuzhu.audit.labels import action_label as label

    return label(action)


@register.filter
def changes_text(changes: dict[str, Any], object_type: str = "") -> str:
    from jiuzhu.audit.changes import changes_text as text

    return text(changes, object_type)


@register.filter
def entry_changes(entry: Any) -> str:
    """``{{ e|entry_changes }}``: the entry's changes in words, objects it refers to by id named
    when the view passed its entries through ``audit.changes.name_references``."""
    from jiuzhu.audit.changes import changes_text as text

    return text(entry.changes, entry.object_type, getattr(entry, "names", None))


@register.filter
def object_label(object_type: str) -> str:
    """``applications.application`` → ``救助申请`` (the model's Chinese name)."""
    from jiuzhu.audit.changes import object_label as label

    return label(object_type)
