"""Money as integer fen (分). ``Decimal`` only when parsing or printing 元."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import InvalidInput

_FEN = Decimal("0.01")


def yuan_to_fen(raw: str | int | Decimal, *, field: str = "amount") -> int:
    """Parse an amount in 元 (``"1,234.50"``) into fen; more than two decimals is an error."""
    try:
        amount = Decimal(str(raw).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise InvalidInput("invalid_amount", f"金额格式不正确：{raw}", field=field) from None
    if not amount.is_finite():
        raise InvalidInput("invalid_amount", f"金额格式不正确：{raw}", field=field)
    if amount != amount.quantize(_FEN):
        raise InvalidInput("invalid_amount", "金额最多保留两位小数（精确到分）", field=field)
    return int(amount * 100)


def fen_to_yuan(fen: int) -> str:
    """``123456`` → ``"1234.56"``."""
    return str((Decimal(fen) / 100).quantize(_FEN, rounding=ROUND_HALF_UP))


def format_yuan(fen: int) -> str:
    """``123456`` → ``"1,234.56元"`` for display."""
    return f"{Decimal(fen) / 100:,.2f}元"
