"""Who may run, view and upload verification work (403 with the role's name)."""

from __future__ import annotations

from typing import Any

from jiuzhu.core.errors import Forbidden

from ..models import (
    Source,
)

# ---- permissions ----------------------------------------------------------------------------------

_PERMISSION_NAMES = {
    "verification.run": "开展家庭经济状况核对",
    "verification.view": "查看核对报告和核对预警",
    "sources.upload": "上报部门核对数据",
    "sources.manage": "管理核对数据目录",
}


def require_perm(user: Any, code: str) -> None:
    if getattr(user, "is_superuser", False):
        return
    if not getattr(user, "is_authenticated", False) or not user.has_perm_code(code):
        role = getattr(getattr(user, "role_info", None), "name", "当前角色")
        raise Forbidden("permission_denied", f"{role}无权{_PERMISSION_NAMES.get(code, '执行此操作')}")


def can(user: Any, code: str) -> bool:
    return bool(
        getattr(user, "is_superuser", False) or (getattr(user, "is_authenticated", False) and user.has_perm_code(code))
    )


def may_upload(user: Any, source: Source) -> bool:
    if getattr(user, "is_superuser", False) or can(user, "sources.manage"):
        return True
    department = getattr(user, "department", None)
    return can(user, "sources.upload") and department is not None and department.code == source.provider.code
