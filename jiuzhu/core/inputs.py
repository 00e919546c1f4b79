"""An action's plain inputs (text and dates) cleaned with the refusals users read: one
definition of "请填写…", "…不能超过…个字" and the date format, for every app's actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .errors import InvalidInput


def text(raw: Any, field: str, label: str, *, max_length: int, required: bool = True) -> str:
    """``raw`` as trimmed text: refused when ``required`` and blank, or longer than ``max_length``."""
    value = str(raw or "").strip()
    if required and not value:
        raise InvalidInput("required", f"请填写{label}", field=field)
    if len(value) > max_length:
        raise InvalidInput("too_long", f"{label}不能超过{max_length}个字", field=field)
    return value


def field_text(data: Mapping[str, Any], key: str, label: str, max_length: int, *, required: bool = True) -> str:
    """``text`` of ``data[key]`` (a form's or a request body's fields)."""
    return text(data.get(key), key, label, max_length=max_length, required=required)


def date_or_none(value: Any, field: str, label: str, *, required: bool) -> dt.date | None:
    """A date (or its ISO text ``2026-01-31``); blank is ``None`` unless ``required``."""
    if value in (None, ""):
        if required:
            raise InvalidInput("required", f"请填写{label}", field=field)
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("invalid_date", f"{label}格式应为“2026-01-31”", field=field) from None


def required_date(value: Any, field: str, label: str) -> dt.date:
    """``date_or_none`` of a date that must be given."""
    day = date_or_none(value, field, label, required=True)
    assert day is not None  # refused above when blank
    return day
