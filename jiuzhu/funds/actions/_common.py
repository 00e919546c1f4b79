"""Input checks shared by the funds actions: areas, years, amounts in fen, dates and texts,
each refused with the field it came from."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from jiuzhu.areas.models import Area, full_code
from jiuzhu.core import inputs
from jiuzhu.core.errors import InvalidInput

from ..models import FUND_PROGRAM_LABELS, FUND_SOURCE_LABELS

EDIT = "funds.edit"
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
MIN_YEAR, MAX_YEAR = 2000, 2100
_text = inputs.text  # the shared cleaning of text inputs, imported by the funds actions


# ==== input checks ==============================================================================


def _area(code: Any, *, field: str = "area_code", levels: tuple[str, ...] = ("county", "town")) -> Area:
    text = str(code or "").strip()
    area = Area.objects.filter(code=full_code(text)).first() if text.isdigit() and len(text) <= 12 else None
    if area is None or area.level not in levels:
        what = "县（区）或镇（街道）" if len(levels) > 1 else "县（区）"
        raise InvalidInput("invalid_area", f"区划应为{what}，请填写6位县级或9位镇级区划代码", field=field)
    return area


def _year(raw: Any, field: str = "year") -> int:
    try:
        year = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_year", "年度应为四位数字，如2026", field=field) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput("invalid_year", f"年度应在{MIN_YEAR}至{MAX_YEAR}之间", field=field)
    return year


def _amount(raw: Any, field: str = "amount_fen", *, positive: bool = False) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        try:
            amount = int(raw)
        except (TypeError, ValueError):
            raise InvalidInput("invalid_amount", "金额格式不正确", field=field) from None
    else:
        amount = raw
    if amount < 0:
        raise InvalidInput("invalid_amount", "金额不能为负数", field=field)
    if positive and amount == 0:
        raise InvalidInput("invalid_amount", "金额应大于0", field=field)
    return amount


def _program(code: str) -> str:
    if code not in FUND_PROGRAM_LABELS:
        raise InvalidInput("invalid_program", "请选择救助项目", field="program")
    return code


def _source(code: str) -> str:
    if code not in FUND_SOURCE_LABELS:
        raise InvalidInput("invalid_source", "资金来源应为本级财政、上级补助、社会捐赠或其他", field="source")
    return code


def _date(raw: Any, field: str, default: dt.date | None = None) -> dt.date:
    if raw in (None, "") and default is not None:
        return default
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise InvalidInput("invalid_date", "日期格式应为“2026-01-31”", field=field) from None


def _credit_code(raw: Any, field: str) -> str:
    code = str(raw or "").strip().upper()
    if code and not CREDIT_CODE.match(code):
        raise InvalidInput("invalid_credit_code", "统一社会信用代码应为18位数字或大写字母", field=field)
    return code
