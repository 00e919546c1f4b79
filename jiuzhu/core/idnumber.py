"""Resident ID numbers (居民身份证号码), GB 11643-1999.

18 characters: 6-digit area code, 8-digit birth date, 3-digit sequence (odd = male),
check character. Legacy 15-digit numbers (two-digit year, no check character) are
converted by inserting "19" and computing the check character.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from operator import mul

from .errors import InvalidInput

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FULLWIDTH = str.maketrans("０１２３４５６７８９ＸｘX", "0123456789XXX")


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A validated 18-character resident ID number and what it encodes."""

    value: str
    birth_date: dt.date
    gender: str  # "M" or "F"

    @property
    def area_prefix(self) -> str:
        return self.value[:6]

    @property
    def masked(self) -> str:
        return mask_id_number(self.value)

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


MIN_BIRTH_YEAR = 1880
# Province-level codes of GB/T 2260 (with 81/82/83 of the residence permits of Hong Kong,
# Macao and Taiwan residents): an ID number whose first two digits are none of these has a
# nonexistent area code. Finer levels are not checked here: numbers stay valid after their
# county is renamed or merged, and historic county codes are not all published.
_PROVINCE_TEXT = "11-15 21-23 31-37 41-46 50-54 61-65 71 81-83"
PROVINCE_CODES = frozenset(
    f"{n:02d}" for part in _PROVINCE_TEXT.split() for n in range(int(part[:2]), int(part[-2:]) + 1)
)
_DIGIT_BIAS = 48 * sum(_WEIGHTS)  # the weighted sum of ASCII codes minus this is the sum of digits


def check_character(first17: str) -> str:
    return _CHECK[(sum(map(mul, first17.encode("ascii"), _WEIGHTS)) - _DIGIT_BIAS) % 11]


def normalize(raw: str) -> str:
    """Strip spaces, map full-width digits and lower-case x to ASCII upper case."""
    if len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in "0123456789X":
        return raw  # already normal: the common case in department files
    return "".join(raw.split()).translate(_FULLWIDTH).upper()


def parse_id_number(raw: str, *, field: str = "id_number", today: dt.date | None = None) -> IdNumber:
    """Validate and normalize an ID number; raise ``InvalidInput`` with a Chinese message."""
    value = normalize(raw or "")
    if not value:
        raise InvalidInput("invalid_id_number", "请填写身份证号码", field=field)
    if len(value) == 15:
        if not value.isdigit():
            raise InvalidInput("invalid_id_number", "15位身份证号码只能由数字组成", field=field)
        first17 = value[:6] + "19" + value[6:]
        value = first17 + check_character(first17)
    elif len(value) == 18:
        if not value[:17].isdigit() or value[17] not in "0123456789X":
            raise InvalidInput("invalid_id_number", "身份证号码格式不正确：前17位应为数字，末位为数字或X", field=field)
        if check_character(value[:17]) != value[17]:
            raise InvalidInput("invalid_id_number", "身份证号码校验位不正确，请核对是否输错", field=field)
    else:
        raise InvalidInput("invalid_id_number", f"身份证号码应为18位（或旧版15位），当前为{len(value)}位", field=field)
    if value[:2] not in PROVINCE_CODES:
        raise InvalidInput(
            "invalid_id_number", f"身份证号码的前两位“{value[:2]}”不是有效的省级行政区划代码，请核对", field=field
        )
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidInput("invalid_id_number", "身份证号码中的出生日期不存在，请核对", field=field) from None
    today = today or dt.date.today()
    if birth > today or birth.year < MIN_BIRTH_YEAR:
        raise InvalidInput("invalid_id_number", "身份证号码中的出生日期不合理，请核对", field=field)
    gender = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(value=value, birth_date=birth, gender=gender)


def is_valid_normalized(value: str, today: dt.date | None = None) -> bool:
    """What ``parse_id_number`` accepts unchanged, checked without building an ``IdNumber``:
    for bulk files, where most numbers are already normal (any other answer: call
    ``parse_id_number`` for the value or the precise message)."""
    if not (len(value) == 18 and value.isascii() and value[:17].isdigit() and value[17] in "0123456789X"):
        return False
    if check_character(value[:17]) != value[17] or value[:2] not in PROVINCE_CODES:
        return False
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return birth.year >= MIN_BIRTH_YEAR and birth <= (today or dt.date.today())


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


_PROVINCE_NUMBERS = sorted(int(code) for code in PROVINCE_CODES)


def valid_normalized(values: Sequence[str], today: dt.date | None = None) -> list[bool]:
    """``is_valid_normalized`` of many strings at once, vectorized (numpy) when they are
    all 18 ASCII characters: for the distinct ID numbers of a block of a large file."""
    import numpy as np

    today = today or dt.date.today()
    if not values or set(map(len, values)) != {18} or not (joined := "".join(values)).isascii():
        return [is_valid_normalized(v, today) for v in values]
    chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, 18).astype(np.int64)
    digits = chars[:, :17] - 48
    last = chars[:, 17]
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1) & (((last >= 48) & (last <= 57)) | (last == ord("X")))
    expected = np.frombuffer(_CHECK.encode("ascii"), dtype=np.uint8)[(digits @ np.array(_WEIGHTS)) % 11]
    ok &= expected == last
    ok &= np.isin(digits[:, 0] * 10 + digits[:, 1], _PROVINCE_NUMBERS)
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array(_DAYS_IN_MONTH)[np.clip(month - 1, 0, 11)] + ((month == 2) & leap)
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days) & (year >= MIN_BIRTH_YEAR)
    ok &= year * 10000 + month * 100 + day <= today.year * 10000 + today.month * 100 + today.day
    return [bool(x) for x in ok]


def mask_id_number(value: str) -> str:
    """``370405********1234``: area code and last four characters only."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def make_id_number(area_prefix: str, birth: dt.date, sequence: int, gender: str) -> str:
    """Build a synthetic but valid ID number (demo data and tests only)."""
    seq = sequence % 1000
    if (seq % 2 == 1) != (gender == "M"):
        seq = (seq + 1) % 1000
    first17 = f"{area_prefix}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)
