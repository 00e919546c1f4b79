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


_DIGITS_UPPER = "零壹贰叁肆伍陆柒捌玖"
_UNITS_UPPER = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def _four_upper(n: int) -> str:
    out, zero = "", False
    for i in range(3, -1, -1):
        d = n // 10**i % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS_UPPER[d] + _UNITS_UPPER[i]
    return out


def yuan_in_words(fen: int) -> str:
    """人民币大写金额, as a notice writes it: ``1200.50`` → ``壹仟贰佰元伍角``; whole yuan end in ``整``."""
    if fen < 0:
        return "负" + yuan_in_words(-fen)
    yuan_part, jiao, fen_part = fen // 100, fen // 10 % 10, fen % 10
    groups: list[int] = []
    n = yuan_part
    while n:
        groups.append(n % 10000)
        n //= 10000
    words, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(words)
            continue
        if words and (pending_zero or group < 1000):
            words += "零"
        words += _four_upper(group) + _GROUPS[index]
        pending_zero = False
    words = (words or "零") + "元"
    if jiao == 0 and fen_part == 0:
        return words + "整"
    if jiao:
        words += _DIGITS_UPPER[jiao] + "角"
    elif yuan_part:
        words += "零"
    if fen_part:
        words += _DIGITS_UPPER[fen_part] + "分"
    return words


_DIGITS_LOWER = "〇一二三四五六七八九"


def cn_number(n: int) -> str:
    """Small counts as a document writes them: 6 → 六, 60 → 六十, 15 → 十五, 120 → 一百二十."""
    if not 0 <= n < 1000:
        return str(n)
    if n < 10:
        return _DIGITS_LOWER[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _DIGITS_LOWER[tens]) + "十" + (_DIGITS_LOWER[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        return _DIGITS_LOWER[hundreds] + "百"
    middle = "零" + _DIGITS_LOWER[rest] if rest < 10 else ("一" if rest < 20 else "") + cn_number(rest)
    return _DIGITS_LOWER[hundreds] + "百" + middle
