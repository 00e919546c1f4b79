"""Referrals and the 两清单 follow a final decision (the ``applications.signals.decided`` signal)."""

from __future__ import annotations

from typing import Any


def on_decided(sender: Any, *, application: Any, by: Any, refer: bool, **_: Any) -> None:
    """The case enters the 两清单; a 低保 or 特困 decision sends its 一体联动 referrals (LNK-4)."""
    from .actions import refer_after_approval
    from .records import record_application

    record_application(application)
    if refer and application.program in ("dibao", "tekun"):
        refer_after_approval(application, by=by)
