"""Payments take over from a decision (the ``applications.signals`` signals, connected in
``PaymentsConfig.ready``); each runs in the deciding transaction."""

from __future__ import annotations

from typing import Any


def on_approved(sender: Any, *, application: Any, **_: Any) -> None:
    """批准 → 待遇: a monthly case (one with a first month of payment) gets its benefit."""
    from .roster import open_benefit

    if application.start_month is not None:
        open_benefit(application)


def on_advance_paid(sender: Any, *, application: Any, by: Any, amount_fen: int, note: str, **_: Any) -> None:
    """先行救助 is paid from the town's reserve (备用金): refused below zero (FND-3)."""
    from .actions import disburse_from_reserve

    disburse_from_reserve(by, application, amount_fen=amount_fen, note=note)
