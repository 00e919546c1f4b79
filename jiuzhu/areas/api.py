from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from .models import Area, full_code

router = Router(tags=["行政区划"])


class AreaBrief(Schema):
    code: str
    name: str
    level: str
    urban_rural: str


class AreaOut(AreaBrief):
    parent: str | None
    children: list[AreaBrief]


@router.get("/{code}", response=AreaOut, summary="查询区划及其下级")
def get_area(request: HttpRequest, code: str) -> dict[str, object]:
    """``code``: 6-digit county code (``370405``) or any 12-digit code."""
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise Http404
    area = Area.objects.filter(code=full_code(code)).first()
    if area is None:
        raise Http404
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "urban_rural": area.urban_rural,
        "parent": area.parent_id,
        "children": list(area.children.order_by("code").values("code", "name", "level", "urban_rural")),
    }
