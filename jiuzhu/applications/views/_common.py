"""What the pages of cases share: the case within the user's jurisdiction (404 outside)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from ..models import (
    Application,
)


def _app(request: HttpRequest, pk: int) -> Application:
    found: Application = get_object_or_404(
        Application.objects.visible_to(request.user).select_related("household", "applicant", "intake"), pk=pk
    )
    return found
