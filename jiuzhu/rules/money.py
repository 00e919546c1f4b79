"""Money arithmetic in integer fen (分), with explicit, parameterised rounding.

Ratios (倍数, 比例) are held as integers in ten-thousandths (``1.5`` -> ``15000``) so that
``amount × ratio`` stays exact integer arithmetic; every division names its rounding mode.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

RATIO_SCALE = 10_000
# Rounding modes (舍入方式); the index is the code stored in parameters and columns.
ROUNDING_MODES: tuple[str, ...] = ("up", "down", "half_up")
ROUNDING_LABELS = {"up": "向上取整", "down": "向下取整", "half_up": "四舍五入"}
UP, DOWN, HALF_UP = 0, 1, 2


def div_round(num: Array | int, den: Array | int, mode: Array | int) -> Array:
    """``num / den`` rounded to an integer by ``mode`` (a code from ``ROUNDING_MODES``,
    scalar or per element). ``den`` must be positive. Exact integer arithmetic:
    up = ceil, down = floor, half_up = floor((2·num + den) / (2·den))."""
    n = np.asarray(num, dtype=np.int64)
    d = np.asarray(den, dtype=np.int64)
    m = np.asarray(mode)
    if m.ndim == 0:
        code = int(m)
        if code == UP:
            return -((-n) // d)
        if code == HALF_UP:
            return (2 * n + d) // (2 * d)
        return n // d
    return np.where(m == UP, -((-n) // d), np.where(m == HALF_UP, (2 * n + d) // (2 * d), n // d))


def mul_ratio(amount: Array | int, ratio_e4: Array | int, mode: Array | int) -> Array:
    """``amount × ratio`` in fen, with ``ratio`` in ten-thousandths, rounded by ``mode``."""
    product = np.asarray(amount, dtype=np.int64) * np.asarray(ratio_e4, dtype=np.int64)
    return div_round(product, RATIO_SCALE, mode)


def round_to_unit(amount: Array | int, unit_fen: Array | int, mode: Array | int) -> Array:
    """``amount`` rounded to a multiple of ``unit_fen`` (1 = 分, 10 = 角, 100 = 元)."""
    unit = np.asarray(unit_fen, dtype=np.int64)
    return div_round(amount, unit, mode) * unit


def ratio_to_e4(value: object) -> int:
    """Parse a ratio (``1.5``, ``"0.35"``) into ten-thousandths; at most 4 decimals."""
    if isinstance(value, bool):
        raise ValueError("a ratio cannot be a boolean")
    if isinstance(value, float | int | str | Decimal):
        scaled = Decimal(str(value)) * RATIO_SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"ratio {value} has more than 4 decimals")
        return int(scaled)
    raise ValueError(f"not a ratio: {value!r}")


def e4_to_str(ratio_e4: int) -> str:
    """A ratio in ten-thousandths as a plain decimal string (``15000`` -> ``"1.5"``)."""
    d = Decimal(ratio_e4) / RATIO_SCALE
    text = format(d.normalize(), "f")
    return text


def yuan(fen: int) -> str:
    """Fen as a Chinese amount for messages, grouped by thousands as on the notices' rows:
    ``123450`` -> ``"1,234.50元"``, ``100000`` -> ``"1,000元"``, ``80000`` -> ``"800元"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}元" if cents == 0 else f"{sign}{whole:,}.{cents:02d}元"
