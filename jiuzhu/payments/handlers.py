"""Payments take over from a decision (``applications.signals.approved``, connected in
``PaymentsConfig.ready``); it runs in the deciding transaction."""

from __future__ import annotations

from typing import Any


def on_approved(sender: Any, *, application: Any, **_: Any) -> None:
    """批准 → 待遇: a monthly case (one with a first month of payment) gets its benefit."""
    from .roster import open_benefit

    if application.start_month is not None:
        open_benefit(application)
