"""Panels a higher app adds to the staff case page (掌上办 uploads, issue 18): each is a
function of the case returning HTML, registered from that app's ``AppConfig.ready``. The
applications app never imports the apps that add them (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString

from .models import Application

CasePanel = Callable[[Application], SafeString]

PANELS: list[CasePanel] = []


def register(panel: CasePanel) -> None:
    if panel not in PANELS:
        PANELS.append(panel)


def render_all(application: Application) -> list[SafeString]:
    return [html for html in (panel(application) for panel in PANELS) if html]
