"""Cell parsers for department files: what departments actually send.

Each parser takes a raw cell (a string from CSV/JSON lines, or a typed value from Excel)
and returns the clean value or raises ``CellError`` with a Chinese message. Callers cache
results per distinct raw value (IDs, dates and amounts repeat a lot in large files).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.idnumber import is_valid_normalized, mask_id_number, parse_id_number


class CellError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_SPACES = re.compile(r"\s+")
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),  # 2026-09-15
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),  # 2026/9/15
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),  # 20260915
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),  # 2026年9月15日
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),  # 2026.9.15
]
_MONTH_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})\.(\d{1,2})$"),
]
DATE_HELP = "日期格式应为 2026-09-15、2026/9/15、20260915 或 2026年9月15日"
MONTH_HELP = "年月格式应为 2026-09、202609 或 2026年9月"
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)


def text(raw: Any) -> str:
    """A cell as trimmed text ('' for empty); Excel integers lose their '.0'."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw).strip()


def parse_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    value = _TIME_SUFFIX.sub("", text(raw))
    for pattern in _DATE_PATTERNS:
        m = pattern.match(value)
        if m:
            try:
                day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise CellError(f"日期“{value}”不存在") from None
            if not MIN_DATE <= day <= MAX_DATE:
                raise CellError(f"日期“{value}”超出合理范围")
            return day
    raise CellError(f"无法识别的日期“{value}”，{DATE_HELP}")


def parse_month(raw: Any) -> tuple[dt.date, dt.date]:
    """A month as (first day, last day); a full date names its month."""
    if isinstance(raw, dt.date):
        day = raw.date() if isinstance(raw, dt.datetime) else raw
        year, month = day.year, day.month
    else:
        value = text(raw)
        for pattern in _MONTH_PATTERNS:
            m = pattern.match(value)
            if m:
                year, month = int(m.group(1)), int(m.group(2))
                break
        else:
            try:
                day = parse_date(value)
            except CellError:
                raise CellError(f"无法识别的年月“{value}”，{MONTH_HELP}") from None
            year, month = day.year, day.month
        if not 1 <= month <= 12:
            raise CellError(f"月份“{value}”不存在")
        if not 1900 <= year <= 2100:
            raise CellError(f"年月“{value}”超出合理范围")
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


_UNITS = (("亿元", 100_000_000), ("万元", 10_000), ("亿", 100_000_000), ("万", 10_000), ("元", 1))
_FEN = Decimal(100)
MAX_AMOUNT_FEN = 10**13  # 1000亿元: anything above is a data error


def parse_amount_fen(raw: Any, *, allow_negative: bool = False) -> int:
    """``"1,234.50"`` / ``"1234.5元"`` / ``"3.5万元"`` / ``"￥1,000"`` / Excel numbers → fen."""
    if isinstance(raw, bool):
        raise CellError("金额格式不正确")
    if isinstance(raw, int):
        amount = Decimal(raw)
    elif isinstance(raw, float):
        amount = Decimal(repr(raw))
        cents = amount * _FEN
        if cents != cents.to_integral_value() and abs(cents - cents.to_integral_value()) < Decimal("0.000001"):
            amount = cents.to_integral_value() / _FEN  # binary float noise from Excel
    else:
        value = _SPACES.sub("", str(raw)).replace(",", "").replace("，", "").lstrip("￥¥").removeprefix("RMB")
        factor = 1
        for unit, f in _UNITS:
            if value.endswith(unit):
                value, factor = value[: -len(unit)], f
                break
        try:
            amount = Decimal(value) * factor
        except InvalidOperation:
            raise CellError(f"金额“{raw}”格式不正确，应为数字（单位元，可写“万元”）") from None
    if not amount.is_finite():
        raise CellError(f"金额“{raw}”格式不正确")
    fen = amount * _FEN
    if fen != fen.to_integral_value():
        raise CellError(f"金额“{raw}”最多精确到分（两位小数）")
    result = int(fen)
    if result < 0 and not allow_negative:
        raise CellError(f"金额“{raw}”不能为负数")
    if abs(result) > MAX_AMOUNT_FEN:
        raise CellError(f"金额“{raw}”超出合理范围")
    return result


def parse_int(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    value = text(raw).replace(",", "")
    try:
        return int(Decimal(value))
    except (InvalidOperation, ValueError):
        raise CellError(f"“{value}”不是整数") from None


def parse_id(raw: Any, today: dt.date | None = None) -> str:
    """The normalized 18-character ID number (15-digit numbers converted)."""
    if raw.__class__ is str and is_valid_normalized(raw, today):
        return cast(str, raw)
    if isinstance(raw, float | int) and not isinstance(raw, bool):
        raise CellError("身份证号码被存成了数字格式，后几位可能已丢失；请将该列设为文本格式后重新导出")
    value = text(raw)
    if not value:
        raise CellError("缺少身份证号码")
    if "E+" in value.upper() and value.replace(".", "").upper().replace("E+", "").isdigit():
        raise CellError("身份证号码是科学计数法（如3.70405E+17），后几位已丢失；请将该列设为文本格式后重新导出")
    try:
        return parse_id_number(value, today=today).value
    except InvalidInput as exc:
        raise CellError(exc.message) from None


def masked_raw_id(raw: Any) -> str:
    """What an error report may show of a (possibly invalid) ID number."""
    return mask_id_number(text(raw))
