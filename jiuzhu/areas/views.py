from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Area, full_code


@login_required
def area_detail(request: HttpRequest, code: str) -> HttpResponse:
    area = get_object_or_404(Area.objects.visible_to(request.user), code=full_code(code))
    return render(
        request, "areas/detail.html", {"area": area, "children": area.children.all(), "ancestors": area.ancestors()}
    )
