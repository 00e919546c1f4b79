"""The town reserve (备用金) moved to ``jiuzhu.funds`` (issue 15 item 1). These names stay here,
with their old positional ``by``, for ``applications.actions.advance_pay`` and its tests until that
call becomes a signal subscription (issue 15 item 4); then this module goes."""

from __future__ import annotations

from typing import Any

from jiuzhu.funds import actions as funds_actions
from jiuzhu.funds.actions import disburse_from_reserve, reserve_balance
from jiuzhu.funds.models import ReserveEntry, ReserveFund

__all__ = ["disburse_from_reserve", "open_reserve", "reserve_balance", "top_up_reserve"]


def open_reserve(by: Any, *, town_code: str, low_balance_fen: int | None = None, account_note: str = "") -> ReserveFund:
    return funds_actions.open_reserve(
        by=by, town_code=town_code, low_balance_fen=low_balance_fen, account_note=account_note
    )


def top_up_reserve(
    by: Any, fund: ReserveFund, *, amount_fen: int, source: str = "fiscal", note: str = ""
) -> ReserveEntry:
    return funds_actions.top_up_reserve(fund, by=by, amount_fen=amount_fen, source=source, note=note)
