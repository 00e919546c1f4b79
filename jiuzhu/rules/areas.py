"""Area codes (统计用区划代码) as the engine sees them.

A full code has 12 digits: province 2 + city 2 + county 3-level 2 + town 3 + village 3.
A parameter is attached to the *significant* code of its area: ``"37"`` (山东省),
``"3704"`` (枣庄市), ``"370405"`` (台儿庄区), a 9-digit town or a 12-digit village.
``"CN"`` stands for the national default. A 12-digit code whose trailing groups are all
zeros names the higher-level unit (``370405000000`` is 台儿庄区 itself), so normalising
drops whole zero *groups* only — never single zeros (town 100 is not town 1).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .errors import RulesInputError

NATIONAL = "CN"
LEVEL_LENGTHS: tuple[int, ...] = (2, 4, 6, 9, 12)
_GROUPS: tuple[tuple[int, int], ...] = ((0, 2), (2, 4), (4, 6), (6, 9), (9, 12))

# Province-level codes of GB/T 2260 (31 provinces + 台湾, 香港, 澳门).
_PROVINCE_NUMBERS: tuple[int, ...] = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37)
_PROVINCE_NUMBERS += (41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82)
PROVINCES = frozenset(f"{n:02d}" for n in _PROVINCE_NUMBERS)


def normalize_area(code: object, field: str = "area_code") -> str:
    """The significant code of ``code`` (2, 4, 6, 9 or 12 digits), or ``"CN"``.

    Accepts a code of any level, padded with zero groups to 12 digits or not.
    Raises ``RulesInputError`` for anything that is not a well-formed code of a
    Chinese province.
    """
    if isinstance(code, int) and not isinstance(code, bool):
        code = f"{code:012d}" if code >= 10**10 else str(code)
    if not isinstance(code, str):
        raise RulesInputError("invalid_type", field, "区划代码必须是数字字符串")
    code = code.strip()
    if code.upper() == NATIONAL:
        return NATIONAL
    if not code.isascii() or not code.isdigit() or len(code) not in LEVEL_LENGTHS:
        raise RulesInputError("invalid_area", field, f"区划代码“{code}”格式不正确，应为2、4、6、9或12位数字")
    full = code.ljust(12, "0")
    groups = [full[a:b] for a, b in _GROUPS]
    significant = 0
    for i, g in enumerate(groups):
        if set(g) != {"0"}:
            if i > significant:
                raise RulesInputError("invalid_area", field, f"区划代码“{code}”层级不连续（上级代码为零）")
            significant = i + 1
    if significant == 0 or groups[0] not in PROVINCES:
        raise RulesInputError("unknown_area", field, f"区划代码“{code}”不是有效的省级区划")
    return full[: _GROUPS[significant - 1][1]]


def area_chain(key: str) -> tuple[str, ...]:
    """The lookup order for a significant code: itself, each ancestor, then ``"CN"``.

    ``area_chain("370405100")`` is ``("370405100", "370405", "3704", "37", "CN")``.
    """
    if key == NATIONAL:
        return (NATIONAL,)
    chain = [key[:n] for n in reversed(LEVEL_LENGTHS) if n <= len(key)]
    return (*chain, NATIONAL)


def to_int12(key: str) -> int:
    """A significant code as the 12-digit integer used in batch columns."""
    return int(key.ljust(12, "0"))


def from_int12(value: int) -> str:
    """The significant code of a 12-digit integer from a batch column."""
    return normalize_area(f"{value:012d}")


def int12_of_ints(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64] | None:
    """``to_int12(normalize_area(c))`` for every integer code of ``codes``, vectorized;
    ``None`` when any code is not valid (``normalize_area`` then names the first bad one).
    An integer of 10 digits or more is a 12-digit code; a shorter one is read as its
    digits (``370405`` is 台儿庄区), as ``normalize_area`` reads it."""
    c = np.asarray(codes, dtype=np.int64)
    digits = np.zeros(c.shape[0], dtype=np.int64)  # 0: not a valid length
    for length in (2, 4, 6, 9):
        digits[(c >= 10 ** (length - 1)) & (c < 10**length)] = length
    digits[(c >= 10**10) & (c < 10**12)] = 12
    if not digits.all():
        return None
    full = c * 10 ** (12 - digits)
    groups = [(full // 10**10) % 100, (full // 10**8) % 100, (full // 10**6) % 100, (full // 10**3) % 1000, full % 1000]
    seen_zero = np.zeros(c.shape[0], dtype=bool)
    for g in groups:  # a non-zero group after a zero one: the levels are not contiguous
        if (seen_zero & (g != 0)).any():
            return None
        seen_zero |= g == 0
    if not np.isin(groups[0], np.array(_PROVINCE_NUMBERS, dtype=np.int64)).all():
        return None
    return full
