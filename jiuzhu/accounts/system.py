"""The system itself as an actor (demo loading, scheduled jobs): audited as 系统."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from jiuzhu.accounts.models import User


class SystemActor:
    pk = None
    id = None
    is_superuser = True
    is_authenticated = True
    is_active = True
    area = None
    area_id = None
    department = None
    role = "system"
    role_info = None
    username = "system"

    def __init__(self, name: str = "系统") -> None:
        self.display_name = name

    def has_perm_code(self, code: str) -> bool:
        return True

    def __str__(self) -> str:
        return self.display_name


def user_or_none(actor: object) -> User | None:
    """The actor as a ``User`` foreign key value (``None`` for the system)."""
    return cast("User", actor) if getattr(actor, "pk", None) is not None else None
