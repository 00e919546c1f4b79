from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["账号"])


class MeOut(Schema):
    username: str
    name: str
    role: str
    role_name: str
    area_code: str | None
    area_name: str | None
    department: str | None


@router.get("/me", response=MeOut, summary="当前用户")
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.auth  # type: ignore[attr-defined]
    return {
        "username": user.username,
        "name": user.display_name,
        "role": user.role,
        "role_name": user.role_info.name if user.role_info else "",
        "area_code": user.area_id,
        "area_name": user.area.name if user.area else None,
        "department": user.department.name if user.department else None,
    }
