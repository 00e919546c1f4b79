"""What the portal tells the lower apps (called from ``PortalConfig.ready``): the staff case
page shows what the family uploaded for 补正 on the 掌上办 (issue 18 item 3)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from jiuzhu.applications import panels
from jiuzhu.applications.models import Application

from .models import Supplement


def supplements_panel(application: Application) -> SafeString:
    rows = list(Supplement.objects.filter(application=application).select_related("person", "document"))
    if not rows:
        return mark_safe("")
    return mark_safe(render_to_string("portal/_case_supplements.html", {"rows": rows}))


def connect() -> None:
    panels.register(supplements_panel)
