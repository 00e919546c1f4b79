"""Dates as a Chinese document writes them: 2026年12月5日, 2027年1月 (no leading zeros)."""

from __future__ import annotations

import datetime as dt


def day_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def month_label(month: dt.date | None) -> str:
    return f"{month.year}年{month.month}月" if month else ""
