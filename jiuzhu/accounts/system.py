"""The system itself as an actor (demo loading, scheduled jobs): audited as 系统."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from .models import User


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
    from .models import User

    return actor if isinstance(actor, User) else None


def system_user(name: str = "系统") -> User:
    """The system as the acting user of an action (``by=``): a ``SystemActor`` typed as a
    ``User`` — it answers everything an action asks of one (no ``pk``, superuser, no area), and
    ``user_or_none`` keeps it out of foreign keys."""
    return cast("User", SystemActor(name))
