"""Shared form and action helpers of the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms.renderers import TemplatesSetting
from django.http import HttpRequest

from jiuzhu.core.errors import DomainError


class FormRenderer(TemplatesSetting):
    """Each field group in one ``<div class="field">`` so grids lay out label and input together."""

    field_template_name = "forms/field.html"


def run_action(request: HttpRequest, fn: Callable[[], Any], ok: str = "") -> Any:
    """Run a page's action: its result, or ``None`` when it refused — the refusal (with the rows
    of a file it names, the first twenty) shown as a message, never a 500; ``ok`` is the
    message of success (none when blank)."""
    try:
        result = fn()
    except DomainError as exc:
        text = exc.message
        rows = getattr(exc, "rows", None)
        if rows:
            text += "：" + "；".join(f"第{e.row}行 {e.message}" for e in rows[:20])
            if len(rows) > 20:
                text += f"……共{len(rows)}处"
        messages.error(request, text)
        return None
    if ok:
        messages.success(request, ok)
    return result
