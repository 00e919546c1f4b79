"""Funds pay 先行救助 from the town reserve when a case announces it
(``applications.signals.advance_paid``, connected in ``FundsConfig.ready``); it runs in the
case's transaction, so a refusal (below zero, no reserve) rolls the whole advance back."""

from __future__ import annotations

from typing import Any

from .actions import advance_from_reserve


def on_advance_paid(sender: Any, *, application: Any, by: Any, amount_fen: int, note: str, **_: Any) -> None:
    """先行救助 is paid from the town's reserve (备用金): refused below zero (FND-3)."""
    advance_from_reserve(application, by=by, amount_fen=amount_fen, note=note)
