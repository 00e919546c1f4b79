"""The client IP of the request being served, for audit rows written deep in actions."""

from __future__ import annotations

from contextvars import ContextVar

_ip: ContextVar[str | None] = ContextVar("jiuzhu_client_ip", default=None)


def current_ip() -> str | None:
    return _ip.get()


def set_ip(ip: str | None) -> object:
    return _ip.set(ip)


def reset_ip(token: object) -> None:
    _ip.reset(token)  # type: ignore[arg-type]
